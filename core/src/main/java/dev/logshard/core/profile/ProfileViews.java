package dev.logshard.core.profile;

import dev.logshard.core.CborSerializable;
import java.util.List;

/** What a node's profile answers ({@link NodeProfile}): the views the admin API shows. */
public final class ProfileViews {

  private ProfileViews() {}

  /** Every range's load over the last tick. */
  public record LoadView(long timeMillis, long epoch, List<ShardLoad> ranges) implements CborSerializable {}

  /** A range's hot keys and load-median split point over the current profile window; {@code found} false for an unknown range. */
  public record HotKeysView(boolean found, String rangeId, long sampled, List<RangeProfile.HotKey> hotKeys, String splitPoint)
      implements CborSerializable {}

  /** Heat per range (rows, in ring order) per time bucket (columns, oldest first). */
  public record HeatmapView(String resolution, long bucketMillis, long fromMillis, List<String> rangeIds, double[][] heat)
      implements CborSerializable {}

  /** A tick whose load was {@code zScore} standard deviations off its range's moving average. */
  public record Anomaly(long timeMillis, String rangeId, double requestsPerSecond, double movingAverage, double zScore)
      implements CborSerializable {}

  public record AnomaliesView(List<Anomaly> anomalies) implements CborSerializable {}

  /**
   * Two ranges accessed together ({@code coAccess}: how often, by one batch or one client within
   * the window, fading) and the Pearson correlation of their per-second load over the last 10 min.
   */
  public record CorrelatedRanges(String a, String b, double coAccess, double loadCorrelation) implements CborSerializable {}

  public record CorrelationsView(List<CorrelatedRanges> pairs) implements CborSerializable {}
}
