package dev.logshard.core.profile;

import dev.logshard.core.CborSerializable;

/**
 * One range's load over the last profiler tick (per second, and its requests' latency), with the
 * moving average of its requests per second and their trend (slope per tick) over the trend window,
 * its keys and stored bytes as its RangeShard last reported them (null if it has not run on this
 * node since the node started), and the share of its sampled accesses that went to its most
 * accessed key over the profile window (null: too few samples to say; a split cannot divide a load
 * that one key carries).
 */
public record ShardLoad(
    String rangeId, String start, String end, double readsPerSecond, double writesPerSecond,
    double bytesInPerSecond, double bytesOutPerSecond, double p50LatencyMillis, double p99LatencyMillis,
    double averageRequestsPerSecond, double trendSlope, Long keyCount, Long storedBytes, Double topKeyShare)
    implements CborSerializable {

  /** Without a top key's share (unknown). */
  public ShardLoad(String rangeId, String start, String end, double readsPerSecond, double writesPerSecond,
      double bytesInPerSecond, double bytesOutPerSecond, double p50LatencyMillis, double p99LatencyMillis,
      double averageRequestsPerSecond, double trendSlope, Long keyCount, Long storedBytes) {
    this(rangeId, start, end, readsPerSecond, writesPerSecond, bytesInPerSecond, bytesOutPerSecond, p50LatencyMillis,
        p99LatencyMillis, averageRequestsPerSecond, trendSlope, keyCount, storedBytes, null);
  }
}
