package dev.logshard.persistence.rocksdb;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import org.apache.pekko.serialization.SerializationExtension;
import org.rocksdb.RocksIterator;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * A log instance's snapshot store on RocksDB (plugin class of {@code logshard.rocksdb.snapshot}),
 * in the same database as its journal: one key per snapshot (persistence id, sequence number,
 * timestamp) holding the serialized snapshot. Loading walks the id's snapshots from the newest.
 */
public final class RocksSnapshotStore extends SnapshotStore {

  private final RocksLog log;
  private final RocksCodec codec;
  private final Executor reads;

  public RocksSnapshotStore(Config config) {
    this.log = RocksLog.acquire(RocksSettings.create(config));
    this.codec = new RocksCodec(SerializationExtension.get(context().system()));
    this.reads = context().system().dispatchers().lookup(config.getString("read-dispatcher"));
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    byte[] prefix = RocksKeys.prefix(persistenceId);
    return FutureConverters.asScala(CompletableFuture.supplyAsync(() -> {
      try (RocksIterator it = log.db().newIterator(log.snapshots)) {
        for (it.seekForPrev(RocksKeys.snapshot(prefix, criteria.maxSequenceNr(), Long.MAX_VALUE));
            it.isValid() && RocksKeys.startsWith(it.key(), prefix); it.prev()) {
          SnapshotMetadata metadata = metadata(persistenceId, it.key(), prefix);
          if (matches(metadata, criteria)) {
            return Optional.of(SelectedSnapshot.create(metadata, codec.snapshotData(it.value())));
          }
        }
      }
      return Optional.<SelectedSnapshot>empty();
    }, reads));
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    byte[] key = RocksKeys.snapshot(RocksKeys.prefix(metadata.persistenceId()), metadata.sequenceNr(),
        metadata.timestamp());
    byte[] value;
    try {
      value = codec.snapshot(snapshot);
    } catch (Exception e) {
      return Futures.failed(e);
    }
    return FutureConverters.asScala(log.write(batch -> batch.put(log.snapshots, key, value)));
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    byte[] prefix = RocksKeys.prefix(metadata.persistenceId());
    long seqNr = metadata.sequenceNr();
    if (metadata.timestamp() == 0) {
      // Every snapshot at that sequence number, whatever its time.
      return FutureConverters.asScala(log.write(batch -> {
        batch.deleteRange(log.snapshots, RocksKeys.snapshot(prefix, seqNr, 0),
            RocksKeys.snapshot(prefix, seqNr, Long.MAX_VALUE));
        batch.delete(log.snapshots, RocksKeys.snapshot(prefix, seqNr, Long.MAX_VALUE));
      }));
    }
    return FutureConverters.asScala(log.write(batch -> batch.delete(log.snapshots,
        RocksKeys.snapshot(prefix, seqNr, metadata.timestamp()))));
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    byte[] prefix = RocksKeys.prefix(persistenceId);
    return FutureConverters.asScala(CompletableFuture.supplyAsync(() -> {
      List<byte[]> doomed = new ArrayList<>();
      try (RocksIterator it = log.db().newIterator(log.snapshots)) {
        for (it.seek(prefix); it.isValid() && RocksKeys.startsWith(it.key(), prefix); it.next()) {
          if (matches(metadata(persistenceId, it.key(), prefix), criteria)) {
            doomed.add(it.key());
          }
        }
      }
      return doomed;
    }, reads).thenCompose(doomed -> log.write(batch -> {
      for (byte[] key : doomed) {
        batch.delete(log.snapshots, key);
      }
    })));
  }

  private static SnapshotMetadata metadata(String persistenceId, byte[] key, byte[] prefix) {
    return new SnapshotMetadata(persistenceId, RocksKeys.seqNr(key, prefix), RocksKeys.timestamp(key, prefix));
  }

  private static boolean matches(SnapshotMetadata m, SnapshotSelectionCriteria c) {
    return m.sequenceNr() <= c.maxSequenceNr() && m.timestamp() <= c.maxTimestamp()
        && m.sequenceNr() >= c.minSequenceNr() && m.timestamp() >= c.minTimestamp();
  }

  @Override
  public void postStop() throws Exception {
    log.release();
    super.postStop();
  }
}
