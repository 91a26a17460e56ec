package dev.logshard.core.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HoltWintersTest {

  @Test
  void aStraightLineIsForecastExactly() {
    HoltWinters model = HoltWinters.of(0.3, 0.2, 0, 1, 5);
    for (int t = 0; t < 50; t++) {
      model = model.observe(10 + 2.0 * t);
    }
    for (int h = 1; h <= 10; h++) {
      assertEquals(10 + 2.0 * (49 + h), model.forecast(h), 1e-9, "h=" + h);
    }
    assertEquals(0, model.mape(), 1e-12);
  }

  @Test
  void aTrendWithASeasonIsForecastExactlyWhateverTheSmoothing() {
    double[] season = {10, -10, 5, -5};
    for (double alpha : new double[] {0.1, 0.5, 0.9}) {
      HoltWinters model = HoltWinters.of(alpha, 0.3, 0.4, 4, 3);
      int n = 4 * 5 + 1;
      for (int t = 0; t < n; t++) {
        model = model.observe(100 + 1.5 * t + season[t % 4]);
      }
      for (int h = 1; h <= 8; h++) {
        int t = n - 1 + h;
        assertEquals(100 + 1.5 * t + season[t % 4], model.forecast(h), 1e-9, "alpha " + alpha + ", h=" + h);
      }
    }
  }

  @Test
  void beforeTwoSeasonsItForecastsTheLastValue() {
    HoltWinters model = HoltWinters.of(0.5, 0.1, 0.3, 24, 1);
    model = model.observe(7);
    model = model.observe(9);
    assertFalse(model.ready());
    assertEquals(9, model.forecast(3));
    assertTrue(Double.isNaN(model.mape()));
  }

  @Test
  void aLevelShiftIsFollowedAndTheErrorShowsIt() {
    HoltWinters model = HoltWinters.of(0.5, 0.05, 0, 1, 1);
    for (int t = 0; t < 20; t++) {
      model = model.observe(100);
    }
    assertEquals(0, model.mape(), 1e-12);
    for (int t = 0; t < 30; t++) {
      model = model.observe(300);
    }
    assertEquals(300, model.forecast(1), 5, "it follows the new level");
    assertTrue(model.mape() > 0.01, "the shift cost accuracy: " + model.mape());
  }

  /** A daily cycle (24 per day) with a 10× peak-to-trough swing and 5 % noise, forecast 3 steps ahead. */
  @Test
  void aNoisyDailyCycleIsForecastWithinFifteenPercent() {
    for (long seed = 1; seed <= 10; seed++) {
      Random random = new Random(seed);
      HoltWinters model = HoltWinters.of(0.3, 0.05, 0.3, 24, 3);
      for (int t = 0; t < 24 * 14; t++) {
        double cycle = 550 + 450 * Math.sin(2 * Math.PI * t / 24); // 100 at the trough, 1,000 at the peak
        model = model.observe(cycle * (1 + 0.05 * random.nextGaussian()));
      }
      assertTrue(model.mape() < 0.15, "seed " + seed + ": MAPE " + model.mape());
    }
  }

  @Test
  void badParametersAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> HoltWinters.of(0, 0.1, 0.1, 4, 1));
    assertThrows(IllegalArgumentException.class, () -> HoltWinters.of(0.5, 1.5, 0.1, 4, 1));
    assertThrows(IllegalArgumentException.class, () -> HoltWinters.of(0.5, 0.1, 0.1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> HoltWinters.of(0.5, 0.1, 0.1, 4, 0));
    assertThrows(IllegalArgumentException.class, () -> HoltWinters.of(0.5, 0.1, 0.1, 4, 1).forecast(0));
  }
}
