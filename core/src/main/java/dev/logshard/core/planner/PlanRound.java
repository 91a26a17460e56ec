package dev.logshard.core.planner;

import java.util.List;

/** One planning round's result: the transfers to start, in order, and what was considered and skipped, with why. */
public record PlanRound(List<PlannedTransfer> transfers, List<Skipped> skipped) {

  /** A transfer the rules wanted but a limit held back. */
  public record Skipped(String rangeId, String wanted, String why) {}
}
