package dev.logshard.core.planner;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.transfer.TransferKind;
import dev.logshard.core.transfer.TransferPlan;
import java.util.List;

/**
 * A transfer the planner started: which ranges, the hashes they covered ({@code start} to
 * {@code end}, unsigned strings as in the map), where a move went, and when. The planner's memory
 * for cooldowns and hysteresis, journaled by the Coordinator with its reason.
 */
public record Decision(TransferKind kind, List<String> rangeIds, String start, String end, String toInstance,
    String reason, long atMillis) implements CborSerializable {

  /** The decision to relocate {@code placement}'s generation to the node {@code planned} names, at {@code atMillis}. */
  public static Decision relocation(PlannedTransfer planned, RangePlacement placement, long atMillis) {
    return new Decision(TransferKind.MOVE, List.of(placement.rangeId()), placement.range().startString(),
        placement.range().endString(), null, planned.reason(), atMillis);
  }

  /** The decision for a planned transfer that became {@code plan} at {@code atMillis}. */
  public static Decision of(PlannedTransfer planned, TransferPlan plan, long atMillis) {
    KeyRange first = plan.sources().get(0).range();
    KeyRange last = plan.sources().get(plan.sources().size() - 1).range();
    return new Decision(plan.kind(), plan.sources().stream().map(RangePlacement::rangeId).toList(),
        first.startString(), last.endString(), planned.request().toInstance(), planned.reason(), atMillis);
  }
}
