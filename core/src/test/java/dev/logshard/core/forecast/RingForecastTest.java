package dev.logshard.core.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logshard.core.KeyRange;
import dev.logshard.core.profile.CellCounts;
import dev.logshard.core.profile.LoadHistory;
import dev.logshard.core.profile.RingCells;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RingForecastTest {

  /** 4 segments, a step of a minute, a season of 4 steps, 2 steps ahead. */
  private static final ForecastSettings SMALL = new ForecastSettings(4, Duration.ofMinutes(1), Duration.ofMinutes(4),
      Duration.ofMinutes(2), 0.3, 0.2, 0.3);

  @Test
  void theWholeRingForecastsTheSumOfItsSegments() {
    RingForecast forecast = RingForecast.create(SMALL);
    double[] season = {10, -10, 5, -5};
    int n = 4 * 4;
    for (int t = 0; t < n; t++) {
      double[] rates = new double[4];
      for (int s = 0; s < 4; s++) {
        rates[s] = (s + 1) * (100 + 2.0 * t + season[t % 4]);
      }
      forecast = forecast.observe(rates);
    }
    RingForecast.Forecast whole = forecast.of(KeyRange.full(), LoadHistory.empty(16));
    int t = n - 1 + 2;
    assertEquals(10 * (100 + 2.0 * t + season[t % 4]), whole.requestsPerSecond(), 1e-6);
    assertEquals(10 * (100 + 2.0 * (n - 1) + season[(n - 1) % 4]), whole.observedRequestsPerSecond(), 1e-6);
    assertTrue(whole.ready());
  }

  @Test
  void aRangeGetsTheShareOfItsSegmentThatTheHistoryGivesIt() {
    RingForecast forecast = RingForecast.create(SMALL);
    for (int t = 0; t < 3; t++) {
      forecast = forecast.observe(new double[] {1000, 0, 0, 0});
    }
    // 16 history cells, 4 per segment: 90 % of segment 0's past load in its first cell.
    double[] past = new double[16];
    past[0] = 900;
    past[1] = 50;
    past[2] = 50;
    LoadHistory history = LoadHistory.empty(16).add(1, CellCounts.of(past), 1000);
    RingCells cells = history.ring();
    KeyRange firstCell = new KeyRange(0, cells.cellLast(0));
    KeyRange restOfSegment = new KeyRange(cells.cellStart(1), cells.cellLast(3));
    assertEquals(900, forecast.of(firstCell, history).requestsPerSecond(), 1e-6);
    assertEquals(100, forecast.of(restOfSegment, history).requestsPerSecond(), 1e-6);
    assertFalse(forecast.of(firstCell, history).ready(), "three steps: fewer than two seasons");
    // Without history the segment is shared by width.
    assertEquals(250, forecast.of(firstCell, LoadHistory.empty(16)).requestsPerSecond(), 1e-6);
  }

  /** A daily cycle at 5-minute steps, peak 10x the trough, 5 % noise, per segment: the planning horizon's error. */
  @Test
  void aNoisyDailyCycleIsForecastAtTheHorizonWithinFifteenPercent() {
    ForecastSettings daily = new ForecastSettings(8, Duration.ofMinutes(5), Duration.ofDays(1), Duration.ofMinutes(5),
        0.3, 0.05, 0.3);
    for (long seed = 1; seed <= 5; seed++) {
      Random random = new Random(seed);
      RingForecast forecast = RingForecast.create(daily);
      int period = daily.period();
      for (int t = 0; t < period * 5; t++) {
        double cycle = 550 + 450 * Math.sin(2 * Math.PI * t / period);
        double[] rates = new double[8];
        for (int s = 0; s < 8; s++) {
          rates[s] = cycle * (s + 1) * (1 + 0.05 * random.nextGaussian());
        }
        forecast = forecast.observe(rates);
      }
      for (KeyRange range : List.of(KeyRange.full(), KeyRange.equalSplit(8).get(3))) {
        double mape = forecast.of(range, LoadHistory.empty(64)).mape();
        assertTrue(mape < 0.15, "seed " + seed + ", " + range + ": MAPE " + mape);
      }
    }
  }

  @Test
  void aForecastKnowsWhetherItWasMadeWithTheSettings() {
    RingForecast forecast = RingForecast.create(SMALL);
    assertTrue(forecast.fits(SMALL));
    assertFalse(forecast.fits(new ForecastSettings(8, Duration.ofMinutes(1), Duration.ofMinutes(4),
        Duration.ofMinutes(2), 0.3, 0.2, 0.3)));
    assertFalse(forecast.fits(new ForecastSettings(4, Duration.ofMinutes(1), Duration.ofMinutes(8),
        Duration.ofMinutes(2), 0.3, 0.2, 0.3)));
    assertThrows(IllegalArgumentException.class, () -> forecast.observe(new double[3]));
    assertThrows(IllegalArgumentException.class, () -> new ForecastSettings(4, Duration.ZERO, Duration.ofMinutes(4),
        Duration.ofMinutes(2), 0.3, 0.2, 0.3));
  }

  @Test
  void cellCountsBecomeRatesPerSegment() {
    RingForecast forecast = RingForecast.create(SMALL);
    double[] cells = new double[16];
    cells[0] = 60;
    cells[5] = 120;
    cells[15] = 30;
    double[] rates = forecast.rates(cells, 60);
    assertEquals(1, rates[0], 1e-12);
    assertEquals(2, rates[1], 1e-12);
    assertEquals(0, rates[2], 1e-12);
    assertEquals(0.5, rates[3], 1e-12);
  }
}
