package dev.logshard.core.profile;

/**
 * Trend and anomaly detection over one load series (say, a range's requests per tick): a sliding
 * window's moving average and standard deviation, a z-score per new value against the window
 * before it, an anomaly flag when {@code |z|} crosses a threshold, and the window's least-squares
 * slope (units per tick). Plain arithmetic, deterministic; one instance per series, not thread-safe.
 */
public final class LoadTrend {

  /** What one new value says: the baseline it was compared with, its z-score, and the trend. */
  public record Observation(double value, double mean, double stdDev, double zScore, boolean anomaly, double slope) {}

  private final double[] window;
  private final double zThreshold;
  private final int minSamples;
  private final double noiseFloor;
  private int count;
  private int next;

  /**
   * @param windowTicks how many past values form the baseline
   * @param zThreshold how many standard deviations from the mean count as an anomaly
   * @param minSamples values needed before anything is flagged
   * @param noiseFloor smallest standard deviation assumed (a perfectly flat series would otherwise
   *     flag any change at all, like 100 → 101 requests)
   */
  public LoadTrend(int windowTicks, double zThreshold, int minSamples, double noiseFloor) {
    if (windowTicks < 2 || minSamples < 2 || minSamples > windowTicks) {
      throw new IllegalArgumentException("need 2 <= minSamples <= windowTicks");
    }
    this.window = new double[windowTicks];
    this.zThreshold = zThreshold;
    this.minSamples = minSamples;
    this.noiseFloor = noiseFloor;
  }

  public Observation add(double value) {
    int n = Math.min(count, window.length);
    double mean = 0;
    for (int i = 0; i < n; i++) {
      mean += window[i];
    }
    mean = n == 0 ? value : mean / n;
    double variance = 0;
    for (int i = 0; i < n; i++) {
      double d = window[i] - mean;
      variance += d * d;
    }
    double stdDev = n < 2 ? 0 : Math.sqrt(variance / (n - 1));
    double z = (value - mean) / Math.max(stdDev, noiseFloor);
    boolean anomaly = n >= minSamples && Math.abs(z) >= zThreshold;
    window[next] = value;
    next = (next + 1) % window.length;
    count++;
    return new Observation(value, mean, stdDev, z, anomaly, slope());
  }

  /** Mean of the window's values, the newest included; 0 before any. */
  public double movingAverage() {
    int n = Math.min(count, window.length);
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += window[i];
    }
    return n == 0 ? 0 : sum / n;
  }

  /** Least-squares slope of the window's values against their tick, oldest first. */
  public double slope() {
    int n = Math.min(count, window.length);
    if (n < 2) {
      return 0;
    }
    int oldest = count <= window.length ? 0 : next;
    double sumX = 0;
    double sumY = 0;
    double sumXY = 0;
    double sumXX = 0;
    for (int x = 0; x < n; x++) {
      double y = window[(oldest + x) % window.length];
      sumX += x;
      sumY += y;
      sumXY += x * y;
      sumXX += (double) x * x;
    }
    return (n * sumXY - sumX * sumY) / (n * sumXX - sumX * sumX);
  }
}
