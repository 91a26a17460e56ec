package dev.logshard.persistence.rocksdb;

import dev.logshard.persistence.rocksdb.RocksSettings.Durability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Cache;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * One log instance's open RocksDB: its events (column family {@code journal}), snapshots
 * ({@code snapshots}) and, per persistence id, the highest sequence number its deleted events
 * reached ({@code meta}: deletion must not lower what recovery reads as the highest). The journal,
 * snapshot store and queries of the instance share it: {@link #acquire} opens it for the first
 * user, {@link #release} closes it after the last. Writes go through one {@link GroupCommit};
 * reads are direct (RocksDB reads are safe from any thread).
 */
public final class RocksLog {

  static {
    RocksDB.loadLibrary();
  }

  private static final Map<Path, RocksLog> OPEN = new HashMap<>();

  private final RocksSettings settings;
  private final Cache cache;
  private final ColumnFamilyOptions familyOptions;
  private final DBOptions options;
  private final WriteOptions writeOptions;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  final ColumnFamilyHandle journal;
  final ColumnFamilyHandle snapshots;
  final ColumnFamilyHandle meta;
  private final GroupCommit commit;
  private final LiveEvents live = new LiveEvents();
  private int users;

  private RocksLog(RocksSettings settings) throws RocksDBException {
    this.settings = settings;
    try {
      Files.createDirectories(settings.dir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the log instance directory " + settings.dir(), e);
    }
    cache = new LRUCache(settings.blockCacheBytes());
    familyOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(settings.writeBufferBytes())
        .setMaxWriteBufferNumber(settings.maxWriteBuffers())
        .setCompressionType(CompressionType.LZ4_COMPRESSION)
        .setLevelCompactionDynamicLevelBytes(true)
        .setMaxBytesForLevelBase(settings.levelBaseBytes())
        .setTargetFileSizeBase(settings.levelBaseBytes() / 4)
        .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(new BloomFilter(10)));
    options = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setMaxOpenFiles(settings.maxOpenFiles())
        .setMaxBackgroundJobs(settings.backgroundJobs())
        .setKeepLogFileNum(3)
        // A column family written rarely (snapshots, meta) would otherwise keep every log file
        // alive until the default limit, 4 x all memtables: hundreds of MB of log on disk.
        .setMaxTotalWalSize(settings.maxWalBytes());
    writeOptions = new WriteOptions().setSync(settings.durability() == Durability.FSYNC);
    List<ColumnFamilyDescriptor> families = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions),
        new ColumnFamilyDescriptor("journal".getBytes(StandardCharsets.UTF_8), familyOptions),
        new ColumnFamilyDescriptor("snapshots".getBytes(StandardCharsets.UTF_8), familyOptions),
        new ColumnFamilyDescriptor("meta".getBytes(StandardCharsets.UTF_8), familyOptions));
    db = RocksDB.open(options, settings.dir().toString(), families, handles);
    journal = handles.get(1);
    snapshots = handles.get(2);
    meta = handles.get(3);
    commit = new GroupCommit(db, writeOptions, settings.dir().getFileName().toString());
  }

  /** The open database in {@code settings.dir()}, opened if this is its first user. */
  public static RocksLog acquire(RocksSettings settings) {
    synchronized (OPEN) {
      RocksLog log = OPEN.get(settings.dir());
      if (log == null) {
        try {
          log = new RocksLog(settings);
        } catch (RocksDBException e) {
          throw new IllegalStateException("cannot open the log instance at " + settings.dir() + ": " + e.getMessage(), e);
        }
        OPEN.put(settings.dir(), log);
      }
      log.users++;
      return log;
    }
  }

  /** Done with it: the last user's release writes what is queued and closes the database. */
  public void release() {
    synchronized (OPEN) {
      if (--users > 0) {
        return;
      }
      OPEN.remove(settings.dir());
    }
    commit.close();
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    writeOptions.close();
    options.close();
    familyOptions.close();
    cache.close();
  }

  /** The statistics of the database in {@code dir} if it is open in this JVM. */
  public static Optional<Map<String, Long>> statsOf(Path dir) {
    RocksLog log;
    synchronized (OPEN) {
      log = OPEN.get(dir.toAbsolutePath().normalize());
    }
    return Optional.ofNullable(log).map(RocksLog::stats);
  }

  public RocksSettings settings() {
    return settings;
  }

  RocksDB db() {
    return db;
  }

  LiveEvents live() {
    return live;
  }

  /** Writes {@code changes} with the next group. */
  CompletableFuture<Void> write(GroupCommit.Changes changes) {
    return commit.write(changes);
  }

  /** Each stored event of the id from {@code from} to {@code to}, at most {@code max}, in order. */
  void events(byte[] prefix, long from, long to, long max, EventVisitor visitor) {
    try (RocksIterator it = db.newIterator(journal)) {
      long n = 0;
      for (it.seek(RocksKeys.event(prefix, from)); it.isValid() && n < max; it.next()) {
        byte[] key = it.key();
        if (!RocksKeys.startsWith(key, prefix)) {
          return;
        }
        long seqNr = RocksKeys.seqNr(key, prefix);
        if (seqNr > to) {
          return;
        }
        visitor.visit(seqNr, it.value());
        n++;
      }
    }
  }

  /** An event's sequence number and stored bytes. */
  @FunctionalInterface
  interface EventVisitor {
    void visit(long seqNr, byte[] value);
  }

  /** The highest sequence number the id ever wrote (deleted events included), 0 if none. */
  long highestSequenceNr(byte[] prefix) throws RocksDBException {
    long deleted = RocksKeys.longOf(db.get(meta, prefix));
    try (RocksIterator it = db.newIterator(journal)) {
      it.seekForPrev(RocksKeys.event(prefix, Long.MAX_VALUE));
      if (it.isValid() && RocksKeys.startsWith(it.key(), prefix)) {
        return Math.max(deleted, RocksKeys.seqNr(it.key(), prefix));
      }
    }
    return deleted;
  }

  /** Summed over the column families. */
  private static final List<String> FAMILY_STATS = List.of("estimate-live-data-size", "total-sst-files-size",
      "live-sst-files-size", "cur-size-all-mem-tables", "estimate-num-keys", "compaction-pending");
  /** Of the whole database. */
  private static final List<String> DB_STATS = List.of("num-running-compactions", "num-running-flushes",
      "actual-delayed-write-rate", "is-write-stopped", "block-cache-usage");

  /** What an operator may want to see: space, memtables, compactions, stalls, cache. */
  public Map<String, Long> stats() {
    Map<String, Long> stats = new LinkedHashMap<>();
    try {
      for (String property : FAMILY_STATS) {
        long total = 0;
        for (ColumnFamilyHandle h : handles) {
          total += db.getLongProperty(h, "rocksdb." + property);
        }
        stats.put(property, total);
      }
      for (String property : DB_STATS) {
        stats.put(property, db.getLongProperty("rocksdb." + property));
      }
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot read the statistics of " + settings.dir() + ": " + e.getMessage(), e);
    }
    return stats;
  }
}
