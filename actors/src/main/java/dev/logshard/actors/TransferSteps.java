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

  /** {@code event} null: nothing to persist, answer at once. */
  record Outcome(RangeShardEvent event, Answer answer) {}

  private TransferSteps() {}

  /** Holds writes from now on; answers the final sequence number. */
  static Outcome fence(RangeShardState state, String entityId, String transferId) {
    if (state.handedOffEpoch() > 0) {
      return answer(refused(entityId, "handed off at epoch " + state.handedOffEpoch()));
    }
    if (transferId.equals(state.fencedBy())) {
      return new Outcome(null, fenced(entityId)); // nothing was written since: still final
    }
    if (state.fencedBy() != null) {
      return answer(refused(entityId, "fenced by transfer " + state.fencedBy()));
    }
    return new Outcome(new RangeShardEvent.SourceFenced(transferId), fenced(entityId));
  }

  static Outcome unfence(RangeShardState state, String entityId, String transferId) {
    return new Outcome(transferId.equals(state.fencedBy()) ? new RangeShardEvent.SourceUnfenced(transferId) : null,
        done(entityId));
  }

  /** After commit: this generation never writes again. */
  static Outcome handOff(RangeShardState state, String entityId, String transferId, long epoch) {
    return new Outcome(state.handedOffEpoch() > 0 ? null : new RangeShardEvent.SourceHandedOff(transferId, epoch),
        done(entityId));
  }

  /** Starts (or restarts, from empty) following the sources. */
  static Outcome follow(String entityId, String transferId, String copy, List<String> sourceEntityIds) {
    return new Outcome(new RangeShardEvent.FollowingStarted(transferId, sourceEntityIds, copy), done(entityId));
  }

  /** Applies what was not applied yet of a source's changes; answers how far it applied. */
  static Outcome applyChanges(RangeShardState state, String entityId, KeyRange range, String transferId,
      String copy, String sourceEntityId, long upToSeqNr, List<Change> changes, long sourceLastVersion) {
    if (!transferId.equals(state.followingTransfer()) || !java.util.Objects.equals(copy, state.followingCopy())) {
      return answer(refused(entityId, "not following copy " + copy + " of transfer " + transferId));
    }
    return new Outcome(state.changesToApply(sourceEntityId, upToSeqNr, changes, sourceLastVersion, range),
        (after, lastSeqNr) -> new TransferReply.Applied(entityId, sourceEntityId, after.appliedFrom(sourceEntityId)));
  }

  /** Why this generation cannot export (null: it can). */
  static TransferReply refusalToExport(RangeShardState state, String entityId) {
    return state.handedOffEpoch() > 0 ? refused(entityId, "handed off at epoch " + state.handedOffEpoch()) : null;
  }

  /** The export's entries from {@code from} on, up to {@code maxBytes} (at least one). */
  static TransferReply.ExportChunk chunk(String entityId, List<RangeShardSnapshot.Entry> entries, int from,
      long maxBytes) {
    List<Change> chunk = new ArrayList<>();
    long bytes = 0;
    int next = from;
    while (next < entries.size() && (chunk.isEmpty() || bytes < maxBytes)) {
      RangeShardSnapshot.Entry e = entries.get(next++);
      chunk.add(new Change(e.key(), e.value(), e.version(), 0));
      bytes += e.key().length() + e.value().length;
    }
    return new TransferReply.ExportChunk(entityId, chunk, next, next >= entries.size());
  }

  static TransferReply refused(String entityId, String reason) {
    return new TransferReply.Refused(entityId, reason);
  }

  private static Outcome answer(TransferReply reply) {
    return new Outcome(null, (after, lastSeqNr) -> reply);
  }

  private static Answer fenced(String entityId) {
    return (after, lastSeqNr) -> new TransferReply.Fenced(entityId, lastSeqNr);
  }

  private static Answer done(String entityId) {
    return (after, lastSeqNr) -> new TransferReply.Done(entityId);
  }
}
