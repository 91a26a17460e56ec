package dev.logshard.persistence.rocksdb;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * One log instance's RocksDB settings, read from its plugin config (the journal's, snapshot
 * store's and query's carry the same; whichever opens the database first sets them).
 *
 * @param dir the instance's directory
 * @param durability {@code process}: the write-ahead log is written before a write is acknowledged
 *     (survives a kill -9 of the process); {@code fsync}: it is also synced to the disk (survives
 *     power loss), one sync per group of writes
 * @param blockCacheBytes the read cache
 * @param writeBufferBytes one memtable
 * @param maxWriteBuffers memtables (one written to, the others flushing)
 * @param maxOpenFiles table files kept open (-1: all)
 * @param backgroundJobs flush and compaction threads
 * @param maxWalBytes the write-ahead log's size at which the memtables it keeps alive are flushed
 * @param levelBaseBytes the first level's target size (the levels below grow by 10 each; a table file is a quarter of it)
 * @param queryBatch events a query reads at a time
 * @param queryRefresh how long a live query waits for a write it was not told of before it reads
 *     again (writes in this process wake it at once)
 */
public record RocksSettings(Path dir, Durability durability, long blockCacheBytes, long writeBufferBytes,
    int maxWriteBuffers, int maxOpenFiles, int backgroundJobs, long maxWalBytes, long levelBaseBytes, int queryBatch,
    Duration queryRefresh) {

  /** When a write is acknowledged. */
  public enum Durability {
    PROCESS, FSYNC
  }

  public static RocksSettings create(Config plugin) {
    return new RocksSettings(
        Path.of(plugin.getString("dir")).toAbsolutePath().normalize(),
        Durability.valueOf(plugin.getString("durability").toUpperCase(Locale.ROOT)),
        plugin.getBytes("block-cache-size"),
        plugin.getBytes("write-buffer-size"),
        plugin.getInt("max-write-buffers"),
        plugin.getInt("max-open-files"),
        plugin.getInt("background-jobs"),
        plugin.getBytes("max-wal-size"),
        plugin.getBytes("level-base-size"),
        plugin.getInt("query-batch"),
        plugin.getDuration("query-refresh-interval"));
  }
}
