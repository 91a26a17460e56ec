package dev.logshard.core.transfer.saga;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.shard.TransferStep;
import dev.logshard.core.transfer.TransferPhase;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The saga's fence and commit: every source holds writes and answers its final sequence number
 * (at once, and again once its fence is persisted) with the changes the destinations still lack;
 * once every fence is durable and the destinations applied up to it, the saga asks the
 * Coordinator to commit; on the commit the sources hand off (the fence ends) and the saga
 * persists COMMITTED. It records each fence step's time since the fence began.
 */
final class FencePhase {

  /** A fence's tail handed to the destinations: up to {@code seqNr}; those that have not applied it yet. */
  private record PendingTail(long seqNr, Set<String> destinations) {}

  private final SagaContext ctx;
  private final SourcePositions positions;
  /** Per source, the tail its fence answered with, until every destination applied it. */
  private final Map<String, PendingTail> tailPending = new HashMap<>();
  boolean commitRequested;
  boolean handOffSent;
  private long fenceStartNanos;
  private long stopFirstFencedNanos;
  long fenceMillis;
  /** Milliseconds from the fence's start to each of its steps, in the order they happened. */
  final Map<String, Long> fenceSteps = new LinkedHashMap<>();

  FencePhase(SagaContext ctx, SourcePositions positions) {
    this.ctx = ctx;
    this.positions = positions;
  }

  /** Each source holds writes from now on; it answers with what the destinations lack, if it has it. */
  void start() {
    if (fenceStartNanos == 0) {
      fenceStartNanos = ctx.nanos();
    }
    for (RangePlacement source : ctx.plan.sources()) {
      ctx.send(source, new TransferStep.Fence(ctx.plan.id(), positions.applied(source.entityId()) + 1));
    }
  }

  /** The durable answer of a source's fence: its final sequence number. */
  void fenced(TransferReply.Fenced fenced) {
    positions.fenced.put(fenced.entityId(), fenced.seqNr());
    if (positions.everyFenced()) {
      step("fenced");
    }
    pushTail(fenced);
    commitIfCaughtUp();
  }

  /**
   * The fenced source still had the changes the destinations have not applied: they get them now,
   * instead of waiting for the catch-up stream to poll them (which goes on, and is idempotent).
   * The early and the durable answer carry the same tail: it is handed over once.
   */
  void pushTail(TransferReply.Fenced fenced) {
    String source = fenced.entityId();
    PendingTail pushed = tailPending.get(source);
    if (fenced.tail() == null || positions.applied(source) >= fenced.seqNr()
        || pushed != null && pushed.seqNr() >= fenced.seqNr()) {
      return;
    }
    Set<String> pending = new HashSet<>();
    for (SagaEffect.Send send : CatchUpBatch.steps(ctx.plan, ctx.copyId, source, fenced.seqNr(), fenced.tail(), 0, 0)) {
      pending.add(send.entityId());
      ctx.emit(send);
    }
    tailPending.put(source, new PendingTail(fenced.seqNr(), pending));
  }

  /** Whether {@code reply} answers a tail this phase handed over (then it is taken here). */
  boolean takesTailApplied(TransferReply.Applied reply) {
    PendingTail pending = tailPending.get(reply.sourceEntityId());
    if (pending == null) {
      return false;
    }
    if (reply.seqNr() >= pending.seqNr()) {
      pending.destinations().remove(reply.entityId());
      if (pending.destinations().isEmpty()) {
        tailPending.remove(reply.sourceEntityId());
        ctx.progressed();
        positions.applied(reply.sourceEntityId(), pending.seqNr());
        if (ctx.phase == TransferPhase.FENCE) {
          commitIfCaughtUp();
        }
      }
    }
    return true;
  }

  /** Asks for the commit once every fence is durable and applied (once). */
  void commitIfCaughtUp() {
    if (commitRequested || ctx.rollBackRequested || !positions.caughtUpWithFences()) {
      return;
    }
    if (ctx.stopFirst && timeout() != null) {
      return; // held the writes too long: no commit, the next tick rolls back (however fast the copy was)
    }
    // From here on the Coordinator may persist the commit: the saga rolls back only if the
    // Coordinator, asked, has not (it answers a rollback request with the commit's epoch).
    commitRequested = true;
    step("caughtUp");
    ctx.emit(new SagaEffect.RequestCommit());
  }

  /** The stop-and-copy baseline fenced a source (before its copy): its writes are held from now. */
  void stopFirstFenced() {
    stopFirstFencedNanos = stopFirstFencedNanos == 0 ? ctx.nanos() : stopFirstFencedNanos;
  }

  /**
   * Why the fence must end now, or null: it lasted longer than {@code fence-timeout}, or, for the
   * stop-and-copy baseline (fenced for its whole copy), longer than {@code stop-and-copy-timeout}.
   */
  String timeout() {
    long heldMillis = stopFirstFencedNanos == 0 ? 0 : (ctx.nanos() - stopFirstFencedNanos) / 1_000_000;
    if (ctx.stopFirst && heldMillis > ctx.settings.stopAndCopyTimeout().toMillis()) {
      return "the stop-and-copy held the range's writes for " + heldMillis + " ms, more than "
          + ctx.settings.stopAndCopyTimeout().toMillis() + " ms (logshard.transfer.stop-and-copy-timeout)";
    }
    if (ctx.phase != TransferPhase.FENCE || ctx.stopFirst
        || (ctx.nanos() - fenceStartNanos) / 1_000_000 <= ctx.settings.fenceTimeout().toMillis()) {
      return null;
    }
    return (commitRequested ? "the Coordinator did not confirm the commit within "
        : "the destinations did not catch up with the fenced sources within ")
        + ctx.settings.fenceTimeout().toMillis() + " ms";
  }

  /** The Coordinator persisted the commit: the sources hand off at once, the saga persists COMMITTED. */
  void committed(long epoch) {
    if (ctx.phase == TransferPhase.FENCE && !handOffSent) {
      step("committed");
      goForward(epoch);
    }
  }

  /** The transfer committed at {@code epoch} (maybe before a restart): hand off and persist it. */
  void goForward(long epoch) {
    if (handOffSent || !ctx.phase.canRollBack()) {
      return;
    }
    ctx.epoch = epoch;
    handOff();
    ctx.persistPhase(TransferPhase.COMMITTED, null, epoch, null);
  }

  void handOff() {
    handOffSent = true;
    for (RangePlacement source : ctx.plan.sources()) {
      ctx.send(source, new TransferStep.HandOff(ctx.plan.id(), ctx.epoch));
    }
  }

  /** Every source handed off: the fence is over. */
  void handedOff() {
    if (fenceStartNanos > 0) {
      fenceMillis = (ctx.nanos() - fenceStartNanos) / 1_000_000;
      step("handedOff");
    }
    ctx.log("sources handed off after a " + fenceMillis + " ms fence", false);
  }

  private void step(String name) {
    if (fenceStartNanos > 0) {
      fenceSteps.putIfAbsent(name, (ctx.nanos() - fenceStartNanos) / 1_000_000);
    }
  }
}
