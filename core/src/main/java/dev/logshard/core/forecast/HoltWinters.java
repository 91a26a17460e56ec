package dev.logshard.core.forecast;

/**
 * Additive Holt-Winters exponential smoothing of one series: a level, a trend and (with a season
 * of {@code period} observations) a seasonal offset per position in the season. It learns from
 * each observation ({@link #observe}) and forecasts {@code h} observations ahead ({@link #forecast});
 * with {@code period} 1 there is no season (Holt's linear trend). Before it has two whole seasons (or,
 * without a season, two observations) it forecasts the last value.
 *
 * <p>It also tracks its own accuracy: the mean absolute percentage error of its forecasts
 * {@code horizon} observations ahead, measured when each of them comes true ({@link #mape}).
 * Plain Java, deterministic; not thread-safe.
 */
public final class HoltWinters {

  private final double alpha;
  private final double beta;
  private final double gamma;
  private final int period;
  private final int horizon;
  private final double[] seasonal;
  /** The first two seasons, kept until the model starts from them. */
  private final double[] start;
  private long observed;
  private double level;
  private double trend;
  private double last;
  /** Forecasts made {@code horizon} observations ago, by the index of the observation they are for. */
  private final double[] pending;
  private double errorSum;
  private long errors;

  /**
   * @param alpha how fast the level follows (0..1)
   * @param beta how fast the trend follows (0..1)
   * @param gamma how fast the seasonal offsets follow (0..1)
   * @param period observations per season (1: no season)
   * @param horizon how far ahead the tracked error's forecasts look (≥ 1)
   */
  public HoltWinters(double alpha, double beta, double gamma, int period, int horizon) {
    if (!(alpha > 0 && alpha <= 1 && beta >= 0 && beta <= 1 && gamma >= 0 && gamma <= 1) || period < 1 || horizon < 1) {
      throw new IllegalArgumentException("smoothing factors must be in [0, 1] (alpha > 0), period and horizon ≥ 1");
    }
    this.alpha = alpha;
    this.beta = beta;
    this.gamma = period == 1 ? 0 : gamma; // no season: nothing for an offset to learn
    this.period = period;
    this.horizon = horizon;
    this.seasonal = new double[period];
    this.start = new double[2 * period];
    this.pending = new double[horizon];
  }

  /** Learns the next observation. */
  public void observe(double x) {
    trackError(x);
    if (observed < start.length) {
      start[(int) observed] = x;
      observed++;
      last = x;
      if (observed == start.length) {
        initialize();
      }
      rememberForecast();
      return;
    }
    int position = (int) (observed % period);
    double previousLevel = level;
    level = alpha * (x - seasonal[position]) + (1 - alpha) * (level + trend);
    trend = beta * (level - previousLevel) + (1 - beta) * trend;
    seasonal[position] = gamma * (x - level) + (1 - gamma) * seasonal[position];
    observed++;
    last = x;
    rememberForecast();
  }

  /** The level, trend and offsets from the first two seasons: each season's mean, and their difference per step. */
  private void initialize() {
    double first = 0;
    double second = 0;
    for (int i = 0; i < period; i++) {
      first += start[i];
      second += start[period + i];
    }
    first /= period;
    second /= period;
    trend = (second - first) / period;
    for (int i = 0; i < period; i++) {
      // Each position's offset from its season's trend line, averaged over the two seasons.
      double line1 = first + (i - (period - 1) / 2.0) * trend;
      double line2 = second + (i - (period - 1) / 2.0) * trend;
      seasonal[i] = ((start[i] - line1) + (start[period + i] - line2)) / 2;
    }
    // The level at the last observation of the second season.
    level = second + ((period - 1) / 2.0) * trend;
  }

  /** The forecast {@code h} observations after the last one (h ≥ 1). */
  public double forecast(int h) {
    if (h < 1) {
      throw new IllegalArgumentException("h must be at least 1");
    }
    if (observed < start.length) {
      return last;
    }
    int position = (int) ((observed + h - 1) % period);
    return level + h * trend + seasonal[position];
  }

  /** Whether the model has seen enough to forecast with its trend and season. */
  public boolean ready() {
    return observed >= start.length;
  }

  /**
   * The mean absolute percentage error (0.1 = 10 %) of its forecasts {@code horizon} observations
   * ahead, over those that came true (ones made before it was ready, and actual values of 0, are
   * left out); NaN before any.
   */
  public double mape() {
    return errors == 0 ? Double.NaN : errorSum / errors;
  }

  private void rememberForecast() {
    pending[(int) ((observed - 1 + horizon) % horizon)] = ready() ? forecast(horizon) : Double.NaN;
  }

  private void trackError(double actual) {
    if (observed < horizon) {
      return;
    }
    double predicted = pending[(int) (observed % horizon)];
    if (!Double.isNaN(predicted) && actual != 0) {
      errorSum += Math.abs((actual - predicted) / actual);
      errors++;
    }
  }
}
