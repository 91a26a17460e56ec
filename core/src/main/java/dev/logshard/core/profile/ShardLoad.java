package dev.logshard.core.profile;

import dev.logshard.core.CborSerializable;

/**
 * One range's load over the last profiler tick (per second, and its requests' latency), with the
 * moving average of its requests per second and their trend (slope per tick) over the trend window,
 * and its keys and stored bytes as its RangeShard last reported them (null if it has not run on
 * this node since the node started).
 */
public record ShardLoad(
    String rangeId, String start, String end, double readsPerSecond, double writesPerSecond,
    double bytesInPerSecond, double bytesOutPerSecond, double p50LatencyMillis, double p99LatencyMillis,
    double averageRequestsPerSecond, double trendSlope, Long keyCount, Long storedBytes)
    implements CborSerializable {}
