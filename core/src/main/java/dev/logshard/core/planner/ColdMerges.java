package dev.logshard.core.planner;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.planner.PlannerInput.Instance;
import dev.logshard.core.planner.PlannerInput.RangeLoad;
import dev.logshard.core.transfer.TransferRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The merge rule: two neighbours on one log instance (not draining, in no transfer), each below
 * {@code merge.requests-per-second} and together under half of {@code split.bytes}, are proposed for
 * a merge; neighbours used together first (one range then serves what took two).
 */
final class ColdMerges {

  private ColdMerges() {}

  /** The merge of two cold neighbours on one log instance, or null. */
  static Candidate propose(PlannerSettings settings, PlannerInput in, Map<String, Instance> instances,
      Map<String, Map<String, Double>> partners, RangePlacement left, RangePlacement right) {
    Instance on = instances.get(left.logInstance());
    if (in.rangesInTransfer().contains(left.rangeId()) || in.rangesInTransfer().contains(right.rangeId())
        || !left.logInstance().equals(right.logInstance()) || (on != null && on.draining())) {
      return null;
    }
    RangeLoad a = in.loadOf(left.rangeId());
    RangeLoad b = in.loadOf(right.rangeId());
    if (a.plannedRequestsPerSecond() >= settings.mergeRequestsPerSecond()
        || b.plannedRequestsPerSecond() >= settings.mergeRequestsPerSecond()
        || a.storedBytes() + b.storedBytes() >= settings.splitBytes() / 2) {
      return null;
    }
    double together = partners.getOrDefault(left.rangeId(), Map.of()).getOrDefault(right.rangeId(), 0.0);
    return new Candidate(Planner.MERGE_RANK, List.of(left.rangeId(), right.rangeId()),
        TransferRequest.merge(left.rangeId(), right.rangeId()),
        () -> String.format(Locale.ROOT, "cold neighbours: %.1f and %.1f requests/s%s", a.plannedRequestsPerSecond(),
            b.plannedRequestsPerSecond(), together > 0 ? String.format(Locale.ROOT, ", used together %.0f times", together)
                : ""), 0, a.storedBytes() + b.storedBytes()).merging(left, right).ordered(together);
  }
}
