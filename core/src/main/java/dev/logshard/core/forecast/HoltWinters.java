package dev.logshard.core.forecast;

import dev.logshard.core.CborSerializable;

/**
 * Additive Holt-Winters exponential smoothing of one series: a level, a trend and (with a season
 * of {@code period} observations) a seasonal offset per position in the season. It learns from
 * each observation ({@link #observe}) and forecasts {@code h} observations ahead ({@link #forecast});
 * with {@code period} 1 there is no season (Holt's linear trend). Before it has two whole seasons (or,
 * without a season, two observations) it forecasts the last value.
 *
 * <p>It also tracks its own accuracy: the mean absolute percentage error of its forecasts
 * {@code horizon} observations ahead, measured when each of them comes true ({@link #mape}).
 * An immutable value (so it can be an event-sourced state and a snapshot): {@link #observe}
 * returns the model that learnt one more observation. Plain Java, deterministic.
 *
 * @param seasonal the offset per position in the season
 * @param start the first two seasons, kept until the model starts from them (then empty)
 * @param pending forecasts made {@code horizon} observations ago, by the index of the observation they are for
 */
public record HoltWinters(double alpha, double beta, double gamma, int period, int horizon, long observed,
    double level, double trend, double last, double[] seasonal, double[] start, double[] pending,
    double errorSum, long errors) implements CborSerializable {

  /**
   * A model that has seen nothing yet.
   *
   * @param alpha how fast the level follows (0..1)
   * @param beta how fast the trend follows (0..1)
   * @param gamma how fast the seasonal offsets follow (0..1)
   * @param period observations per season (1: no season)
   * @param horizon how far ahead the tracked error's forecasts look (≥ 1)
   */
  public static HoltWinters of(double alpha, double beta, double gamma, int period, int horizon) {
    if (!(alpha > 0 && alpha <= 1 && beta >= 0 && beta <= 1 && gamma >= 0 && gamma <= 1) || period < 1 || horizon < 1) {
      throw new IllegalArgumentException("smoothing factors must be in [0, 1] (alpha > 0), period and horizon ≥ 1");
    }
    double g = period == 1 ? 0 : gamma; // no season: nothing for an offset to learn
    return new HoltWinters(alpha, beta, g, period, horizon, 0, 0, 0, 0, new double[period], new double[2 * period],
        new double[horizon], 0, 0);
  }

  /** The model that learnt the next observation {@code x}. */
  public HoltWinters observe(double x) {
    double[] nextPending = pending.clone();
    double nextErrorSum = errorSum;
    long nextErrors = errors;
    if (observed >= horizon) {
      double predicted = pending[(int) (observed % horizon)];
      if (!Double.isNaN(predicted) && x != 0) {
        nextErrorSum += Math.abs((x - predicted) / x);
        nextErrors++;
      }
    }
    HoltWinters next;
    if (!ready()) {
      double[] nextStart = start.clone();
      nextStart[(int) observed] = x;
      next = new HoltWinters(alpha, beta, gamma, period, horizon, observed + 1, level, trend, x, seasonal, nextStart,
          nextPending, nextErrorSum, nextErrors);
      if (next.observed == nextStart.length) {
        next = next.initialized();
      }
    } else {
      int position = (int) (observed % period);
      double[] nextSeasonal = seasonal.clone();
      double nextLevel = alpha * (x - seasonal[position]) + (1 - alpha) * (level + trend);
      double nextTrend = beta * (nextLevel - level) + (1 - beta) * trend;
      nextSeasonal[position] = gamma * (x - nextLevel) + (1 - gamma) * seasonal[position];
      next = new HoltWinters(alpha, beta, gamma, period, horizon, observed + 1, nextLevel, nextTrend, x, nextSeasonal,
          start, nextPending, nextErrorSum, nextErrors);
    }
    nextPending[(int) ((next.observed - 1 + horizon) % horizon)] = next.ready() ? next.forecast(horizon) : Double.NaN;
    return next;
  }

  /** The level, trend and offsets from the first two seasons: each season's mean, and their difference per step. */
  private HoltWinters initialized() {
    double first = 0;
    double second = 0;
    for (int i = 0; i < period; i++) {
      first += start[i];
      second += start[period + i];
    }
    first /= period;
    second /= period;
    double slope = (second - first) / period;
    double[] offsets = new double[period];
    for (int i = 0; i < period; i++) {
      // Each position's offset from its season's trend line, averaged over the two seasons.
      double line1 = first + (i - (period - 1) / 2.0) * slope;
      double line2 = second + (i - (period - 1) / 2.0) * slope;
      offsets[i] = ((start[i] - line1) + (start[period + i] - line2)) / 2;
    }
    // The level at the last observation of the second season.
    double startLevel = second + ((period - 1) / 2.0) * slope;
    return new HoltWinters(alpha, beta, gamma, period, horizon, observed, startLevel, slope, last, offsets,
        new double[0], pending, errorSum, errors);
  }

  /** The forecast {@code h} observations after the last one (h ≥ 1). */
  public double forecast(int h) {
    if (h < 1) {
      throw new IllegalArgumentException("h must be at least 1");
    }
    if (!ready()) {
      return last;
    }
    int position = (int) ((observed + h - 1) % period);
    return level + h * trend + seasonal[position];
  }

  /** Whether the model has seen enough to forecast with its trend and season. */
  public boolean ready() {
    return observed >= 2L * period;
  }

  /**
   * The mean absolute percentage error (0.1 = 10 %) of its forecasts {@code horizon} observations
   * ahead, over those that came true (ones made before it was ready, and actual values of 0, are
   * left out); NaN before any.
   */
  public double mape() {
    return errors == 0 ? Double.NaN : errorSum / errors;
  }
}
