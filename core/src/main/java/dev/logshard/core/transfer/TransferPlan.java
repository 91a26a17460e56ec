package dev.logshard.core.transfer;

import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The persisted intent of one Transfer: which range generations it retires and which new ones
 * replace them. The destinations cover exactly the hashes of the sources, so applying the plan to
 * a map that holds the sources gives a map that still tiles the ring. {@code toNode} ({@code host:port}
 * of a cluster node, or null) is where the destinations are to run; {@code startedBy} says who
 * started it and why ({@code "planner: <reason>"}; null: an operator, through the admin API).
 */
public record TransferPlan(String id, TransferKind kind, List<RangePlacement> sources,
    List<RangePlacement> destinations, String toNode, String startedBy) {

  public TransferPlan(String id, TransferKind kind, List<RangePlacement> sources, List<RangePlacement> destinations) {
    this(id, kind, sources, destinations, null, null);
  }

  public TransferPlan(String id, TransferKind kind, List<RangePlacement> sources, List<RangePlacement> destinations,
      String toNode) {
    this(id, kind, sources, destinations, toNode, null);
  }

  /** The same plan, marked as started by {@code who} (and why). */
  public TransferPlan startedBy(String who) {
    return new TransferPlan(id, kind, sources, destinations, toNode, who);
  }

  public TransferPlan {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    sources = sortedByStart(sources);
    destinations = sortedByStart(destinations);
    int expectedSources = kind == TransferKind.MERGE ? 2 : 1;
    int expectedDestinations = kind == TransferKind.SPLIT ? 2 : 1;
    if (sources.size() != expectedSources || destinations.size() != expectedDestinations) {
      throw new IllegalArgumentException(kind + " needs " + expectedSources + " source(s) and "
          + expectedDestinations + " destination(s)");
    }
    KeyRange covered = cover(sources);
    if (!covered.equals(cover(destinations))) {
      throw new IllegalArgumentException("destinations do not cover exactly the sources' hashes");
    }
    for (RangePlacement d : destinations) {
      for (RangePlacement s : sources) {
        if (d.entityId().equals(s.entityId())) {
          throw new IllegalArgumentException("destination " + d.entityId() + " is also a source");
        }
      }
    }
  }

  /** The map after the commit: sources replaced by destinations, the next epoch. */
  public ShardMap applyTo(ShardMap map) {
    for (RangePlacement source : sources) {
      if (!map.byRangeId(source.rangeId()).map(source::equals).orElse(false)) {
        throw new IllegalStateException("the map no longer places " + source.entityId());
      }
    }
    List<RangePlacement> next = new ArrayList<>(map.placements());
    next.removeAll(sources);
    next.addAll(destinations);
    return new ShardMap(map.epoch() + 1, next);
  }

  /** The destination whose range holds {@code hash}, or null if no destination does. */
  public RangePlacement destinationFor(long hash) {
    for (RangePlacement d : destinations) {
      if (d.range().contains(hash)) {
        return d;
      }
    }
    return null;
  }

  public boolean involvesRange(String rangeId) {
    return sources.stream().anyMatch(p -> p.rangeId().equals(rangeId))
        || destinations.stream().anyMatch(p -> p.rangeId().equals(rangeId));
  }

  private static List<RangePlacement> sortedByStart(List<RangePlacement> placements) {
    List<RangePlacement> sorted = new ArrayList<>(Objects.requireNonNull(placements));
    sorted.sort(Comparator.comparing(p -> p.range().start(), Long::compareUnsigned));
    return List.copyOf(sorted);
  }

  /** The interval the placements tile, or an exception if they leave a gap or overlap. */
  private static KeyRange cover(List<RangePlacement> sorted) {
    for (int i = 1; i < sorted.size(); i++) {
      if (!sorted.get(i - 1).range().isFollowedBy(sorted.get(i).range())) {
        throw new IllegalArgumentException("ranges " + sorted.get(i - 1).range() + " and "
            + sorted.get(i).range() + " are not adjacent");
      }
    }
    return new KeyRange(sorted.get(0).range().start(), sorted.get(sorted.size() - 1).range().last());
  }
}
