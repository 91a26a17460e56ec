package dev.logshard.core.transfer;

/**
 * Where a Transfer is in the protocol of DESIGN.md. Every phase before {@link #COMMITTED} can roll
 * back; a transfer ends {@link #DONE} (committed and cleaned up) or {@link #ROLLED_BACK}.
 */
public enum TransferPhase {
  /** The coordinator persisted the intent; the destinations are about to be seeded. */
  PLANNED,
  /** Copying a point-in-time snapshot of each source, in chunks. */
  SNAPSHOT,
  /** Streaming the source's journal after the snapshot into the destinations. */
  CATCH_UP,
  /** Caught up: shifting a rising fraction of reads to the destinations. */
  REDIRECT,
  /** The sources hold writes; the destinations apply up to the final sequence number. */
  FENCE,
  /** The new ShardMap epoch is persisted; the sources hand off what they hold. */
  COMMITTED,
  /** Ended: the old generations' events and snapshots are deleted. */
  DONE,
  /** Undoing: sources un-fenced, destinations stopped and deleted. */
  ROLLING_BACK,
  /** Ended: the ShardMap is as before the transfer. */
  ROLLED_BACK;

  public boolean isEnded() {
    return this == DONE || this == ROLLED_BACK;
  }

  /** Whether a failure now rolls the transfer back (before commit) rather than forward. */
  public boolean canRollBack() {
    return ordinal() < COMMITTED.ordinal();
  }
}
