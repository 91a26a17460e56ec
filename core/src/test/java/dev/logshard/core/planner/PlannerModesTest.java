package dev.logshard.core.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** Which load each mode plans a range on. */
class PlannerModesTest {

  private static final PlannerModes DEFAULTS = new PlannerModes(PlannerSettings.create(ConfigFactory.load()));

  private static PlannerModes withMargin(String margin) {
    return new PlannerModes(PlannerSettings.create(ConfigFactory.parseString(
        "logshard.planner.forecast.error-margin = " + margin).withFallback(ConfigFactory.load())));
  }

  @Test
  void predictivePlansOnTheForecastRaisedByItsOwnErrorTimesTheMarginOnceTheForecastIsReady() {
    // The default margin: twice the forecast's mean error.
    assertEquals(1_200, DEFAULTS.planned("predictive", 800, 1_000, 0.10, true), 1e-9);
    assertEquals(1_100, withMargin("1").planned("predictive", 800, 1_000, 0.10, true), 1e-9);
    // No error measured yet: the forecast as it is.
    assertEquals(1_000, DEFAULTS.planned("predictive", 800, 1_000, Double.NaN, true), 1e-9);
    // Before the forecast has its season it is only a lag: the measured load.
    assertEquals(800, DEFAULTS.planned("predictive", 800, 1_000, 0.10, false), 1e-9);
  }

  @Test
  void reactiveAndBaselinePlanOnTheMeasuredLoad() {
    assertEquals(800, DEFAULTS.planned("reactive", 800, 1_000, 0.10, true), 1e-9);
    assertEquals(800, DEFAULTS.planned("baseline", 800, 1_000, 0.10, true), 1e-9);
  }

  @Test
  void aNegativeMarginIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> withMargin("-1"));
    assertEquals("logshard.planner.forecast.error-margin must be at least 0, not -1.0", e.getMessage());
  }
}
