package dev.logshard.core.transfer.saga;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.shard.TransferStep;
import dev.logshard.core.transfer.TransferPhase;
import dev.logshard.core.transfer.TransferProgress;
import java.util.List;

/** What a Transfer's saga does; the actor (or the simulation) carries it out, in order. */
public sealed interface SagaEffect {

  /** Send a step to a shard (its answer comes back through {@link TransferSagaLogic#shardReplied}). */
  record Send(String entityId, TransferStep step) implements SagaEffect {}

  /** Persist the phase; once persisted, call {@link TransferSagaLogic#persisted}. At most one per call, and last. */
  record Persist(PhaseReached event) implements SagaEffect {}

  /**
   * Stream the source's journal from {@code fromSeqNr} into the destinations, as changes of the
   * snapshot copy {@code copy} ({@link CatchUpBatch}; then {@link TransferSagaLogic#cdcApplied},
   * {@link TransferSagaLogic#cdcEnded}).
   */
  record StartCatchUp(RangePlacement source, long fromSeqNr, String copy) implements SagaEffect {}

  record StopCatchUp() implements SagaEffect {}

  /** Ask the Coordinator to commit (its answer: {@link TransferSagaLogic#committed}). */
  record RequestCommit() implements SagaEffect {}

  /** Tell the Coordinator the transfer rolls back (its answer: {@link TransferSagaLogic#rollBackAnswered}). */
  record RequestRollBack() implements SagaEffect {}

  /** Call {@link TransferSagaLogic#readChunk} with {@code from} after {@code delayNanos} (the copy's pace). */
  record ReadChunkLater(int from, long delayNanos) implements SagaEffect {}

  /** Call {@link TransferSagaLogic#rampStep} every redirect interval, until {@link StopRamp}. */
  record StartRamp() implements SagaEffect {}

  record StopRamp() implements SagaEffect {}

  /** Call {@link TransferSagaLogic#cleanupDue} after the cleanup delay. */
  record CleanupLater() implements SagaEffect {}

  /** Delete the events and snapshots of these generations ({@link TransferSagaLogic#purged} for each). */
  record Purge(List<RangePlacement> generations) implements SagaEffect {}

  record ReportProgress(TransferProgress progress) implements SagaEffect {}

  /** Roll back, as a new input ({@link TransferSagaLogic#abort}) after this one (an injected failure). */
  record AbortLater(String reason) implements SagaEffect {}

  /** Halt the process here (an injected crash: what kill -9 does). */
  record Halt(TransferPhase phase) implements SagaEffect {}

  /** Tell the Coordinator the transfer ended; stop once it acknowledged. */
  record End(TransferProgress progress) implements SagaEffect {}

  record Log(String message, boolean warning) implements SagaEffect {}
}
