package dev.logshard.core.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Synthetic, seeded traces with a known truth. */
class LoadTrendTest {

  private static LoadTrend trend() {
    return new LoadTrend(60, 5.0, 30, 1.0);
  }

  @Test
  void aPlantedStepChangeIsFlaggedWithinThreeTicks() {
    for (long seed = 1; seed <= 50; seed++) {
      Random random = new Random(seed);
      LoadTrend trend = trend();
      for (int tick = 0; tick < 120; tick++) {
        assertFalse(trend.add(1000 + random.nextGaussian() * 30).anomaly(), "seed " + seed + " tick " + tick);
      }
      int flaggedAfter = -1;
      for (int tick = 0; tick < 3 && flaggedAfter < 0; tick++) {
        if (trend.add(1300 + random.nextGaussian() * 30).anomaly()) { // +10 standard deviations
          flaggedAfter = tick;
        }
      }
      assertTrue(flaggedAfter >= 0, "step not flagged within 3 ticks, seed " + seed);
    }
  }

  @Test
  void aFlatNoisyTraceRaisesNoAnomaly() {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      LoadTrend trend = trend();
      for (int tick = 0; tick < 600; tick++) {
        LoadTrend.Observation o = trend.add(500 + random.nextGaussian() * 20);
        assertFalse(o.anomaly(), "seed " + seed + " tick " + tick + " z=" + o.zScore());
      }
    }
  }

  @Test
  void aConstantTraceWithTinyChangesRaisesNoAnomalyThanksToTheNoiseFloor() {
    LoadTrend trend = trend();
    for (int tick = 0; tick < 100; tick++) {
      assertFalse(trend.add(tick % 2 == 0 ? 100 : 101).anomaly());
    }
    assertTrue(trend.add(110).anomaly()); // 10 requests off a series that never moved by 2
  }

  @Test
  void theSlopeFollowsALinearRamp() {
    Random random = new Random(7);
    LoadTrend trend = trend();
    LoadTrend.Observation last = null;
    for (int tick = 0; tick < 200; tick++) {
      last = trend.add(50 + 2.5 * tick + random.nextGaussian());
    }
    assertEquals(2.5, last.slope(), 0.1);
    assertEquals(50 + 2.5 * (140 + 199) / 2.0, trend.movingAverage(), 1.0); // mean of the last 60 ticks
    assertEquals(2.5, trend.slope(), 0.1);
    LoadTrend flat = trend();
    for (int tick = 0; tick < 200; tick++) {
      flat.add(80 + random.nextGaussian());
    }
    assertEquals(0, flat.slope(), 0.1);
  }

  @Test
  void nothingIsFlaggedBeforeEnoughSamples() {
    LoadTrend trend = trend();
    for (int i = 0; i < 29; i++) {
      trend.add(10);
    }
    assertFalse(trend.add(100_000).anomaly());
  }
}
