package dev.logshard.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The immutable, epoch-versioned assignment of the whole ring to ranges. Construction proves that
 * the ranges tile {@code [0, 2^64)} with no gap and no overlap; lookup of a hash is a binary search
 * over the range starts (unsigned order), O(log n).
 */
public final class ShardMap {

  private final long epoch;
  private final List<RangePlacement> placements;
  private final long[] starts;
  private final Map<String, RangePlacement> byRangeId;

  public ShardMap(long epoch, List<RangePlacement> placements) {
    if (epoch < 1) {
      throw new IllegalArgumentException("epoch must be >= 1, was " + epoch);
    }
    List<RangePlacement> sorted = new ArrayList<>(placements);
    sorted.sort(Comparator.comparing(p -> p.range().start(), Long::compareUnsigned));
    validateTiling(sorted);
    this.epoch = epoch;
    this.placements = List.copyOf(sorted);
    this.starts = sorted.stream().mapToLong(p -> p.range().start()).toArray();
    this.byRangeId = new HashMap<>();
    for (RangePlacement p : sorted) {
      if (byRangeId.put(p.rangeId(), p) != null) {
        throw new IllegalArgumentException("range id " + p.rangeId() + " appears twice");
      }
    }
  }

  /** {@code n} equal ranges {@code r0 … r(n-1)}, generation 1, all on {@code logInstance}, epoch 1. */
  public static ShardMap initial(int n, String logInstance) {
    List<KeyRange> ranges = KeyRange.equalSplit(n);
    List<RangePlacement> placements = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      placements.add(new RangePlacement("r" + i, ranges.get(i), 1, logInstance));
    }
    return new ShardMap(1, placements);
  }

  private static void validateTiling(List<RangePlacement> sorted) {
    if (sorted.isEmpty()) {
      throw new IllegalArgumentException("a shard map needs at least one range");
    }
    KeyRange first = sorted.get(0).range();
    if (first.start() != 0L) {
      throw new IllegalArgumentException("gap: nothing covers the ring from 0 to " + first);
    }
    for (int i = 1; i < sorted.size(); i++) {
      KeyRange previous = sorted.get(i - 1).range();
      KeyRange current = sorted.get(i).range();
      if (!previous.isFollowedBy(current)) {
        String problem =
            previous.last() == -1L || Long.compareUnsigned(current.start(), previous.last()) <= 0
                ? "overlap"
                : "gap";
        throw new IllegalArgumentException(problem + " between " + previous + " and " + current);
      }
    }
    KeyRange lastRange = sorted.get(sorted.size() - 1).range();
    if (lastRange.last() != -1L) {
      throw new IllegalArgumentException("gap: nothing covers the ring after " + lastRange);
    }
  }

  public long epoch() {
    return epoch;
  }

  /** Placements in ring order. */
  public List<RangePlacement> placements() {
    return placements;
  }

  public int size() {
    return placements.size();
  }

  /** The placement whose range holds {@code hash}. */
  public RangePlacement lookup(long hash) {
    return placements.get(indexOf(hash));
  }

  /** The ring-order index (into {@link #placements()}) of the range that holds {@code hash}. */
  public int indexOf(long hash) {
    int lo = 0;
    int hi = starts.length - 1;
    // Find the last start <= hash; starts[0] is 0, so one always exists.
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (Long.compareUnsigned(starts[mid], hash) <= 0) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  public RangePlacement lookup(String key) {
    return lookup(KeyHash.of(key));
  }

  public Optional<RangePlacement> byRangeId(String rangeId) {
    return Optional.ofNullable(byRangeId.get(rangeId));
  }

  /** The placement for an entity id, if this map places that exact generation. */
  public Optional<RangePlacement> byEntityId(String entityId) {
    EntityId id = EntityId.parse(entityId);
    return byRangeId(id.rangeId()).filter(p -> p.generation() == id.generation());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ShardMap other && epoch == other.epoch && placements.equals(other.placements);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(epoch) * 31 + placements.hashCode();
  }

  @Override
  public String toString() {
    return "ShardMap(epoch " + epoch + ", " + placements.size() + " ranges)";
  }
}
