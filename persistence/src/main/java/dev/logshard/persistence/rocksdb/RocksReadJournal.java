package dev.logshard.persistence.rocksdb;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A log instance's events by persistence id, current and live (Java API; see
 * {@link RocksReadJournalProvider}). Reads {@code query-batch} events at a time on the blocking-IO
 * dispatcher; a live query that has read everything waits for the journal's next write of that id
 * ({@link LiveEvents}), or at most {@code query-refresh-interval}, and reads again.
 */
public final class RocksReadJournal implements EventsByPersistenceIdQuery, CurrentEventsByPersistenceIdQuery {

  /** Its plugin id's usual config path. */
  public static final String IDENTIFIER = "logshard.rocksdb.query";

  private final RocksLog log;
  private final RocksSettings settings;
  private final RocksCodec codec;
  private final Executor reads;

  /** {@code settings}: the query plugin's own (its batch and refresh interval). */
  RocksReadJournal(RocksLog log, RocksSettings settings, RocksCodec codec, Executor reads) {
    this.log = log;
    this.settings = settings;
    this.codec = codec;
    this.reads = reads;
  }

  @Override
  public Source<EventEnvelope, NotUsed> eventsByPersistenceId(String persistenceId, long fromSequenceNr,
      long toSequenceNr) {
    return events(persistenceId, fromSequenceNr, toSequenceNr, true);
  }

  @Override
  public Source<EventEnvelope, NotUsed> currentEventsByPersistenceId(String persistenceId, long fromSequenceNr,
      long toSequenceNr) {
    return events(persistenceId, fromSequenceNr, toSequenceNr, false);
  }

  private Source<EventEnvelope, NotUsed> events(String persistenceId, long from, long to, boolean live) {
    byte[] prefix = RocksKeys.prefix(persistenceId);
    int batch = settings.queryBatch();
    long refreshMillis = settings.queryRefresh().toMillis();
    return Source.<Long, List<EventEnvelope>>unfoldAsync(Math.max(1, from), next -> {
      if (next > to) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      // Taken before the read: a write after the read wakes this query.
      CompletableFuture<Void> written = live ? log.live().nextWrite(persistenceId) : null;
      return CompletableFuture.supplyAsync(() -> read(persistenceId, prefix, next, to, batch), reads)
          .thenCompose(events -> {
            if (!events.isEmpty()) {
              long after = events.get(events.size() - 1).sequenceNr() + 1;
              return CompletableFuture.completedFuture(Optional.of(Pair.create(after, events)));
            }
            if (!live) {
              return CompletableFuture.completedFuture(Optional.empty());
            }
            return written.copy().completeOnTimeout(null, refreshMillis, TimeUnit.MILLISECONDS)
                .thenApply(woken -> Optional.of(Pair.create(next, List.<EventEnvelope>of())));
          });
    }).mapConcat(events -> events);
  }

  private List<EventEnvelope> read(String persistenceId, byte[] prefix, long from, long to, int max) {
    List<EventEnvelope> events = new ArrayList<>();
    log.events(prefix, from, to, max, (seqNr, value) -> {
      PersistentRepr repr = codec.event(value);
      events.add(new EventEnvelope(Offset.sequence(seqNr), persistenceId, seqNr, repr.payload(), repr.timestamp()));
    });
    return events;
  }
}
