package dev.logshard.core.forecast;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.KeyRange;
import dev.logshard.core.profile.LoadHistory;
import dev.logshard.core.profile.RingCells;

/**
 * Forecasts of the load on the hash ring: the ring cut into equal segments, one {@link HoltWinters}
 * per segment, fed every step with the requests per second that fell in it. A range's forecast is
 * the sum, over the segments it lies on, of each segment's forecast times the part of that
 * segment's load the range had in the (finer) {@link LoadHistory}. Kept per segment, not per range,
 * so a forecast stays true through splits and merges and is persisted with the history.
 * Immutable; deterministic.
 *
 * @param horizon the steps ahead a forecast looks
 * @param models one per segment, in ring order
 */
public record RingForecast(int horizon, HoltWinters[] models) implements CborSerializable {

  /** A range's forecast: requests per second {@code horizon} steps ahead, the latest observed, and the error. */
  public record Forecast(double requestsPerSecond, double observedRequestsPerSecond, double mape, boolean ready) {}

  public static RingForecast create(ForecastSettings settings) {
    new RingCells(settings.segments()); // validates the count
    HoltWinters[] models = new HoltWinters[settings.segments()];
    HoltWinters empty = HoltWinters.of(settings.alpha(), settings.beta(), settings.gamma(), settings.period(),
        settings.horizonSteps());
    java.util.Arrays.fill(models, empty);
    return new RingForecast(settings.horizonSteps(), models);
  }

  /** Whether this forecast was made with {@code settings}' shape (a changed setting starts afresh). */
  public boolean fits(ForecastSettings settings) {
    HoltWinters m = models[0];
    return models.length == settings.segments() && horizon == settings.horizonSteps()
        && m.period() == settings.period() && m.alpha() == settings.alpha() && m.beta() == settings.beta()
        && (m.period() == 1 || m.gamma() == settings.gamma());
  }

  public RingCells ring() {
    return new RingCells(models.length);
  }

  /** The forecast that learnt one step: {@code requestsPerSecond} per segment. */
  public RingForecast observe(double[] requestsPerSecond) {
    if (requestsPerSecond.length != models.length) {
      throw new IllegalArgumentException("one rate per segment: " + models.length + ", not " + requestsPerSecond.length);
    }
    HoltWinters[] next = new HoltWinters[models.length];
    for (int s = 0; s < models.length; s++) {
      next[s] = models[s].observe(requestsPerSecond[s]);
    }
    return new RingForecast(horizon, next);
  }

  /**
   * Requests per second per segment from accesses per finer cell ({@code cellCounts}, a multiple of
   * the segments) counted over {@code seconds}.
   */
  public double[] rates(double[] cellCounts, double seconds) {
    if (cellCounts.length % models.length != 0) {
      throw new IllegalArgumentException(cellCounts.length + " cells do not fall into " + models.length + " segments");
    }
    int perSegment = cellCounts.length / models.length;
    double[] rates = new double[models.length];
    for (int c = 0; c < cellCounts.length; c++) {
      rates[c / perSegment] += cellCounts[c] / seconds;
    }
    return rates;
  }

  /** {@code range}'s forecast, sharing each segment's out by where {@code history} puts its load. */
  public Forecast of(KeyRange range, LoadHistory history) {
    RingCells ring = ring();
    double forecast = 0;
    double observed = 0;
    double errorWeight = 0;
    double weightedError = 0;
    boolean ready = true;
    for (int s = ring.first(range); s <= ring.last(range); s++) {
      KeyRange segment = new KeyRange(ring.cellStart(s), ring.cellLast(s));
      double share = shareOf(range, segment, s, ring, history);
      if (share <= 0) {
        continue;
      }
      HoltWinters model = models[s];
      forecast += share * Math.max(0, model.forecast(horizon));
      observed += share * model.last();
      ready &= model.ready();
      double mape = model.mape();
      if (!Double.isNaN(mape) && model.last() > 0) {
        // Each segment's error weighs by the load it brings to the range.
        weightedError += mape * share * model.last();
        errorWeight += share * model.last();
      }
    }
    return new Forecast(forecast, observed, errorWeight > 0 ? weightedError / errorWeight : Double.NaN, ready);
  }

  /** The part of segment {@code s}'s load that falls in {@code range}: by history, else by width. */
  private static double shareOf(KeyRange range, KeyRange segment, int s, RingCells ring, LoadHistory history) {
    double width = ring.overlap(range, s);
    if (width <= 0) {
      return 0;
    }
    double segmentLoad = history.loadIn(segment);
    if (segmentLoad <= 0) {
      return width;
    }
    long start = Long.compareUnsigned(range.start(), segment.start()) > 0 ? range.start() : segment.start();
    long last = Long.compareUnsigned(range.last(), segment.last()) < 0 ? range.last() : segment.last();
    return history.loadIn(new KeyRange(start, last)) / segmentLoad;
  }
}
