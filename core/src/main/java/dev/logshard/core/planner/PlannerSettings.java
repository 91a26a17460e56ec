package dev.logshard.core.planner;

import com.typesafe.config.Config;
import dev.logshard.core.forecast.ForecastSettings;
import dev.logshard.core.transfer.TransferKind;
import dev.logshard.core.transfer.TransferRequest;
import java.time.Duration;
import java.util.List;

/** The {@code logshard.planner} settings (see reference.conf), read once. */
public record PlannerSettings(
    String mode,
    Duration interval,
    double splitShare,
    double splitMinRequestsPerSecond,
    double splitRequestsPerSecond,
    long splitBytes,
    int maxRanges,
    double mergeRequestsPerSecond,
    int minRanges,
    double fastEnterFactor,
    double fastEnterRequestsPerSecond,
    double fastLeaveRequestsPerSecond,
    int maxInFlight,
    Duration cooldown,
    Duration flapWindow,
    double reliefHeadroom,
    double balanceTolerance,
    double colocateMinStrength,
    double nodeCapacityRequestsPerSecond,
    boolean relocate,
    int maxRelocations,
    ForecastSettings forecast,
    double forecastErrorMargin) {

  /**
   * The modes: {@code off} (transfers by hand only), {@code baseline} (what Pekko's own allocation
   * does: even range counts per log instance, no splits, no tiers), {@code reactive} (on the
   * measured load), {@code predictive} (on the larger of the measured and the forecast load).
   */
  public static final List<String> MODES = List.of("off", "baseline", "reactive", "predictive");

  /**
   * Whether {@code request} is carried out as a relocation rather than a transfer: with
   * {@code nodes.relocate} on, a move that only changes the node a range runs on (no log instance
   * named) relocates its generation instead of copying it.
   */
  public boolean relocates(TransferRequest request) {
    return relocate && request.kind() == TransferKind.MOVE && request.toInstance() == null && request.toNode() != null;
  }

  public static PlannerSettings create(Config config) {
    Config c = config.getConfig("logshard.planner");
    if (!MODES.contains(c.getString("mode"))) {
      throw new IllegalArgumentException("logshard.planner.mode must be one of " + MODES + ", not " + c.getString("mode"));
    }
    double errorMargin = c.getDouble("forecast.error-margin");
    if (errorMargin < 0) {
      throw new IllegalArgumentException("logshard.planner.forecast.error-margin must be at least 0, not " + errorMargin);
    }
    return new PlannerSettings(
        c.getString("mode"),
        c.getDuration("interval"),
        c.getDouble("split.share"),
        c.getDouble("split.min-requests-per-second"),
        c.getDouble("split.requests-per-second"),
        c.getBytes("split.bytes"),
        c.getInt("split.max-ranges"),
        c.getDouble("merge.requests-per-second"),
        c.getInt("merge.min-ranges"),
        c.getDouble("fast-tier.enter-factor"),
        c.getDouble("fast-tier.enter-requests-per-second"),
        c.getDouble("fast-tier.leave-requests-per-second"),
        c.getInt("max-in-flight"),
        c.getDuration("cooldown"),
        c.getDuration("flap-window"),
        c.getDouble("relief.headroom"),
        c.getDouble("balance.tolerance"),
        c.getDouble("colocate.min-strength"),
        c.getDouble("nodes.capacity-requests-per-second"),
        c.getBoolean("nodes.relocate"),
        c.getInt("nodes.max-relocations"),
        ForecastSettings.create(config),
        errorMargin);
  }
}
