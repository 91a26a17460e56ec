package dev.logshard.core.planner;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.transfer.TransferKind;
import java.util.List;

/**
 * A transfer the planner started: which ranges, the hashes they covered ({@code start} to
 * {@code end}, unsigned strings as in the map), where a move went, and when. The planner's memory
 * for cooldowns and hysteresis, journaled by the Coordinator with its reason.
 */
public record Decision(TransferKind kind, List<String> rangeIds, String start, String end, String toInstance,
    String reason, long atMillis) implements CborSerializable {}
