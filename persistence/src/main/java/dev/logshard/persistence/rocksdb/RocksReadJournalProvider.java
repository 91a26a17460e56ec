package dev.logshard.persistence.rocksdb;

import com.typesafe.config.Config;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.ReadJournalProvider;
import org.apache.pekko.persistence.query.scaladsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.persistence.query.scaladsl.EventsByPersistenceIdQuery;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.scaladsl.Source;

/**
 * The query plugin of a RocksDB log instance (plugin class of {@code logshard.rocksdb.query}): the
 * events of one persistence id, current and live, from the database its journal writes (the same
 * open {@link RocksLog}, so a live query hears each write at once). Holds the database until the
 * actor system terminates.
 */
public final class RocksReadJournalProvider implements ReadJournalProvider {

  private final RocksReadJournal javadsl;
  private final ScalaReadJournal scaladsl;

  public RocksReadJournalProvider(ExtendedActorSystem system, Config config) {
    RocksSettings settings = RocksSettings.create(config);
    RocksLog log = RocksLog.acquire(settings);
    system.registerOnTermination(log::release);
    this.javadsl = new RocksReadJournal(log, settings, new RocksCodec(SerializationExtension.get(system)),
        system.dispatchers().lookup(config.getString("read-dispatcher")));
    this.scaladsl = new ScalaReadJournal(javadsl);
  }

  @Override
  public RocksReadJournal javadslReadJournal() {
    return javadsl;
  }

  @Override
  public ScalaReadJournal scaladslReadJournal() {
    return scaladsl;
  }

  /** The same queries for the Scala API. */
  public static final class ScalaReadJournal implements EventsByPersistenceIdQuery, CurrentEventsByPersistenceIdQuery {
    private final RocksReadJournal delegate;

    ScalaReadJournal(RocksReadJournal delegate) {
      this.delegate = delegate;
    }

    @Override
    public Source<EventEnvelope, NotUsed> eventsByPersistenceId(String persistenceId, long from, long to) {
      return delegate.eventsByPersistenceId(persistenceId, from, to).asScala();
    }

    @Override
    public Source<EventEnvelope, NotUsed> currentEventsByPersistenceId(String persistenceId, long from, long to) {
      return delegate.currentEventsByPersistenceId(persistenceId, from, to).asScala();
    }
  }
}
