package dev.logshard.actors.support;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.DeleteSnapshotsSuccess;
import org.apache.pekko.persistence.Recovery;
import org.apache.pekko.persistence.RuntimePluginConfig;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;

/**
 * Deletes events and snapshots of one persistence id through its journal and snapshot plugins
 * (Pekko's own deletion protocol, so it works for any plugin), then tells {@code replyTo} and
 * stops. {@link #purgeAll} is for a rolled-back Transfer's destinations and a committed one's
 * sources, after their entities stopped; {@link #snapshotsBefore} prunes a live RangeShard's older
 * snapshots and {@link #coveredBy} also the events a snapshot covers (it writes nothing to the
 * journal, so it does not compete with the entity). It does not
 * replay events: its recovery only learns the highest sequence number.
 */
public final class LogPurger extends AbstractPersistentActor implements RuntimePluginConfig {

  /** The answer: whether both deletions succeeded, and why not. */
  public record Purged(String persistenceId, boolean succeeded, String failure) {}

  private final String persistenceId;
  private final OnLogInstance.Plugins plugins;
  private final SnapshotSelectionCriteria snapshots;
  private final long eventsTo;
  private final ActorRef<Purged> replyTo;
  private boolean eventsDeleted;
  private boolean snapshotsDeleted;

  /** Every event and snapshot. */
  public static Props purgeAll(String persistenceId, OnLogInstance.Plugins plugins,
      ActorRef<Purged> replyTo) {
    return Props.create(LogPurger.class, () -> new LogPurger(persistenceId, plugins,
        SnapshotSelectionCriteria.latest(), Long.MAX_VALUE, replyTo));
  }

  /** The snapshots below {@code sequenceNr}; {@code replyTo} may be null. */
  public static Props snapshotsBefore(String persistenceId, OnLogInstance.Plugins plugins, long sequenceNr,
      ActorRef<Purged> replyTo) {
    return Props.create(LogPurger.class, () -> new LogPurger(persistenceId, plugins,
        SnapshotSelectionCriteria.create(sequenceNr - 1, Long.MAX_VALUE), 0, replyTo));
  }

  /**
   * What the snapshot at {@code sequenceNr} covers: the events up to it and the snapshots below it
   * (a live RangeShard's retention; the entity writes only above it); {@code replyTo} may be null.
   */
  public static Props coveredBy(String persistenceId, OnLogInstance.Plugins plugins, long sequenceNr,
      ActorRef<Purged> replyTo) {
    return Props.create(LogPurger.class, () -> new LogPurger(persistenceId, plugins,
        SnapshotSelectionCriteria.create(sequenceNr - 1, Long.MAX_VALUE), sequenceNr, replyTo));
  }

  private LogPurger(String persistenceId, OnLogInstance.Plugins plugins,
      SnapshotSelectionCriteria snapshots, long eventsTo, ActorRef<Purged> replyTo) {
    this.persistenceId = persistenceId;
    this.plugins = plugins;
    this.snapshots = snapshots;
    this.eventsTo = eventsTo;
    this.eventsDeleted = eventsTo <= 0;
    this.replyTo = replyTo;
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  // Pekko asks for the plugin ids once in the base constructor, before the fields are set (for
  // settings it reads from the default plugin then), and again when it first uses the plugins.
  @Override
  public String journalPluginId() {
    return plugins == null ? "" : plugins.journal();
  }

  @Override
  public String snapshotPluginId() {
    return plugins == null ? "" : plugins.snapshot();
  }

  @Override
  public Config journalPluginConfig() {
    return plugins == null || plugins.config() == null ? ConfigFactory.empty() : plugins.config();
  }

  @Override
  public Config snapshotPluginConfig() {
    return journalPluginConfig();
  }

  @Override
  public Recovery recovery() {
    return Recovery.none();
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder()
        .match(org.apache.pekko.persistence.RecoveryCompleted.class, done -> {
          if (!eventsDeleted) {
            deleteMessages(eventsTo);
          }
          deleteSnapshots(snapshots);
        })
        .matchAny(ignored -> { })
        .build();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(DeleteMessagesSuccess.class, ok -> {
          eventsDeleted = true;
          finishIfDone();
        })
        .match(DeleteSnapshotsSuccess.class, ok -> {
          snapshotsDeleted = true;
          finishIfDone();
        })
        .match(DeleteMessagesFailure.class, failed -> fail("events: " + failed.cause().getMessage()))
        .match(DeleteSnapshotsFailure.class, failed -> fail("snapshots: " + failed.cause().getMessage()))
        .build();
  }

  private void finishIfDone() {
    if (eventsDeleted && snapshotsDeleted) {
      if (replyTo != null) {
        replyTo.tell(new Purged(persistenceId, true, null));
      }
      getContext().stop(getSelf());
    }
  }

  private void fail(String why) {
    if (replyTo != null) {
      replyTo.tell(new Purged(persistenceId, false, why));
    }
    getContext().stop(getSelf());
  }
}
