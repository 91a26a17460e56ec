package dev.logshard.persistence.rocksdb;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.dispatch.Futures;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.SerializationExtension;
import org.rocksdb.RocksDBException;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * A log instance's journal on RocksDB (plugin class of {@code logshard.rocksdb.journal}): each
 * event is one key (persistence id, sequence number) holding the serialized {@code PersistentRepr}.
 * One call's atomic writes become one write batch, written with whatever else arrives meanwhile
 * ({@link GroupCommit}); a write whose events do not serialize is rejected alone. Deleting events
 * up to a sequence number is a range deletion (compaction reclaims the space) that keeps the
 * highest sequence number. Replays read on Pekko's blocking-IO dispatcher.
 */
public final class RocksJournal extends AsyncWriteJournal {

  private final RocksLog log;
  private final RocksCodec codec;
  private final Executor reads;

  public RocksJournal(Config config) {
    this.log = RocksLog.acquire(RocksSettings.create(config));
    this.codec = new RocksCodec(SerializationExtension.get(context().system()));
    this.reads = context().system().dispatchers().lookup(config.getString("read-dispatcher"));
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    Set<String> written = new LinkedHashSet<>();
    long now = System.currentTimeMillis();
    for (AtomicWrite write : messages) {
      byte[] prefix = RocksKeys.prefix(write.persistenceId());
      int mark = keys.size();
      try {
        for (PersistentRepr repr : CollectionConverters.asJava(write.payload())) {
          values.add(codec.event(repr.withTimestamp(now)));
          keys.add(RocksKeys.event(prefix, repr.sequenceNr()));
        }
        results.add(Optional.empty());
        written.add(write.persistenceId());
      } catch (Exception e) {
        // Not serializable: this atomic write is rejected, the others go ahead.
        keys.subList(mark, keys.size()).clear();
        values.subList(mark, values.size()).clear();
        results.add(Optional.of(e));
      }
    }
    if (keys.isEmpty()) {
      return Futures.successful(results);
    }
    return FutureConverters.asScala(log.write(batch -> {
      for (int i = 0; i < keys.size(); i++) {
        batch.put(log.journal, keys.get(i), values.get(i));
      }
    }).thenApply(done -> {
      written.forEach(log.live()::written);
      return results;
    }));
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    byte[] prefix = RocksKeys.prefix(persistenceId);
    return FutureConverters.asScala(CompletableFuture.supplyAsync(() -> highest(prefix), reads)
        .thenCompose(highest -> {
          long to = Math.min(toSequenceNr, highest);
          if (to < 1) {
            return CompletableFuture.<Void>completedFuture(null);
          }
          return log.write(batch -> {
            batch.deleteRange(log.journal, RocksKeys.event(prefix, 0), RocksKeys.event(prefix, to + 1));
            long before = RocksKeys.longOf(log.db().get(log.meta, prefix));
            batch.put(log.meta, prefix, RocksKeys.longValue(Math.max(before, to)));
          });
        }));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
      Consumer<PersistentRepr> replay) {
    byte[] prefix = RocksKeys.prefix(persistenceId);
    return FutureConverters.asScala(CompletableFuture.runAsync(() -> log.events(prefix, fromSequenceNr, toSequenceNr,
        max, (seqNr, value) -> replay.accept(codec.event(value))), reads));
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    byte[] prefix = RocksKeys.prefix(persistenceId);
    return FutureConverters.asScala(CompletableFuture.supplyAsync(() -> highest(prefix), reads));
  }

  private long highest(byte[] prefix) {
    try {
      return log.highestSequenceNr(prefix);
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot read the highest sequence number: " + e.getMessage(), e);
    }
  }

  @Override
  public void postStop() throws Exception {
    log.release();
    super.postStop();
  }
}
