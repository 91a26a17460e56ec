package dev.logshard.persistence.rocksdb;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.serialization.Serialization;

/**
 * Writes events and snapshots into a log instance's RocksDB database as its journal and snapshot
 * store would have (the same keys and serialization), for a migration from another engine. Open it
 * on a database no plugin uses; {@link #close} releases it.
 */
public final class RocksImport implements AutoCloseable {

  private final RocksLog log;
  private final RocksCodec codec;

  private RocksImport(RocksLog log, Serialization serialization) {
    this.log = log;
    this.codec = new RocksCodec(serialization);
  }

  public static RocksImport open(RocksSettings settings, Serialization serialization) {
    return new RocksImport(RocksLog.acquire(settings), serialization);
  }

  /** Events of one persistence id, as they were written (sequence numbers and timestamps kept). */
  public CompletableFuture<Void> events(String persistenceId, List<PersistentRepr> events) {
    byte[] prefix = RocksKeys.prefix(persistenceId);
    return log.write(batch -> {
      for (PersistentRepr repr : events) {
        batch.put(log.journal, RocksKeys.event(prefix, repr.sequenceNr()), codec.event(repr));
      }
    });
  }

  /** A snapshot with its metadata. */
  public CompletableFuture<Void> snapshot(SnapshotMetadata metadata, Object snapshot) {
    byte[] key = RocksKeys.snapshot(RocksKeys.prefix(metadata.persistenceId()), metadata.sequenceNr(),
        metadata.timestamp());
    return log.write(batch -> batch.put(log.snapshots, key, codec.snapshot(snapshot)));
  }

  /** The highest sequence number the id reached, if its last events were deleted. */
  public CompletableFuture<Void> highestSequenceNr(String persistenceId, long seqNr) {
    byte[] prefix = RocksKeys.prefix(persistenceId);
    return log.write(batch -> batch.put(log.meta, prefix, RocksKeys.longValue(seqNr)));
  }

  @Override
  public void close() {
    log.release();
  }
}
