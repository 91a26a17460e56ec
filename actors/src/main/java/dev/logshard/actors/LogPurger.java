package dev.logshard.actors;

import org.apache.pekko.actor.Props;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.DeleteSnapshotsSuccess;
import org.apache.pekko.persistence.Recovery;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;

/**
 * Deletes every event and snapshot of one persistence id through its journal and snapshot plugins
 * (Pekko's own deletion protocol, so it works for any plugin), then tells {@code replyTo} and
 * stops. Used for a rolled-back Transfer's destinations and a committed one's sources, after their
 * entities stopped. It does not replay the events: recovery only learns the highest sequence number.
 */
final class LogPurger extends AbstractPersistentActor {

  /** The answer: whether both deletions succeeded, and why not. */
  record Purged(String persistenceId, boolean succeeded, String failure) {}

  private final String persistenceId;
  private final String journalPluginId;
  private final String snapshotPluginId;
  private final org.apache.pekko.actor.typed.ActorRef<Purged> replyTo;
  private boolean eventsDeleted;
  private boolean snapshotsDeleted;

  static Props props(String persistenceId, String journalPluginId, String snapshotPluginId,
      org.apache.pekko.actor.typed.ActorRef<Purged> replyTo) {
    return Props.create(LogPurger.class, () -> new LogPurger(persistenceId, journalPluginId, snapshotPluginId, replyTo));
  }

  private LogPurger(String persistenceId, String journalPluginId, String snapshotPluginId,
      org.apache.pekko.actor.typed.ActorRef<Purged> replyTo) {
    this.persistenceId = persistenceId;
    this.journalPluginId = journalPluginId;
    this.snapshotPluginId = snapshotPluginId;
    this.replyTo = replyTo;
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  @Override
  public String journalPluginId() {
    return journalPluginId;
  }

  @Override
  public String snapshotPluginId() {
    return snapshotPluginId;
  }

  @Override
  public Recovery recovery() {
    return Recovery.none();
  }

  @Override
  public Receive createReceiveRecover() {
    return receiveBuilder()
        .match(org.apache.pekko.persistence.RecoveryCompleted.class, done -> {
          deleteMessages(Long.MAX_VALUE);
          deleteSnapshots(SnapshotSelectionCriteria.latest());
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
      replyTo.tell(new Purged(persistenceId, true, null));
      getContext().stop(getSelf());
    }
  }

  private void fail(String why) {
    replyTo.tell(new Purged(persistenceId, false, why));
    getContext().stop(getSelf());
  }
}
