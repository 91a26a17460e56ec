package dev.logshard.core.forecast;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code logshard.planner.forecast} settings (see reference.conf): the ring's segments, the step
 * between observations, the season and the horizon, and the smoothing factors.
 */
public record ForecastSettings(int segments, Duration step, Duration season, Duration horizon, double alpha,
    double beta, double gamma) {

  public ForecastSettings {
    if (step.isNegative() || step.isZero() || season.compareTo(step) < 0 || horizon.compareTo(step) < 0) {
      throw new IllegalArgumentException("logshard.planner.forecast: step must be positive, season and horizon at least a step");
    }
  }

  public static ForecastSettings create(Config config) {
    Config c = config.getConfig("logshard.planner.forecast");
    return new ForecastSettings(c.getInt("segments"), c.getDuration("step"), c.getDuration("season"),
        c.getDuration("horizon"), c.getDouble("alpha"), c.getDouble("beta"), c.getDouble("gamma"));
  }

  /** Observations per season. */
  public int period() {
    return (int) Math.max(1, season.toMillis() / step.toMillis());
  }

  /** Steps ahead the planner looks: the horizon, rounded up to whole steps. */
  public int horizonSteps() {
    return (int) Math.max(1, (horizon.toMillis() + step.toMillis() - 1) / step.toMillis());
  }
}
