package dev.logshard.core.transfer;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code logshard.transfer} settings, read once from config (see reference.conf). */
public record TransferSettings(
    long chunkBytes,
    long copyBytesPerSecond,
    int cdcBatch,
    Duration cdcBatchWithin,
    Duration progressInterval,
    Duration stepTimeout,
    long catchUpLag,
    double redirectStep,
    Duration redirectInterval,
    double redirectTarget,
    long redirectMaxLag,
    long fenceLag,
    Duration fenceTimeout,
    Duration stopAndCopyTimeout,
    Duration cleanupAfter,
    Duration placementSettle,
    boolean faultInjection) {

  public static TransferSettings create(Config config) {
    Config c = config.getConfig("logshard.transfer");
    return new TransferSettings(
        c.getBytes("chunk-bytes"),
        c.getBytes("copy-bytes-per-second"),
        c.getInt("cdc-batch"),
        c.getDuration("cdc-batch-within"),
        c.getDuration("progress-interval"),
        c.getDuration("step-timeout"),
        c.getLong("catch-up-lag"),
        c.getDouble("redirect.step"),
        c.getDuration("redirect.interval"),
        c.getDouble("redirect.target"),
        c.getLong("redirect.max-lag"),
        c.getLong("fence-lag"),
        c.getDuration("fence-timeout"),
        c.getDuration("stop-and-copy-timeout"),
        c.getDuration("cleanup-after"),
        c.getDuration("placement-settle"),
        c.getBoolean("fault-injection"));
  }
}
