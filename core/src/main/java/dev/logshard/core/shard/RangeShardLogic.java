package dev.logshard.core.shard;

import dev.logshard.core.RangePlacement;
import java.util.List;

/**
 * Every decision of one RangeShard generation, as plain Java: whether a command is served, held
 * (a fence) or refused (handed off), where a read goes during a read ramp, and the answer to each
 * {@link TransferStep} as a source ({@link SourceSide}) or a destination ({@link DestinationSide}).
 * The writes themselves are decided by {@link RangeShardDraft}. The actor {@code RangeShard} runs it;
 * so does the transfer simulation.
 *
 * <p>Lifecycle: one per incarnation of the entity, with the placement it was started with. Not
 * thread-safe: one caller at a time (the actor).
 */
public final class RangeShardLogic {

  /** What happens to a key-value command now. */
  public enum Admission {
    /** Decide it against the state. */
    SERVE,
    /** Hold it until the fence ends (writes during a fence: clients see latency, not an error). */
    HOLD,
    /** Answer {@link #wrongRange}: this generation handed off, its values may be older than its successors'. */
    WRONG_RANGE
  }

  private final RangePlacement placement;
  private final SourceSide source;

  public RangeShardLogic(RangePlacement placement) {
    this(placement, SourceSide.RECENT_EVENTS);
  }

  /** {@code recentEvents}: how many of its latest events a followed source keeps for its fence's answer. */
  public RangeShardLogic(RangePlacement placement, int recentEvents) {
    this.placement = placement;
    this.source = new SourceSide(placement.entityId(), recentEvents);
  }

  public RangePlacement placement() {
    return placement;
  }

  /** Whether a command is served now; {@code writes}: it changes keys. */
  public Admission admit(RangeShardState state, boolean writes) {
    if (source.handedOffEpoch(state) > 0) {
      return Admission.WRONG_RANGE;
    }
    return writes && state.fencedBy() != null ? Admission.HOLD : Admission.SERVE;
  }

  /** The answer of a generation that handed off: the sender's map is older than the hand-off's epoch. */
  public KvReply wrongRange(RangeShardState state) {
    return new KvReply.WrongRange(placement.entityId(), source.handedOffEpoch(state));
  }

  /**
   * A single-key read: the destination to send it on to (read ramp of a transfer, for a fraction
   * of reads; {@code dice} uniform in [0, 1)), or null to serve it here.
   */
  public RangePlacement redirectRead(String key, double dice) {
    return source.redirectRead(key, dice);
  }

  /** As a destination: whether a read a source sent on is served here, or handed back to it. */
  public boolean servesReadAt(RangeShardState state, String sourceEntityId, long minSeqNr) {
    return DestinationSide.servesReadAt(state, sourceEntityId, minSeqNr);
  }

  /** Events were persisted, the last at {@code lastSeqNr}. */
  public void persisted(List<RangeShardEvent> events, long lastSeqNr) {
    source.persisted(events, lastSeqNr);
  }

  /** The outcome of a transfer step; {@code lastSeqNr}: the generation's last sequence number now. */
  public StepOutcome onStep(RangeShardState state, TransferStep step, long lastSeqNr) {
    String entityId = placement.entityId();
    if (step instanceof TransferStep.OpenExport open) {
      return source.openExport(state, open, lastSeqNr);
    } else if (step instanceof TransferStep.ReadExport read) {
      return source.readExport(read);
    } else if (step instanceof TransferStep.DescribeLog) {
      return source.describeLog(state, lastSeqNr);
    } else if (step instanceof TransferStep.RedirectReads redirect) {
      return source.redirectReads(state, redirect, lastSeqNr);
    } else if (step instanceof TransferStep.Fence fence) {
      return source.fence(state, fence, lastSeqNr);
    } else if (step instanceof TransferStep.Unfence unfence) {
      return source.unfence(state, unfence);
    } else if (step instanceof TransferStep.HandOff handOff) {
      return source.handOff(handOff);
    } else if (step instanceof TransferStep.PersistHandOff persistHandOff) {
      return source.persistHandOff(state, persistHandOff);
    } else if (step instanceof TransferStep.Follow follow) {
      return DestinationSide.follow(state, entityId, follow);
    } else if (step instanceof TransferStep.ApplyChanges apply) {
      return DestinationSide.applyChanges(state, entityId, placement.range(), apply);
    } else if (step instanceof TransferStep.Discard discard) {
      return new StepOutcome(null, (after, lastSeq) -> TransferReply.Done.of(entityId, discard), null, false, true, null);
    }
    throw new IllegalArgumentException("unknown step " + step);
  }

  /**
   * The answer of a generation the Coordinator does not place (retired, rolled back, or never
   * created): steps that undo or end something are done (there is nothing to undo), others refused.
   */
  public static TransferReply unplacedAnswer(String entityId, long epoch, TransferStep step) {
    if (step instanceof TransferStep.Unfence || step instanceof TransferStep.HandOff
        || step instanceof TransferStep.Discard) {
      return TransferReply.Done.of(entityId, step);
    }
    return TransferReply.Refused.of(entityId, step, "not placed at epoch " + epoch);
  }
}
