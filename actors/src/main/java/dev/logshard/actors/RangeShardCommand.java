package dev.logshard.actors;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.Expectation;
import dev.logshard.core.RangePlacement;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Commands a RangeShard accepts: key-value commands from routers (each answered with a
 * {@link KvReply}) and the steps of a Transfer, sent by its saga (answered with a
 * {@link TransferReply}).
 */
public sealed interface RangeShardCommand extends CborSerializable {

  /** A command of the data path. */
  sealed interface KvCommand extends RangeShardCommand {
    ActorRef<KvReply> replyTo();
  }

  /** A step of a Transfer; the RangeShard is its source or its destination. */
  sealed interface TransferCommand extends RangeShardCommand {
    ActorRef<TransferReply> replyTo();
  }

  record Get(String key, ActorRef<KvReply> replyTo) implements KvCommand {}

  record Put(String key, byte[] value, Expectation expect, ActorRef<KvReply> replyTo) implements KvCommand {}

  record Delete(String key, Expectation expect, ActorRef<KvReply> replyTo) implements KvCommand {}

  /** Applies the operations in order, atomically: their events are persisted together. */
  record ApplyBatch(List<Operation> operations, ActorRef<KvReply> replyTo) implements KvCommand {}

  /** A read the source sent on to a destination: served there only once it applied {@code minSeqNr}. */
  record ReadAt(String key, String sourceEntityId, long minSeqNr, ActorRef<RangeShardCommand> source,
      ActorRef<KvReply> replyTo) implements KvCommand {}

  /** A read served here, never redirected (a destination that lags sends reads back as this). */
  record ReadLocal(String key, ActorRef<KvReply> replyTo) implements KvCommand {}

  /** The directory's answer to a starting entity (internal). */
  record PlacementResolved(PlacementDirectory.Placement placement) implements RangeShardCommand {}

  /** The directory did not answer in time: ask again (internal). */
  enum ResolveAgain implements RangeShardCommand { INSTANCE }

  // --- source side of a Transfer

  /** Takes a point-in-time copy of the state for chunked export; answers {@link TransferReply.ExportOpened}. */
  record OpenExport(String transferId, ActorRef<TransferReply> replyTo) implements TransferCommand {}

  /** Entries {@code from} onwards of the open export, up to {@code maxBytes}; answers {@link TransferReply.ExportChunk}. */
  record ReadExport(String transferId, int from, long maxBytes, ActorRef<TransferReply> replyTo)
      implements TransferCommand {}

  /** Answers {@link TransferReply.LogPosition}: the last sequence number and reads redirected. */
  record DescribeLog(ActorRef<TransferReply> replyTo) implements TransferCommand {}

  /** Sends this fraction of single-key reads to the destinations (0 stops it). Not persisted. */
  record RedirectReads(String transferId, double fraction, List<RangePlacement> destinations,
      ActorRef<TransferReply> replyTo) implements TransferCommand {}

  /**
   * Holds writes from now on, persistently; answers the final sequence number and, if it still has
   * them in memory, the changes from {@code tailFrom} on (what the destinations have not applied yet).
   */
  record Fence(String transferId, long tailFrom, ActorRef<TransferReply> replyTo) implements TransferCommand {}

  /** Ends the fence of a transfer that rolls back: the held writes are applied. */
  record Unfence(String transferId, ActorRef<TransferReply> replyTo) implements TransferCommand {}

  /** After commit: this generation never writes again; held and later commands get WrongRange. */
  record HandOff(String transferId, long epoch, ActorRef<TransferReply> replyTo) implements TransferCommand {}

  /** Internal: persists the hand-off after the held commands were sent back (see RangeShard). */
  record PersistHandOff(String transferId, long epoch, ActorRef<TransferReply> replyTo) implements TransferCommand {}

  // --- destination side of a Transfer

  /** Starts (or restarts, from empty) following the sources of a transfer, for the snapshot copy {@code copy}. */
  record Follow(String transferId, String copy, List<String> sourceEntityIds, ActorRef<TransferReply> replyTo)
      implements TransferCommand {}

  /**
   * Applies changes of a source: snapshot entries (with {@code upToSeqNr} 0 until the last chunk)
   * or journal events after the snapshot; changes at or below what was applied are skipped. Refused
   * unless the destination follows this {@code copy}: a late step of an earlier attempt at the copy
   * (from a saga that restarted) must not mix old entries into the new copy. {@code step} comes back
   * in the answer, so the saga can tell it from the answer to an earlier step.
   */
  record ApplyChanges(String transferId, String copy, String sourceEntityId, long upToSeqNr,
      List<RangeShardEvent.Change> changes, long sourceLastVersion, long step, ActorRef<TransferReply> replyTo)
      implements TransferCommand {}

  /** The transfer rolled back: stop, so the saga can delete this generation's events. */
  record Discard(String transferId, ActorRef<TransferReply> replyTo) implements TransferCommand {}
}
