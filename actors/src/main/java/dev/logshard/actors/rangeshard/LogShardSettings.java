package dev.logshard.actors.rangeshard;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code logshard} settings of the data path, read once from config. */
public record LogShardSettings(
    int rangeCount,
    int maxKeyBytes,
    int maxValueBytes,
    int maxBatchOperations,
    long maxBatchBytesPerRange,
    Duration askTimeout,
    int snapshotEveryEvents,
    long snapshotAfterBytes,
    boolean deleteEventsOnSnapshot,
    Duration holdDeletesAfterTransferStep,
    boolean batching,
    int batchMaxOperations,
    long batchMaxBytes,
    int maxQueuedOperations,
    long maxQueuedBytes,
    int startStashCapacity,
    Duration shardMapRefresh,
    int maxHeldRequests,
    Duration hostsInterval) {

  public static LogShardSettings create(Config config) {
    Config c = config.getConfig("logshard");
    return new LogShardSettings(
        c.getInt("range-count"),
        Math.toIntExact(c.getBytes("limits.max-key-bytes")),
        Math.toIntExact(c.getBytes("limits.max-value-bytes")),
        c.getInt("limits.max-batch-operations"),
        c.getBytes("limits.max-batch-bytes-per-range"),
        c.getDuration("ask-timeout"),
        c.getInt("snapshot.every-events"),
        c.getBytes("snapshot.after-bytes"),
        c.getBoolean("snapshot.delete-events"),
        c.getDuration("snapshot.hold-deletes-after-transfer-step"),
        c.getBoolean("batching.enabled"),
        c.getInt("batching.max-operations"),
        c.getBytes("batching.max-bytes"),
        c.getInt("batching.max-queued-operations"),
        c.getBytes("batching.max-queued-bytes"),
        c.getInt("start-stash-capacity"),
        c.getDuration("shard-map-refresh"),
        c.getInt("unreachable-node.max-held-requests"),
        c.getDuration("unreachable-node.hosts-interval"));
  }
}
