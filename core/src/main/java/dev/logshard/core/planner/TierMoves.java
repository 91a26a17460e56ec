package dev.logshard.core.planner;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.planner.PlannerInput.Instance;
import dev.logshard.core.planner.PlannerInput.RangeLoad;
import dev.logshard.core.transfer.TransferRequest;
import java.util.List;
import java.util.Locale;

/**
 * The tier rule: a range whose planned load reaches {@code fast.enter-requests-per-second} and
 * {@code fast.enter-factor} times the mean range's moves to the fast tier; one on it whose planned
 * load falls below {@code fast.leave-requests-per-second} moves off it (which instance takes it is
 * the round's choice, by room).
 */
final class TierMoves {

  private TierMoves() {}

  /** {@code on}: the range's instance (null if unknown); {@code meanRange}: the mean range's planned load. */
  static void propose(PlannerSettings settings, RangePlacement p, RangeLoad load, Instance on, double meanRange,
      List<Candidate> out) {
    double planned = load.plannedRequestsPerSecond();
    boolean onFast = on != null && "fast".equals(on.tier());
    if (!onFast && planned >= settings.fastEnterRequestsPerSecond() && planned >= settings.fastEnterFactor() * meanRange) {
      out.add(new Candidate(1, List.of(p.rangeId()), TransferRequest.move(p.rangeId(), null),
          () -> String.format(Locale.ROOT, "hot: %.0f requests/s (%.1f times the mean range's) to the fast tier",
              planned, planned / meanRange), planned, load.storedBytes()).towardTier("fast"));
    } else if (onFast && planned < settings.fastLeaveRequestsPerSecond()) {
      out.add(new Candidate(3, List.of(p.rangeId()), TransferRequest.move(p.rangeId(), null),
          () -> String.format(Locale.ROOT, "cold: %.0f requests/s, below %.0f: off the fast tier", planned,
              settings.fastLeaveRequestsPerSecond()), settings.fastLeaveRequestsPerSecond() - planned,
          load.storedBytes()).towardTier("standard"));
    }
  }
}
