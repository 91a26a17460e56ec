package dev.logshard.core.profile;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.profile.CellCounts;
import java.util.List;

/**
 * What a node's Profiler sends the Coordinator every tick: each range's load as the node saw it
 * and where on the ring the tick's accesses fell (per {@link dev.logshard.core.profile.RingCells}
 * cell), compact enough to send every second.
 *
 * @param node the reporting node's address
 * @param epoch the ShardMap epoch the node's ranges are of
 * @param tickMillis how long the tick was
 * @param correlated the strongest pairs of ranges this node saw used together (the planner keeps them on one node)
 */
public record LoadReport(String node, long timeMillis, long epoch, long tickMillis, List<ShardLoad> ranges,
    CellCounts cells, List<CorrelationMatrix.Pair> correlated) implements CborSerializable {

  public LoadReport {
    correlated = correlated == null ? List.of() : List.copyOf(correlated); // reports from nodes that do not send them
  }

  public LoadReport(String node, long timeMillis, long epoch, long tickMillis, List<ShardLoad> ranges, CellCounts cells) {
    this(node, timeMillis, epoch, tickMillis, ranges, cells, List.of());
  }
}
