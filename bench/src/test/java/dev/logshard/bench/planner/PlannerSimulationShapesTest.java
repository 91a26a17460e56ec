package dev.logshard.bench.planner;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.logshard.core.planner.PlannerSettings;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every shape of {@code planner-sim} runs (a benchmark that crashes measures nothing), and the
 * events of the growth and drain shapes complete: what is added carries its share, what is drained
 * ends empty, within the simulated hour after the event.
 */
class PlannerSimulationShapesTest {

  private static final PlannerSettings SETTINGS = PlannerSettings.create(ConfigFactory.load());

  private static PlannerSimulation.Metrics run(String shape, double hours) {
    return new SimulatedCluster(SETTINGS, "predictive", new Workload(shape, 10_000, 6_000, 1), true, 5_000)
        .run(hours, 0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"shifting", "diurnal", "flash", "correlated"})
  void everyShapeRuns(String shape) {
    PlannerSimulation.Metrics m = run(shape, 1);
    assertTrue(m.ticks > 0, shape);
  }

  @ParameterizedTest
  @ValueSource(strings = {"grow", "drain", "node-added", "node-drain"})
  void whatIsAddedCarriesItsShareAndWhatIsDrainedEndsEmpty(String shape) {
    PlannerSimulation.Metrics m = run(shape, 2);
    assertFalse(Double.isNaN(m.eventMinutes), shape + ": the event did not complete within an hour");
  }
}
