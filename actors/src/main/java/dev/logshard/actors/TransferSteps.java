package dev.logshard.actors;

import dev.logshard.actors.RangeShardEvent.Change;
import dev.logshard.core.KeyRange;
import java.util.ArrayList;
import java.util.List;

/**
 * How a RangeShard answers the steps of a Transfer, as plain Java: the event to persist (if any)
 * and the answer once it is persisted. {@link RangeShard} runs these rules; so does
 * {@code TransferSimulationTest}, against the saga's own logic.
 */
final class TransferSteps {

  /** The answer to a step, given the state after its event and the generation's last sequence number. */
  interface Answer {
    TransferReply of(RangeShardState after, long lastSeqNr);
  }

  /**
   * {@code event} null: nothing to persist, answer at once; else {@code answer} once it is persisted,
   * and {@code early} (if not null) right away, before persisting.
   */
  record Outcome(RangeShardEvent event, Answer answer, TransferReply early) {
    Outcome(RangeShardEvent event, Answer answer) {
      this(event, answer, null);
    }
  }

  /** The most a fence's answer carries of the changes the destinations have not applied yet. */
  static final long MAX_TAIL_BYTES = 128 * 1024;

  private TransferSteps() {}

  /**
   * Holds writes from now on; answers the final sequence number: the last one before its
   * {@code SourceFenced}, which carries no data, so destinations that applied every write need not
   * wait for the catch-up stream to bring the fence event itself.
   */
  static Outcome fence(RangeShardState state, String entityId, String transferId, long tailFrom,
      RecentChanges recent, long lastSeqNr) {
    if (state.handedOffEpoch() > 0) {
      return answer(refused(entityId, RangeShardCommand.Fence.class, "handed off at epoch " + state.handedOffEpoch()));
    }
    if (transferId.equals(state.fencedBy())) {
      return new Outcome(null, fenced(entityId, 0, tailFrom, recent)); // nothing was written since: still final
    }
    if (state.fencedBy() != null) {
      return answer(refused(entityId, RangeShardCommand.Fence.class, "fenced by transfer " + state.fencedBy()));
    }
    // The early answer lets the destinations apply the tail while the fence is being persisted.
    return new Outcome(new RangeShardEvent.SourceFenced(transferId), fenced(entityId, 1, tailFrom, recent),
        new TransferReply.Fenced(entityId, lastSeqNr, tail(recent, tailFrom, lastSeqNr), false));
  }

  static Outcome unfence(RangeShardState state, String entityId, String transferId) {
    return new Outcome(transferId.equals(state.fencedBy()) ? new RangeShardEvent.SourceUnfenced(transferId) : null,
        done(entityId, RangeShardCommand.Unfence.class));
  }

  /** After commit: this generation never writes again. */
  static Outcome handOff(RangeShardState state, String entityId, String transferId, long epoch) {
    return new Outcome(state.handedOffEpoch() > 0 ? null : new RangeShardEvent.SourceHandedOff(transferId, epoch),
        done(entityId, RangeShardCommand.HandOff.class));
  }

  /**
   * Starts (or restarts, from empty) following the sources; a repeated Follow of the copy it already
   * follows changes nothing (it must not empty what the copy brought so far).
   */
  static Outcome follow(RangeShardState state, String entityId, String transferId, String copy,
      List<String> sourceEntityIds) {
    if (transferId.equals(state.followingTransfer()) && copy.equals(state.followingCopy())) {
      return new Outcome(null, done(entityId, RangeShardCommand.Follow.class));
    }
    return new Outcome(new RangeShardEvent.FollowingStarted(transferId, sourceEntityIds, copy),
        done(entityId, RangeShardCommand.Follow.class));
  }

  /** Applies what was not applied yet of a source's changes; answers how far it applied. */
  static Outcome applyChanges(RangeShardState state, String entityId, KeyRange range, String transferId,
      String copy, String sourceEntityId, long upToSeqNr, List<Change> changes, long sourceLastVersion, long step) {
    if (!transferId.equals(state.followingTransfer()) || !java.util.Objects.equals(copy, state.followingCopy())) {
      return answer(refused(entityId, RangeShardCommand.ApplyChanges.class,
          "not following copy " + copy + " of transfer " + transferId));
    }
    return new Outcome(state.changesToApply(sourceEntityId, upToSeqNr, changes, sourceLastVersion, range),
        (after, lastSeqNr) -> new TransferReply.Applied(entityId, sourceEntityId, after.appliedFrom(sourceEntityId), step));
  }

  /** Why this generation cannot export (null: it can). */
  static TransferReply refusalToExport(RangeShardState state, String entityId) {
    return state.handedOffEpoch() > 0
        ? refused(entityId, RangeShardCommand.OpenExport.class, "handed off at epoch " + state.handedOffEpoch())
        : null;
  }

  /** The export's entries from {@code from} on, up to {@code maxBytes} (at least one). */
  static TransferReply.ExportChunk chunk(String entityId, long seqNr, List<RangeShardSnapshot.Entry> entries,
      int from, long maxBytes) {
    List<Change> chunk = new ArrayList<>();
    long bytes = 0;
    int next = from;
    while (next < entries.size() && (chunk.isEmpty() || bytes < maxBytes)) {
      RangeShardSnapshot.Entry e = entries.get(next++);
      Change c = new Change(e.key(), e.value(), e.version(), 0);
      chunk.add(c);
      bytes += c.sizeInBytes();
    }
    return new TransferReply.ExportChunk(entityId, seqNr, chunk, next, next >= entries.size());
  }

  static TransferReply refused(String entityId, Class<? extends RangeShardCommand> step, String reason) {
    return new TransferReply.Refused(entityId, TransferReply.stepOf(step), reason);
  }

  private static Outcome answer(TransferReply reply) {
    return new Outcome(null, (after, lastSeqNr) -> reply);
  }

  /** {@code dataFree}: how many of the last events hold no data (the fence event just persisted). */
  private static Answer fenced(String entityId, int dataFree, long tailFrom, RecentChanges recent) {
    return (after, lastSeqNr) -> {
      long last = lastSeqNr - dataFree;
      return new TransferReply.Fenced(entityId, last, tail(recent, tailFrom, last), true);
    };
  }

  private static List<RangeShardEvent.Change> tail(RecentChanges recent, long from, long to) {
    return recent == null ? null : recent.between(from, to, MAX_TAIL_BYTES);
  }

  private static Answer done(String entityId, Class<? extends RangeShardCommand> step) {
    return (after, lastSeqNr) -> new TransferReply.Done(entityId, TransferReply.stepOf(step));
  }
}
