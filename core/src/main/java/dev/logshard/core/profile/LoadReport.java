package dev.logshard.core.profile;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.profile.CellCounts;
import java.util.List;
import java.util.Map;

/**
 * What a node's Profiler sends the Coordinator every tick: each range's load as the node saw it
 * and where on the ring the tick's accesses fell (per {@link dev.logshard.core.profile.RingCells}
 * cell), compact enough to send every second.
 *
 * @param node the reporting node's address
 * @param epoch the ShardMap epoch the node's ranges are of
 * @param tickMillis how long the tick was
 * @param correlated the strongest pairs of ranges this node saw used together (the planner keeps them on one node)
 * @param roundTripMillis the measured round trip to each other node ({@code host:port})
 */
public record LoadReport(String node, long timeMillis, long epoch, long tickMillis, List<ShardLoad> ranges,
    CellCounts cells, List<CorrelationMatrix.Pair> correlated, Map<String, Double> roundTripMillis)
    implements CborSerializable {

  public LoadReport {
    // Absent in reports from nodes that do not send them.
    correlated = correlated == null ? List.of() : List.copyOf(correlated);
    roundTripMillis = roundTripMillis == null ? Map.of() : Map.copyOf(roundTripMillis);
  }

  public LoadReport(String node, long timeMillis, long epoch, long tickMillis, List<ShardLoad> ranges, CellCounts cells) {
    this(node, timeMillis, epoch, tickMillis, ranges, cells, List.of(), Map.of());
  }

  /** With the measured round trips from this node to the others. */
  public LoadReport withRoundTrips(Map<String, Double> roundTrips) {
    return new LoadReport(node, timeMillis, epoch, tickMillis, ranges, cells, correlated, roundTrips);
  }
}
