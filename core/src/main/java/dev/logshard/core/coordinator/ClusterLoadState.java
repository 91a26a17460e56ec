package dev.logshard.core.coordinator;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.forecast.ForecastSettings;
import dev.logshard.core.forecast.RingForecast;
import dev.logshard.core.profile.CellCounts;
import dev.logshard.core.profile.LoadHistory;

/**
 * What the Coordinator's load view persists: the {@link LoadHistory} of where on the ring the
 * accesses fell, and the {@link RingForecast} learnt from them step by step. Both are kept per
 * part of the ring, so they survive splits, merges and restarts: after a restart, the planner's
 * forecasts start where they left off. Immutable.
 */
public record ClusterLoadState(LoadHistory history, RingForecast forecast) implements CborSerializable {

  public static ClusterLoadState empty(int cells, ForecastSettings forecast) {
    return new ClusterLoadState(LoadHistory.empty(cells), RingForecast.create(forecast));
  }

  /** The state whose history also holds {@code counts} seen at {@code timeMillis}. */
  public ClusterLoadState recorded(long timeMillis, CellCounts counts, long halfLifeMillis) {
    return new ClusterLoadState(history.add(timeMillis, counts, halfLifeMillis), forecast);
  }

  /**
   * The state whose forecast learnt one more step, {@code requestsPerSecond} per segment; a
   * forecast made with other settings (they changed since) starts afresh.
   */
  public ClusterLoadState stepped(double[] requestsPerSecond, ForecastSettings settings) {
    RingForecast current = forecast.fits(settings) ? forecast : RingForecast.create(settings);
    return new ClusterLoadState(history, current.observe(requestsPerSecond));
  }

  /** The forecast to read: this one, or an empty one if it was made with other settings. */
  public RingForecast forecast(ForecastSettings settings) {
    return forecast.fits(settings) ? forecast : RingForecast.create(settings);
  }
}
