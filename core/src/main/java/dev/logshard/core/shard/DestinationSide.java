package dev.logshard.core.shard;

import dev.logshard.core.KeyRange;
import java.util.Objects;

/**
 * How a RangeShard acts as the destination of a Transfer: it follows the sources from an empty
 * state for one snapshot copy, applies their changes idempotently by source sequence number, and
 * answers a read sent on by a source only once it has applied what that source had acknowledged.
 * Stateless: everything it needs is persisted in {@link RangeShardState}.
 */
final class DestinationSide {

  private DestinationSide() {}

  /**
   * Starts (or restarts, from empty) following the sources; a repeated Follow of the copy it already
   * follows changes nothing (it must not empty what the copy brought so far).
   */
  static StepOutcome follow(RangeShardState state, String entityId, TransferStep.Follow step) {
    if (step.transferId().equals(state.followingTransfer()) && step.copy().equals(state.followingCopy())) {
      return StepOutcome.answer(TransferReply.Done.of(entityId, step));
    }
    return StepOutcome.persist(new RangeShardEvent.FollowingStarted(step.transferId(), step.sourceEntityIds(), step.copy()),
        (after, lastSeqNr) -> TransferReply.Done.of(entityId, step));
  }

  /** Applies what was not applied yet of a source's changes; answers how far it applied. */
  static StepOutcome applyChanges(RangeShardState state, String entityId, KeyRange range, TransferStep.ApplyChanges step) {
    if (!step.transferId().equals(state.followingTransfer()) || !Objects.equals(step.copy(), state.followingCopy())) {
      return StepOutcome.answer(TransferReply.Refused.of(entityId, step,
          "not following copy " + step.copy() + " of transfer " + step.transferId()));
    }
    return StepOutcome.persist(
        state.changesToApply(step.sourceEntityId(), step.upToSeqNr(), step.changes(), step.sourceLastVersion(), range),
        (after, lastSeqNr) -> new TransferReply.Applied(entityId, step.sourceEntityId(),
            after.appliedFrom(step.sourceEntityId()), step.step()));
  }

  /** Whether a read a source sent on may be served here: it applied that source up to {@code minSeqNr}. */
  static boolean servesReadAt(RangeShardState state, String sourceEntityId, long minSeqNr) {
    return state.appliedFrom(sourceEntityId) >= minSeqNr;
  }
}
