package dev.logshard.core.shard;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.logshard.core.CborSerializable;
import dev.logshard.core.RangePlacement;
import java.util.List;

/**
 * A step of a Transfer that its saga asks of a RangeShard, the source or a destination of the
 * transfer; answered with a {@link TransferReply}. Plain data: the actor shell carries it with the
 * address to answer to, the simulation with none.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = TransferStep.OpenExport.class, name = "open-export"),
  @JsonSubTypes.Type(value = TransferStep.ReadExport.class, name = "read-export"),
  @JsonSubTypes.Type(value = TransferStep.DescribeLog.class, name = "describe-log"),
  @JsonSubTypes.Type(value = TransferStep.RedirectReads.class, name = "redirect-reads"),
  @JsonSubTypes.Type(value = TransferStep.Fence.class, name = "fence"),
  @JsonSubTypes.Type(value = TransferStep.Unfence.class, name = "unfence"),
  @JsonSubTypes.Type(value = TransferStep.HandOff.class, name = "hand-off"),
  @JsonSubTypes.Type(value = TransferStep.PersistHandOff.class, name = "persist-hand-off"),
  @JsonSubTypes.Type(value = TransferStep.Follow.class, name = "follow"),
  @JsonSubTypes.Type(value = TransferStep.ApplyChanges.class, name = "apply-changes"),
  @JsonSubTypes.Type(value = TransferStep.Discard.class, name = "discard")
})
public sealed interface TransferStep extends CborSerializable {

  /** The name an answer gives the step it answers ({@link TransferReply.NamesStep}). */
  default String name() {
    return getClass().getSimpleName();
  }

  // --- source side

  /** Takes a point-in-time copy of the state for chunked export; answers {@link TransferReply.ExportOpened}. */
  record OpenExport(String transferId) implements TransferStep {}

  /** Entries {@code from} onwards of the open export, up to {@code maxBytes}; answers {@link TransferReply.ExportChunk}. */
  record ReadExport(String transferId, int from, long maxBytes) implements TransferStep {}

  /** Answers {@link TransferReply.LogPosition}: the last sequence number and reads redirected. */
  record DescribeLog() implements TransferStep {}

  /** Sends this fraction of single-key reads to the destinations (0 stops it). Not persisted. */
  record RedirectReads(String transferId, double fraction, List<RangePlacement> destinations)
      implements TransferStep {}

  /**
   * Holds writes from now on, persistently; answers the final sequence number and, if it still has
   * them in memory, the changes from {@code tailFrom} on (what the destinations have not applied yet).
   */
  record Fence(String transferId, long tailFrom) implements TransferStep {}

  /** Ends the fence of a transfer that rolls back: the held writes are applied. */
  record Unfence(String transferId) implements TransferStep {}

  /** After commit: this generation never writes again; held and later commands get WrongRange. */
  record HandOff(String transferId, long epoch) implements TransferStep {}

  /**
   * The second half of a {@link HandOff}, which a RangeShard sends itself: persists the hand-off
   * after the held commands were answered (never sent by a saga).
   */
  record PersistHandOff(String transferId, long epoch) implements TransferStep {}

  // --- destination side

  /** Starts (or restarts, from empty) following the sources of a transfer, for the snapshot copy {@code copy}. */
  record Follow(String transferId, String copy, List<String> sourceEntityIds) implements TransferStep {}

  /**
   * Applies changes of a source: snapshot entries (with {@code upToSeqNr} 0 until the last chunk)
   * or journal events after the snapshot; changes at or below what was applied are skipped. Refused
   * unless the destination follows this {@code copy}: a late step of an earlier attempt at the copy
   * (from a saga that restarted) must not mix old entries into the new copy. {@code step} comes back
   * in the answer, so the saga can tell it from the answer to an earlier step.
   */
  record ApplyChanges(String transferId, String copy, String sourceEntityId, long upToSeqNr,
      List<Change> changes, long sourceLastVersion, long step) implements TransferStep {}

  /** Stop (the transfer rolled back, or its sources are retired), so the saga can delete this generation's events. */
  record Discard(String transferId) implements TransferStep {}
}
