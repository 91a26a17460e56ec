package dev.logshard.core.transfer;

import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What an operator (or the planner) asks for: move a range to a log instance, split it at a hash,
 * or merge two adjacent ranges. {@link #plan} turns it into a {@link TransferPlan} against the
 * current map, or says precisely why it cannot.
 *
 * @param rangeIds one range (move, split) or two adjacent ranges (merge)
 * @param toInstance the destinations' log instance; null keeps the (first) source's
 * @param splitAt the first hash of the right half (split only); null cuts at the midpoint
 * @param fault fault injection for tests, {@code fail:<PHASE>} or {@code crash:<PHASE>}; null: none
 * @param stopFirst the naive baseline for benchmarks: fence the sources first (writes wait for
 *     the whole copy), then copy, then commit; no catch-up and no read ramp
 * @param toNode the cluster node ({@code host:port} of its cluster port) the destinations run on;
 *     null leaves it to Cluster Sharding
 */
public record TransferRequest(TransferKind kind, List<String> rangeIds, String toInstance, Long splitAt,
    String fault, boolean stopFirst, String toNode) {

  public TransferRequest {
    Objects.requireNonNull(kind, "kind");
    rangeIds = List.copyOf(Objects.requireNonNull(rangeIds, "rangeIds"));
  }

  public TransferRequest(
      TransferKind kind, List<String> rangeIds, String toInstance, Long splitAt, String fault, boolean stopFirst) {
    this(kind, rangeIds, toInstance, splitAt, fault, stopFirst, null);
  }

  public static TransferRequest move(String rangeId, String toInstance) {
    return new TransferRequest(TransferKind.MOVE, List.of(rangeId), toInstance, null, null, false);
  }

  public static TransferRequest split(String rangeId, Long at) {
    return new TransferRequest(TransferKind.SPLIT, List.of(rangeId), null, at, null, false);
  }

  public static TransferRequest merge(String left, String right) {
    return new TransferRequest(TransferKind.MERGE, List.of(left, right), null, null, null, false);
  }

  public TransferRequest withFault(String injected) {
    return new TransferRequest(kind, rangeIds, toInstance, splitAt, injected, stopFirst, toNode);
  }

  /** With its destinations on cluster node {@code node} ({@code host:port}). */
  public TransferRequest withToNode(String node) {
    return new TransferRequest(kind, rangeIds, toInstance, splitAt, fault, stopFirst, node);
  }

  public TransferRequest withSplitAt(long at) {
    return new TransferRequest(kind, rangeIds, toInstance, at, fault, stopFirst, toNode);
  }

  /** Whether this is a split that names no point: it is cut at the range's load median. */
  public boolean needsSplitPoint() {
    return kind == TransferKind.SPLIT && splitAt == null;
  }

  /**
   * A split without a point cuts at the load median: the live profile's ({@code profileMedian})
   * when the node has one, else the persisted load history's ({@code historyMedian}, say right
   * after a restart), else (both null) the Coordinator's midpoint. Medians are unsigned hashes.
   */
  public TransferRequest atLoadMedian(String profileMedian, String historyMedian) {
    String median = profileMedian != null ? profileMedian : historyMedian;
    return needsSplitPoint() && median != null ? withSplitAt(Long.parseUnsignedLong(median)) : this;
  }

  /** Allocates what new placements need: generations (never reused) and fresh range ids. */
  public interface Ids {
    long nextGeneration();

    String nextRangeId();
  }

  /**
   * The plan for this request on {@code map}.
   *
   * @throws IllegalArgumentException if the request does not fit the map (unknown range, not
   *     adjacent, split point outside the range, …)
   */
  public TransferPlan plan(String transferId, ShardMap map, Ids ids) {
    int expected = kind == TransferKind.MERGE ? 2 : 1;
    if (rangeIds.size() != expected) {
      throw new IllegalArgumentException(kind.name().toLowerCase() + " takes " + expected + " range(s), got "
          + rangeIds.size());
    }
    List<RangePlacement> sources = new ArrayList<>();
    for (String rangeId : rangeIds) {
      sources.add(map.byRangeId(rangeId)
          .orElseThrow(() -> new IllegalArgumentException("no range '" + rangeId + "' in the shard map")));
    }
    RangePlacement first = sources.get(0);
    String instance = toInstance != null ? toInstance : first.logInstance();
    List<RangePlacement> destinations = switch (kind) {
      case MOVE -> {
        if (toInstance == null && toNode == null) {
          throw new IllegalArgumentException("move needs a destination log instance or node");
        }
        yield List.of(new RangePlacement(first.rangeId(), first.range(), ids.nextGeneration(), instance));
      }
      case SPLIT -> {
        long at = splitAt != null ? splitAt : midpoint(first.range());
        KeyRange range = first.range();
        if (Long.compareUnsigned(at, range.start()) <= 0 || Long.compareUnsigned(at, range.last()) > 0) {
          throw new IllegalArgumentException("split point " + Long.toUnsignedString(at) + " is not inside "
              + range + " (it must be above the range's first hash)");
        }
        yield List.of(
            new RangePlacement(first.rangeId(), new KeyRange(range.start(), at - 1), ids.nextGeneration(), instance),
            new RangePlacement(ids.nextRangeId(), new KeyRange(at, range.last()), ids.nextGeneration(), instance));
      }
      case MERGE -> {
        RangePlacement a = sources.get(0);
        RangePlacement b = sources.get(1);
        RangePlacement left = Long.compareUnsigned(a.range().start(), b.range().start()) < 0 ? a : b;
        RangePlacement right = left == a ? b : a;
        if (!left.range().isFollowedBy(right.range())) {
          throw new IllegalArgumentException("ranges " + left.rangeId() + " and " + right.rangeId() + " are not adjacent");
        }
        yield List.of(new RangePlacement(left.rangeId(), new KeyRange(left.range().start(), right.range().last()),
            ids.nextGeneration(), toInstance != null ? toInstance : left.logInstance()));
      }
    };
    return new TransferPlan(transferId, kind, sources, destinations, toNode);
  }

  private static long midpoint(KeyRange range) {
    BigInteger start = new BigInteger(range.startString());
    return start.add(range.width().shiftRight(1)).longValue();
  }
}
