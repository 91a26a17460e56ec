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
 */
public record LoadReport(String node, long timeMillis, long epoch, long tickMillis, List<ShardLoad> ranges,
    CellCounts cells) implements CborSerializable {}
