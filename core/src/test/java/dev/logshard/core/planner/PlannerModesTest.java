package dev.logshard.core.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Which load each mode plans a range on. */
class PlannerModesTest {

  @Test
  void predictivePlansOnTheForecastRaisedByItsOwnErrorOnceTheForecastIsReady() {
    assertEquals(1_100, PlannerModes.planned("predictive", 800, 1_000, 0.10, true), 1e-9);
    // No error measured yet: the forecast as it is.
    assertEquals(1_000, PlannerModes.planned("predictive", 800, 1_000, Double.NaN, true), 1e-9);
    // Before the forecast has its season it is only a lag: the measured load.
    assertEquals(800, PlannerModes.planned("predictive", 800, 1_000, 0.10, false), 1e-9);
  }

  @Test
  void reactiveAndBaselinePlanOnTheMeasuredLoad() {
    assertEquals(800, PlannerModes.planned("reactive", 800, 1_000, 0.10, true), 1e-9);
    assertEquals(800, PlannerModes.planned("baseline", 800, 1_000, 0.10, true), 1e-9);
  }
}
