package dev.logshard.core.planner;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code logshard.planner} settings (see reference.conf), read once. */
public record PlannerSettings(
    String mode,
    Duration interval,
    double splitShare,
    double splitMinRequestsPerSecond,
    double splitRequestsPerSecond,
    long splitBytes,
    double mergeRequestsPerSecond,
    int minRanges,
    double fastEnterFactor,
    double fastEnterRequestsPerSecond,
    double fastLeaveRequestsPerSecond,
    int maxInFlight,
    Duration cooldown,
    Duration flapWindow) {

  /** The modes there are so far. */
  public static final java.util.List<String> MODES = java.util.List.of("off", "reactive");

  public static PlannerSettings create(Config config) {
    Config c = config.getConfig("logshard.planner");
    if (!MODES.contains(c.getString("mode"))) {
      throw new IllegalArgumentException("logshard.planner.mode must be one of " + MODES + ", not " + c.getString("mode"));
    }
    return new PlannerSettings(
        c.getString("mode"),
        c.getDuration("interval"),
        c.getDouble("split.share"),
        c.getDouble("split.min-requests-per-second"),
        c.getDouble("split.requests-per-second"),
        c.getBytes("split.bytes"),
        c.getDouble("merge.requests-per-second"),
        c.getInt("merge.min-ranges"),
        c.getDouble("fast-tier.enter-factor"),
        c.getDouble("fast-tier.enter-requests-per-second"),
        c.getDouble("fast-tier.leave-requests-per-second"),
        c.getInt("max-in-flight"),
        c.getDuration("cooldown"),
        c.getDuration("flap-window"));
  }
}
