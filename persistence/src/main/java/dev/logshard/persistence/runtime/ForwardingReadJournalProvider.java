package dev.logshard.persistence.runtime;

import com.typesafe.config.Config;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.ReadJournalProvider;
import org.apache.pekko.persistence.query.javadsl.ReadJournal;

/**
 * The node's query plugin ({@code cfgPath} ends in {@code .query}) of a log instance whose plugins
 * run in a system of their own ({@link InstanceSystems}): the read journal with the same id there.
 */
public final class ForwardingReadJournalProvider implements ReadJournalProvider {

  private final org.apache.pekko.persistence.query.scaladsl.ReadJournal scaladsl;
  private final ReadJournal javadsl;

  public ForwardingReadJournalProvider(ExtendedActorSystem system, Config config, String cfgPath) {
    String shared = cfgPath.substring(0, cfgPath.lastIndexOf('.'));
    PersistenceQuery own = PersistenceQuery.get(InstanceSystems.get(system)
        .systemFor(config, shared + ".journal", shared + ".snapshot"));
    this.scaladsl = own.readJournalFor(cfgPath);
    this.javadsl = own.getReadJournalFor(ReadJournal.class, cfgPath);
  }

  @Override
  public org.apache.pekko.persistence.query.scaladsl.ReadJournal scaladslReadJournal() {
    return scaladsl;
  }

  @Override
  public ReadJournal javadslReadJournal() {
    return javadsl;
  }
}
