package dev.logshard.core.transfer.saga;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.shard.TransferStep;
import dev.logshard.core.transfer.TransferPhase;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import dev.logshard.core.transfer.TransferSettings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Every decision of one Transfer's saga, as plain Java: it takes what happened (a shard's answer,
 * catch-up progress, a tick of the clock, the Coordinator's commit, an abort, a persisted phase)
 * and answers what to do as {@link SagaEffect}s (send a step to a shard, persist a phase, start or
 * stop catch-up, ask for the commit, schedule, delete, end). The work of each phase is its own
 * class ({@link CopyPhase}, {@link CatchUpPhase}, {@link FencePhase}, {@link EndPhase}); this class
 * routes the inputs and moves from phase to phase. The actor {@code TransferSaga} runs it; so does
 * the transfer simulation, against the real RangeShard rules, with lost, late and repeated messages
 * and crashes.
 *
 * <p>Lifecycle: one instance per incarnation of the saga. After a crash a new one starts from the
 * persisted {@link SagaState} ({@link #recovered}) and redoes its phase's work, every step of which
 * is idempotent. Not thread-safe: one caller at a time (the actor).
 */
public final class TransferSagaLogic {

  private final SagaContext ctx;
  private final String fault;
  private final SourcePositions positions;
  private final CopyPhase copy;
  private final CatchUpPhase catchUp;
  private final FencePhase fence;
  private final EndPhase end;

  /**
   * @param fault a fault to inject ({@code fail:<PHASE>}, {@code crash:<PHASE>}), or null
   * @param stopFirst run the naive stop-and-copy baseline
   * @param copyIds a new, unique name for each attempt at the snapshot copy
   */
  public TransferSagaLogic(TransferPlan plan, String fault, boolean stopFirst, TransferSettings settings,
      LongSupplier clockMillis, LongSupplier nanos, Supplier<String> copyIds) {
    this.ctx = new SagaContext(plan, settings, stopFirst, clockMillis, nanos);
    this.fault = fault;
    this.positions = new SourcePositions(plan);
    this.copy = new CopyPhase(ctx, copyIds);
    this.catchUp = new CatchUpPhase(ctx, positions, copy.snapshotSeqNrs);
    this.fence = new FencePhase(ctx, positions);
    this.end = new EndPhase(ctx);
  }

  public TransferPhase phase() {
    return ctx.phase;
  }

  public TransferPlan plan() {
    return ctx.plan;
  }

  // --- inputs

  /** The persisted state after recovery; {@link #resume} starts the work once the Coordinator answered. */
  public void recovered(SagaState state) {
    ctx.latest = state;
    ctx.epoch = state.epoch();
    copy.snapshotSeqNrs.putAll(state.snapshotSeqNrs());
    ctx.keysCopied = state.keys();
    ctx.bytesCopied = state.bytes();
    ctx.failure = state.failure();
    ctx.copyId = state.copy();
  }

  /**
   * Starts the work of the recovered phase, given the epoch the Coordinator committed the transfer
   * at (0: not committed) and whether it rolls back, as it answers now: a saga restarted after a
   * crash between the commit and persisting it must go forward, never roll back.
   */
  public List<SagaEffect> resume(long committedEpoch, boolean rollingBack) {
    ctx.resumed = true;
    TransferPhase recovered = ctx.latest.phase();
    ctx.phase = recovered;
    if (recovered != TransferPhase.PLANNED) {
      ctx.log("resumes in phase " + recovered, false);
    }
    if (committedEpoch > 0 && recovered.canRollBack()) {
      // The coordinator committed, but this saga crashed before it persisted that: go forward.
      ctx.persistPhase(TransferPhase.COMMITTED, null, committedEpoch, null);
    } else if (rollingBack && recovered.canRollBack()) {
      // The coordinator recorded the rollback, but this saga crashed before it persisted it.
      ctx.persistPhase(TransferPhase.ROLLING_BACK, null, 0,
          ctx.failure != null ? ctx.failure : "rolled back before a restart");
    } else if (recovered == TransferPhase.PLANNED) {
      ctx.persistPhase(TransferPhase.SNAPSHOT, null, 0, null);
    } else {
      enter(recovered);
    }
    return ctx.drain();
  }

  /** A {@link SagaEffect.Persist} completed: {@code state} is the new persisted state. Starts the phase's work. */
  public List<SagaEffect> persisted(SagaState state) {
    ctx.latest = state;
    ctx.epoch = state.epoch();
    enter(state.phase());
    return ctx.drain();
  }

  public List<SagaEffect> shardReplied(TransferReply reply) {
    String from = reply.entityId();
    if (reply instanceof TransferReply.LogPosition position) {
      catchUp.positionReported(position); // a progress sample, never the answer to a step
      return ctx.drain();
    }
    if (reply instanceof TransferReply.Applied applied && fence.takesTailApplied(applied)) {
      return ctx.drain();
    }
    if (reply instanceof TransferReply.Fenced early && !early.durable()) {
      // The source is persisting its fence: its tail can be applied meanwhile; the commit waits for
      // the durable answer.
      if (ctx.phase == TransferPhase.FENCE && answersLastStep(reply) && ctx.awaiting.contains(from)) {
        fence.pushTail(early);
      }
      return ctx.drain();
    }
    if (!answersLastStep(reply) || !ctx.awaiting.remove(from)) {
      return ctx.drain(); // a late answer to a step of an earlier attempt
    }
    ctx.progressed();
    if (reply instanceof TransferReply.Refused refused) {
      if (ctx.phase.canRollBack()) {
        end.rollBack(refused.entityId() + " refused: " + refused.reason());
      } // after commit: the tick sends the step again
      return ctx.drain();
    }
    switch (ctx.phase) {
      case SNAPSHOT -> {
        if (reply instanceof TransferReply.Fenced fenced) { // the stop-and-copy baseline fences first
          fence.stopFirstFenced();
          positions.fenced.put(from, fenced.seqNr());
          if (ctx.awaiting.isEmpty()) {
            startSnapshot();
          }
        } else {
          copy.onReply(reply, from);
        }
      }
      case FENCE -> {
        if (reply instanceof TransferReply.Fenced fenced) {
          fence.fenced(fenced);
        }
      }
      case COMMITTED -> {
        if (ctx.awaiting.isEmpty() && end.cleaningUp()) {
          end.purgeRetired();
        } else if (ctx.awaiting.isEmpty()) {
          fence.handedOff();
          ctx.emit(new SagaEffect.CleanupLater());
        }
      }
      case ROLLING_BACK -> {
        if (ctx.awaiting.isEmpty()) {
          end.purgeRetired();
        }
      }
      default -> { }
    }
    return ctx.drain();
  }

  /** The destinations applied the source's journal up to {@code seqNr}. */
  public List<SagaEffect> cdcApplied(String sourceEntityId, long seqNr) {
    positions.applied(sourceEntityId, seqNr);
    ctx.progressed();
    if (ctx.phase == TransferPhase.FENCE) {
      fence.commitIfCaughtUp();
    }
    return ctx.drain();
  }

  /** The catch-up of a source ended: stopped, or failed ({@code failure} not null). */
  public List<SagaEffect> cdcEnded(String sourceEntityId, String failure) {
    catchUp.streamEnded(sourceEntityId);
    if (failure != null && ctx.phase.canRollBack() && ctx.phase != TransferPhase.PLANNED) {
      end.rollBack("catch-up of " + sourceEntityId + " failed: " + failure);
    } else if (ctx.phase == TransferPhase.ROLLING_BACK && !catchUp.streaming() && ctx.awaiting.isEmpty()) {
      end.undoOnShards();
    }
    return ctx.drain();
  }

  /** Every progress interval: sample the sources, report, check timeouts, move on when caught up. */
  public List<SagaEffect> tick() {
    if (!ctx.resumed) {
      return ctx.drain(); // its phase is not known yet
    }
    TransferPhase phase = ctx.phase;
    if (phase == TransferPhase.CATCH_UP || phase == TransferPhase.REDIRECT || phase == TransferPhase.FENCE) {
      catchUp.sampleSources();
    }
    ctx.emit(new SagaEffect.ReportProgress(progress()));
    long idleMillis = (ctx.nanos() - ctx.lastProgressNanos) / 1_000_000;
    // Also once the commit was requested: the Coordinator, asked to roll back, answers that it
    // committed if it did (then the saga goes forward), so a fence never lasts for ever.
    if (phase.canRollBack()) {
      if (idleMillis > ctx.settings.stepTimeout().toMillis()) {
        end.rollBack("no progress in phase " + phase + " for " + idleMillis + " ms");
        return ctx.drain();
      }
      String fenceTimeout = fence.timeout();
      if (fenceTimeout != null) {
        end.rollBack(fenceTimeout);
        return ctx.drain();
      }
    }
    if (phase == TransferPhase.CATCH_UP && catchUp.caughtUp()) {
      ctx.persistPhase(TransferPhase.REDIRECT, null, 0, null);
      return ctx.drain();
    }
    if (phase == TransferPhase.REDIRECT && catchUp.readyToFence()) {
      ctx.emit(new SagaEffect.StopRamp());
      ctx.persistPhase(TransferPhase.FENCE, null, 0, null);
      return ctx.drain();
    }
    if (fence.commitRequested) {
      ctx.emit(new SagaEffect.RequestCommit());
    }
    if (!phase.canRollBack() && !ctx.awaiting.isEmpty() && idleMillis > ctx.settings.stepTimeout().toMillis()) {
      ctx.resendAwaited(); // after commit and while rolling back, steps are retried until they are done
    }
    return ctx.drain();
  }

  /** Every redirect interval during REDIRECT: a larger share of reads to the destinations. */
  public List<SagaEffect> rampStep() {
    if (ctx.phase == TransferPhase.REDIRECT) {
      catchUp.rampStep();
    }
    return ctx.drain();
  }

  /**
   * The Coordinator persisted the commit at {@code epoch}: the sources hand off at once (the fence
   * ends), and the saga persists its own phase meanwhile. A crash before that is safe: the
   * Coordinator restarts the saga with the committed epoch and it hands off again (idempotent).
   */
  public List<SagaEffect> committed(long epoch) {
    fence.committed(epoch);
    return ctx.drain();
  }

  /** The copy's pace allows reading the chunk at {@code from} now. */
  public List<SagaEffect> readChunk(int from) {
    if (ctx.phase == TransferPhase.SNAPSHOT) {
      copy.readChunk(from);
    }
    return ctx.drain();
  }

  /** The committed transfer's old generations have been kept long enough: stop and delete them. */
  public List<SagaEffect> cleanupDue() {
    end.cleanUp();
    return ctx.drain();
  }

  /** Deleting the generation with {@code entityId} ended; {@code failure} null when it succeeded. */
  public List<SagaEffect> purged(String entityId, String failure) {
    end.purged(entityId, failure);
    return ctx.drain();
  }

  /**
   * The Coordinator recorded the rollback ({@code committedEpoch} 0), or the transfer had committed
   * already (then it goes forward).
   */
  public List<SagaEffect> rollBackAnswered(long committedEpoch) {
    if (committedEpoch > 0) {
      ctx.rollBackRequested = false;
      ctx.log("committed already at epoch " + committedEpoch + ": goes forward", true);
      fence.goForward(committedEpoch);
    } else if (ctx.phase.canRollBack()) {
      ctx.persistPhase(TransferPhase.ROLLING_BACK, null, 0, ctx.failure);
    }
    return ctx.drain();
  }

  /** Roll back (before the commit was requested; ignored after, and before the saga resumed). */
  public List<SagaEffect> abort(String reason) {
    if (ctx.resumed) {
      end.rollBack(reason);
    }
    return ctx.drain();
  }

  // --- phases

  /** Starts the work of {@code next}, which is persisted. */
  private void enter(TransferPhase next) {
    ctx.phase = next;
    if (!(next == TransferPhase.COMMITTED && fence.handOffSent)) {
      ctx.awaiting.clear();
    }
    ctx.progressed();
    injectFault(next);
    switch (next) {
      case SNAPSHOT -> startSnapshot();
      case CATCH_UP -> catchUp.startStreams();
      case REDIRECT -> {
        catchUp.startStreams();
        catchUp.startRamp();
      }
      case FENCE -> {
        catchUp.startStreams();
        fence.start();
      }
      case COMMITTED -> {
        ctx.emit(new SagaEffect.StopCatchUp());
        if (!fence.handOffSent) {
          fence.handOff();
        }
      }
      case ROLLING_BACK -> {
        ctx.emit(new SagaEffect.StopRamp());
        ctx.emit(new SagaEffect.StopCatchUp());
        if (!catchUp.streaming()) {
          end.undoOnShards();
        } // else: when the last stream has ended (no change can reach a destination after its discard)
      }
      case DONE, ROLLED_BACK -> ctx.emit(new SagaEffect.End(progress()));
      default -> throw new IllegalStateException("cannot enter " + next);
    }
  }

  /** The copy; the naive baseline stops the sources' writes first and copies afterwards. */
  private void startSnapshot() {
    if (ctx.stopFirst && !positions.everyFenced()) {
      fence.start();
    } else {
      copy.start();
    }
  }

  private void injectFault(TransferPhase next) {
    if (fault == null || !fault.endsWith(":" + next.name())) {
      return;
    }
    if (fault.startsWith("crash:")) {
      ctx.emit(new SagaEffect.Halt(next));
    } else {
      ctx.emit(new SagaEffect.AbortLater("injected failure at " + next));
    }
  }

  /**
   * Whether {@code reply} answers the last step sent to its shard, not an earlier one (answers can
   * come late, or twice): a Done or Refused names its step, a chunk its export and where it starts,
   * an Applied the token of its ApplyChanges.
   */
  private boolean answersLastStep(TransferReply reply) {
    TransferStep last = ctx.lastStepTo(reply.entityId());
    if (last == null) {
      return false;
    }
    if (reply instanceof TransferReply.NamesStep named) { // Done, Refused
      return last.name().equals(named.step());
    }
    if (reply instanceof TransferReply.Fenced) {
      return last instanceof TransferStep.Fence;
    }
    if (reply instanceof TransferReply.ExportOpened) {
      return last instanceof TransferStep.OpenExport;
    }
    if (reply instanceof TransferReply.ExportChunk chunk) {
      return copy.answersLastRead(chunk);
    }
    return reply instanceof TransferReply.Applied applied
        && last instanceof TransferStep.ApplyChanges apply && apply.step() == applied.step();
  }

  public TransferProgress progress() {
    long now = ctx.clockMillis();
    SagaState latest = ctx.latest == null ? SagaState.empty() : ctx.latest;
    long started = latest.reachedAtMillis().values().stream().mapToLong(Long::longValue).min().orElse(now);
    TransferPlan plan = ctx.plan;
    return new TransferProgress(plan.id(), plan.kind(),
        plan.sources().stream().map(RangePlacement::entityId).toList(),
        plan.destinations().stream().map(RangePlacement::entityId).toList(),
        ctx.phase, ctx.keysCopied, ctx.bytesCopied,
        ctx.phase.ordinal() >= TransferPhase.CATCH_UP.ordinal() ? positions.lag() : 0,
        catchUp.redirectFraction, catchUp.redirectedReads, started, now, latest.phaseMillis(ctx.phase, now), fence.fenceMillis,
        Collections.unmodifiableMap(new LinkedHashMap<>(fence.fenceSteps)), ctx.failure, plan.startedBy());
  }
}
