package dev.logshard.actors;

import dev.logshard.actors.RangeShardEvent.Change;
import dev.logshard.actors.TransferSaga.PhaseReached;
import dev.logshard.actors.TransferSaga.SagaState;
import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.transfer.TransferPhase;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Every decision of one Transfer's saga, as plain Java: it takes what happened (a shard's answer,
 * catch-up progress, a tick of the clock, the Coordinator's commit, an abort, a persisted phase)
 * and answers what to do as {@link Effect}s (send a step to a shard, persist a phase, start or stop
 * catch-up, ask for the commit, schedule, delete, end). {@link TransferSaga} runs it as a persistent
 * actor; {@code TransferSimulationTest} runs it against the real RangeShard rules with a fake
 * journal, an injected clock, lost, late and repeated messages, and crashes.
 *
 * <p>Lifecycle: one instance per incarnation of the saga. After a crash a new one starts from the
 * persisted {@link SagaState} ({@link #recovered}) and redoes its phase's work, every step of which
 * is idempotent. Not thread-safe: one caller at a time (the actor).
 */
final class TransferSagaLogic {

  /** What the saga does; the actor (or the simulation) carries it out, in order. */
  sealed interface Effect {}

  /** Send a step to a shard (its answer comes back through {@link #shardReplied}). */
  record Send(String entityId, RangeShardCommand command) implements Effect {}

  /** Persist the phase; once persisted, call {@link #persisted}. At most one per call, and last. */
  record Persist(PhaseReached event) implements Effect {}

  /**
   * Stream the source's journal from {@code fromSeqNr} into the destinations, as changes of the
   * snapshot copy {@code copy} ({@link #cdcApplied}, {@link #cdcEnded}).
   */
  record StartCatchUp(RangePlacement source, long fromSeqNr, String copy) implements Effect {}

  record StopCatchUp() implements Effect {}

  /** Ask the Coordinator to commit (its answer: {@link #committed}). */
  record RequestCommit() implements Effect {}

  /** Tell the Coordinator the transfer rolls back (its answer: {@link #rollBackAnswered}). */
  record RequestRollBack() implements Effect {}

  /** Call {@link #readChunk} with {@code from} after {@code delayNanos} (the copy's pace). */
  record ReadChunkLater(int from, long delayNanos) implements Effect {}

  /** Call {@link #rampStep} every redirect interval, until {@link StopRamp}. */
  record StartRamp() implements Effect {}

  record StopRamp() implements Effect {}

  /** Call {@link #cleanupDue} after the cleanup delay. */
  record CleanupLater() implements Effect {}

  /** Delete the events and snapshots of these generations ({@link #purged} for each). */
  record Purge(List<RangePlacement> generations) implements Effect {}

  record ReportProgress(TransferProgress progress) implements Effect {}

  /** Roll back, as a new input ({@link #abort}) after this one (an injected failure). */
  record AbortLater(String reason) implements Effect {}

  /** Halt the process here (an injected crash: what kill -9 does). */
  record Halt(TransferPhase phase) implements Effect {}

  /** Tell the Coordinator the transfer ended; stop once it acknowledged. */
  record End(TransferProgress progress) implements Effect {}

  record Log(String message, boolean warning) implements Effect {}

  private final TransferPlan plan;
  private final String fault;
  private final boolean stopFirst;
  private final TransferSettings settings;
  private final LongSupplier clockMillis;
  private final LongSupplier nanos;
  private final java.util.function.Supplier<String> copyIds;
  private final ActorRef<TransferReply> replyTo;
  private List<Effect> out = new ArrayList<>();

  // Work of the current phase; rebuilt from the persisted phase after a restart.
  private TransferPhase phase = TransferPhase.PLANNED;
  private final Set<String> awaiting = new HashSet<>();
  private long lastProgressNanos;
  private int exportSource;
  private int exportNext;
  /** Names each chunk's ApplyChanges, so a repeated answer to an earlier one is not taken for it. */
  private long chunkStep;
  private boolean exportLast;
  private long exportLastVersion;
  private final Map<String, Long> snapshotSeqNrs = new HashMap<>();
  private long keysCopied;
  private long bytesCopied;
  private long copyStartNanos;
  /** The snapshot copy the destinations follow: a new one for each attempt at the copy. */
  private String copy;
  private final Set<String> streaming = new HashSet<>();
  private final Map<String, Long> applied = new HashMap<>();
  private final Map<String, Long> sourceSeqNrs = new HashMap<>();
  private final Map<String, Long> finalSeqNrs = new HashMap<>();
  /** Per source, the tail its fence answered with: up to which sequence number, and the destinations yet to apply it. */
  private final Map<String, PendingTail> tailPending = new HashMap<>();
  private double redirectFraction;
  private long redirectedReads;
  private boolean commitRequested;
  private boolean rollBackRequested;
  private boolean handOffSent;
  private long fenceStartNanos;
  private long fenceMillis;
  /** Milliseconds from the fence's start to each of its steps, in the order they happened. */
  private final Map<String, Long> fenceSteps = new LinkedHashMap<>();
  private String failure;
  private long stateEpoch;
  private SagaState latest;
  private boolean resumed;
  private boolean cleaningUp;
  private final Set<String> purging = new HashSet<>();
  /** The last step sent to each shard, sent again after commit and while rolling back until done. */
  private final Map<String, RangeShardCommand> lastStep = new HashMap<>();

  /**
   * @param fault a fault to inject ({@code fail:<PHASE>}, {@code crash:<PHASE>}), or null
   * @param stopFirst run the naive stop-and-copy baseline
   * @param copyIds a new, unique name for each attempt at the snapshot copy
   * @param replyTo where shards answer (null in a simulation, which answers itself)
   */
  TransferSagaLogic(TransferPlan plan, String fault, boolean stopFirst,
      TransferSettings settings, LongSupplier clockMillis, LongSupplier nanos,
      java.util.function.Supplier<String> copyIds, ActorRef<TransferReply> replyTo) {
    this.plan = plan;
    this.fault = fault;
    this.stopFirst = stopFirst;
    this.settings = settings;
    this.clockMillis = clockMillis;
    this.nanos = nanos;
    this.copyIds = copyIds;
    this.replyTo = replyTo;
    this.lastProgressNanos = nanos.getAsLong();
  }

  TransferPhase phase() {
    return phase;
  }

  TransferPlan plan() {
    return plan;
  }

  private List<Effect> drain() {
    List<Effect> effects = out;
    out = new ArrayList<>();
    return effects;
  }

  // --- inputs

  /** The persisted state after recovery; {@link #resume} starts the work once the Coordinator answered. */
  void recovered(SagaState state) {
    latest = state;
    stateEpoch = state.epoch();
    snapshotSeqNrs.putAll(state.snapshotSeqNrs());
    keysCopied = state.keys();
    bytesCopied = state.bytes();
    failure = state.failure();
    copy = state.copy();
  }

  /**
   * Starts the work of the recovered phase, given the epoch the Coordinator committed the transfer
   * at (0: not committed) and whether it rolls back, as it answers now: a saga restarted after a
   * crash between the commit and persisting it must go forward, never roll back.
   */
  List<Effect> resume(long committedEpoch, boolean rollingBack) {
    resumed = true;
    phase = latest.phase();
    if (latest.phase() != TransferPhase.PLANNED) {
      log("resumes in phase " + latest.phase(), false);
    }
    if (committedEpoch > 0 && latest.phase().canRollBack()) {
      // The coordinator committed, but this saga crashed before it persisted that: go forward.
      persistPhase(TransferPhase.COMMITTED, null, committedEpoch, null);
    } else if (rollingBack && latest.phase().canRollBack()) {
      // The coordinator recorded the rollback, but this saga crashed before it persisted it.
      persistPhase(TransferPhase.ROLLING_BACK, null, 0, failure != null ? failure : "rolled back before a restart");
    } else if (latest.phase() == TransferPhase.PLANNED) {
      persistPhase(TransferPhase.SNAPSHOT, null, 0, null);
    } else {
      enter(latest.phase());
    }
    return drain();
  }

  /** A {@link Persist} completed: {@code state} is the new persisted state. Starts the phase's work. */
  List<Effect> persisted(SagaState state) {
    latest = state;
    stateEpoch = state.epoch();
    enter(state.phase());
    return drain();
  }

  List<Effect> shardReplied(TransferReply reply) {
    String from = reply.entityId();
    if (reply instanceof TransferReply.LogPosition position) {
      // A progress sample (DescribeLog, RedirectReads), never the answer to a step.
      sourceSeqNrs.put(from, position.seqNr());
      redirectedReads = position.redirectedReads();
      return drain();
    }
    if (reply instanceof TransferReply.Applied tailApplied && tailPending.containsKey(tailApplied.sourceEntityId())) {
      onTailApplied(tailApplied);
      return drain();
    }
    if (reply instanceof TransferReply.Fenced early && !early.durable()) {
      // The source is persisting its fence: its tail can be applied meanwhile; the commit waits for
      // the durable answer.
      if (phase == TransferPhase.FENCE && answersLastStep(reply) && awaiting.contains(from)) {
        pushTail(early);
      }
      return drain();
    }
    if (!answersLastStep(reply) || !awaiting.remove(from)) {
      return drain(); // a late answer to a step of an earlier attempt
    }
    lastProgressNanos = nanos.getAsLong();
    if (reply instanceof TransferReply.Refused refused) {
      if (phase.canRollBack()) {
        rollBack(refused.entityId() + " refused: " + refused.reason());
      } // after commit: the tick sends the step again
      return drain();
    }
    switch (phase) {
      case SNAPSHOT -> onSnapshotReply(reply, from);
      case FENCE -> {
        if (reply instanceof TransferReply.Fenced fenced) {
          finalSeqNrs.put(from, fenced.seqNr());
          if (finalSeqNrs.size() == plan.sources().size()) {
            fenceStep("fenced");
          }
          pushTail(fenced);
          commitIfCaughtUp();
        }
      }
      case COMMITTED -> {
        if (awaiting.isEmpty() && cleaningUp) {
          purge(plan.sources());
        } else if (awaiting.isEmpty()) {
          if (fenceStartNanos > 0) {
            fenceMillis = (nanos.getAsLong() - fenceStartNanos) / 1_000_000;
            fenceStep("handedOff");
          }
          log("sources handed off after a " + fenceMillis + " ms fence", false);
          out.add(new CleanupLater());
        }
      }
      case ROLLING_BACK -> {
        if (awaiting.isEmpty()) {
          purge(plan.destinations());
        }
      }
      default -> { }
    }
    return drain();
  }

  private void onSnapshotReply(TransferReply reply, String from) {
    if (reply instanceof TransferReply.Fenced fenced) {
      finalSeqNrs.put(from, fenced.seqNr());
      if (awaiting.isEmpty()) {
        startSnapshot();
      }
    } else if (reply instanceof TransferReply.ExportOpened opened) {
      snapshotSeqNrs.put(from, opened.seqNr());
      exportLastVersion = opened.lastVersion();
      readExport(0);
    } else if (reply instanceof TransferReply.ExportChunk chunk) {
      importChunk(chunk);
    } else if (awaiting.isEmpty()) {
      if (reply instanceof TransferReply.Applied && !exportLast) {
        paceNextChunk();
      } else {
        if (reply instanceof TransferReply.Applied) {
          exportSource++;
        }
        exportLast = false;
        openExport();
      }
    }
  }

  /** The destinations applied the source's journal up to {@code seqNr}. */
  List<Effect> cdcApplied(String sourceEntityId, long seqNr) {
    applied.merge(sourceEntityId, seqNr, Math::max);
    lastProgressNanos = nanos.getAsLong();
    if (phase == TransferPhase.FENCE) {
      commitIfCaughtUp();
    }
    return drain();
  }

  /** The catch-up of a source ended: stopped, or failed ({@code failure} not null). */
  List<Effect> cdcEnded(String sourceEntityId, String failure) {
    streaming.remove(sourceEntityId);
    if (failure != null && phase.canRollBack() && phase != TransferPhase.PLANNED) {
      rollBack("catch-up of " + sourceEntityId + " failed: " + failure);
    } else if (phase == TransferPhase.ROLLING_BACK && streaming.isEmpty() && awaiting.isEmpty()) {
      undoOnShards();
    }
    return drain();
  }

  /** Every progress interval: sample the sources, report, check timeouts, move on when caught up. */
  List<Effect> tick() {
    if (!resumed) {
      return drain(); // its phase is not known yet
    }
    if (phase == TransferPhase.CATCH_UP || phase == TransferPhase.REDIRECT || phase == TransferPhase.FENCE) {
      for (RangePlacement source : plan.sources()) {
        out.add(new Send(source.entityId(), new RangeShardCommand.DescribeLog(replyTo)));
      }
    }
    out.add(new ReportProgress(progress()));
    long now = nanos.getAsLong();
    long idleMillis = (now - lastProgressNanos) / 1_000_000;
    // Also once the commit was requested: the Coordinator, asked to roll back, answers that it
    // committed if it did (then the saga goes forward), so a fence never lasts for ever.
    if (phase.canRollBack()) {
      if (idleMillis > settings.stepTimeout().toMillis()) {
        rollBack("no progress in phase " + phase + " for " + idleMillis + " ms");
        return drain();
      }
      if (phase == TransferPhase.FENCE && !stopFirst
          && (now - fenceStartNanos) / 1_000_000 > settings.fenceTimeout().toMillis()) {
        rollBack((commitRequested ? "the Coordinator did not confirm the commit within "
            : "the destinations did not catch up with the fenced sources within ")
            + settings.fenceTimeout().toMillis() + " ms");
        return drain();
      }
    }
    if (phase == TransferPhase.CATCH_UP && lag() <= settings.catchUpLag() && sourceSeqNrs.size() == plan.sources().size()) {
      persistPhase(TransferPhase.REDIRECT, null, 0, null);
      return drain();
    }
    if (phase == TransferPhase.REDIRECT && redirectFraction >= settings.redirectTarget()
        && lag() <= settings.fenceLag()) {
      out.add(new StopRamp());
      persistPhase(TransferPhase.FENCE, null, 0, null);
      return drain();
    }
    if (commitRequested) {
      out.add(new RequestCommit());
    }
    if (!phase.canRollBack() && !awaiting.isEmpty() && idleMillis > settings.stepTimeout().toMillis()) {
      resendAwaited(); // after commit and while rolling back, steps are retried until they are done
    }
    return drain();
  }

  /** Every redirect interval during REDIRECT: a larger share of reads to the destinations. */
  List<Effect> rampStep() {
    if (phase != TransferPhase.REDIRECT) {
      return drain();
    }
    if (lag() <= settings.redirectMaxLag() && redirectFraction < settings.redirectTarget()) {
      redirectFraction = Math.min(settings.redirectTarget(), redirectFraction + settings.redirectStep());
      lastProgressNanos = nanos.getAsLong(); // a rising ramp is progress, writes or not
    }
    for (RangePlacement source : plan.sources()) {
      out.add(new Send(source.entityId(),
          new RangeShardCommand.RedirectReads(plan.id(), redirectFraction, plan.destinations(), replyTo)));
    }
    return drain();
  }

  /**
   * The Coordinator persisted the commit at {@code epoch}: the sources hand off at once (the fence
   * ends), and the saga persists its own phase meanwhile. A crash before that is safe: the
   * Coordinator restarts the saga with the committed epoch and it hands off again (idempotent).
   */
  List<Effect> committed(long epoch) {
    if (phase == TransferPhase.FENCE && !handOffSent) {
      fenceStep("committed");
      goForward(epoch);
    }
    return drain();
  }

  private void goForward(long epoch) {
    if (handOffSent || !phase.canRollBack()) {
      return;
    }
    stateEpoch = epoch;
    handOff();
    persistPhase(TransferPhase.COMMITTED, null, epoch, null);
  }

  /** The copy's pace allows reading the chunk at {@code from} now. */
  List<Effect> readChunk(int from) {
    if (phase == TransferPhase.SNAPSHOT) {
      readExport(from);
    }
    return drain();
  }

  /** The committed transfer's old generations have been kept long enough: stop and delete them. */
  List<Effect> cleanupDue() {
    cleaningUp = true;
    lastProgressNanos = nanos.getAsLong();
    for (RangePlacement source : plan.sources()) {
      send(source, new RangeShardCommand.Discard(plan.id(), replyTo));
    }
    return drain();
  }

  /** Deleting the generation with {@code entityId} ended; {@code failure} null when it succeeded. */
  List<Effect> purged(String entityId, String failure) {
    purging.remove(entityId);
    if (failure != null) {
      log("deleting " + entityId + " failed (" + failure + "); retrying", true);
      purge((phase == TransferPhase.ROLLING_BACK ? plan.destinations() : plan.sources()).stream()
          .filter(p -> p.entityId().equals(entityId)).toList());
    } else if (purging.isEmpty()) {
      persistPhase(phase == TransferPhase.ROLLING_BACK ? TransferPhase.ROLLED_BACK : TransferPhase.DONE, null, 0, null);
    }
    return drain();
  }

  /**
   * The Coordinator recorded the rollback ({@code committedEpoch} 0), or the transfer had committed
   * already (then it goes forward).
   */
  List<Effect> rollBackAnswered(long committedEpoch) {
    if (committedEpoch > 0) {
      rollBackRequested = false;
      log("committed already at epoch " + committedEpoch + ": goes forward", true);
      goForward(committedEpoch);
    } else if (phase.canRollBack()) {
      persistPhase(TransferPhase.ROLLING_BACK, null, 0, failure);
    }
    return drain();
  }

  /** Roll back (before the commit was requested; ignored after, and before the saga resumed). */
  List<Effect> abort(String reason) {
    if (resumed) {
      rollBack(reason);
    }
    return drain();
  }

  // --- phases

  /** Starts the work of {@code next}, which is persisted. */
  private void enter(TransferPhase next) {
    phase = next;
    if (!(next == TransferPhase.COMMITTED && handOffSent)) {
      awaiting.clear();
    }
    lastProgressNanos = nanos.getAsLong();
    injectFault(next);
    switch (next) {
      case SNAPSHOT -> startSnapshot();
      case CATCH_UP -> startCatchUp();
      case REDIRECT -> {
        startCatchUp();
        redirectFraction = 0;
        out.add(new StartRamp());
      }
      case FENCE -> {
        startCatchUp();
        if (fenceStartNanos == 0) {
          fenceStartNanos = nanos.getAsLong();
        }
        fenceSources();
      }
      case COMMITTED -> {
        out.add(new StopCatchUp());
        if (!handOffSent) {
          handOff();
        }
      }
      case ROLLING_BACK -> startRollingBack();
      case DONE, ROLLED_BACK -> out.add(new End(progress()));
      default -> throw new IllegalStateException("cannot enter " + next);
    }
  }

  private void persistPhase(TransferPhase next, Map<String, Long> seqNrs, long epoch, String why) {
    out.add(new Persist(new PhaseReached(next, seqNrs, epoch, keysCopied, bytesCopied, why, clockMillis.getAsLong(),
        copy)));
  }

  private void injectFault(TransferPhase next) {
    if (fault == null || !fault.endsWith(":" + next.name())) {
      return;
    }
    if (fault.startsWith("crash:")) {
      out.add(new Halt(next));
    } else {
      out.add(new AbortLater("injected failure at " + next));
    }
  }

  // --- snapshot

  private void startSnapshot() {
    if (stopFirst && finalSeqNrs.size() < plan.sources().size()) {
      // The naive baseline: stop the sources' writes first, copy afterwards.
      fenceStartNanos = nanos.getAsLong();
      fenceSources();
      return;
    }
    keysCopied = 0;
    bytesCopied = 0;
    exportSource = 0;
    copyStartNanos = nanos.getAsLong();
    copy = copyIds.get();
    List<String> sources = plan.sources().stream().map(RangePlacement::entityId).toList();
    for (RangePlacement d : plan.destinations()) {
      send(d, new RangeShardCommand.Follow(plan.id(), copy, sources, replyTo));
    }
  }

  /**
   * Whether {@code reply} answers the last step sent to its shard, not an earlier one (answers can
   * come late, or twice): a Done or Refused names its step, a chunk its export and where it starts, an Applied
   * the token of its ApplyChanges.
   */
  private boolean answersLastStep(TransferReply reply) {
    RangeShardCommand last = lastStep.get(reply.entityId());
    if (last == null) {
      return false;
    }
    if (reply instanceof TransferReply.NamesStep named) { // Done, Refused
      return TransferReply.stepOf(last.getClass()).equals(named.step());
    }
    if (reply instanceof TransferReply.Fenced) {
      return last instanceof RangeShardCommand.Fence;
    }
    if (reply instanceof TransferReply.ExportOpened) {
      return last instanceof RangeShardCommand.OpenExport;
    }
    if (reply instanceof TransferReply.ExportChunk chunk) {
      return last instanceof RangeShardCommand.ReadExport read
          && chunk.next() - chunk.entries().size() == read.from()
          && chunk.seqNr() == snapshotSeqNrs.getOrDefault(chunk.entityId(), -1L);
    }
    return reply instanceof TransferReply.Applied applied
        && last instanceof RangeShardCommand.ApplyChanges apply && apply.step() == applied.step();
  }

  private void openExport() {
    if (exportSource == plan.sources().size()) {
      persistPhase(stopFirst ? TransferPhase.FENCE : TransferPhase.CATCH_UP, Map.copyOf(snapshotSeqNrs), 0, null);
      return;
    }
    send(plan.sources().get(exportSource), new RangeShardCommand.OpenExport(plan.id(), replyTo));
  }

  private void readExport(int from) {
    send(plan.sources().get(exportSource),
        new RangeShardCommand.ReadExport(plan.id(), from, settings.chunkBytes(), replyTo));
  }

  /** Reads the next chunk now, or later if the copy is ahead of {@code copy-bytes-per-second}. */
  private void paceNextChunk() {
    long rate = stopFirst ? 0 : settings.copyBytesPerSecond(); // the baseline copies flat out: writes wait
    long dueNanos = rate <= 0 ? 0 : copyStartNanos + bytesCopied * 1_000_000_000L / rate;
    long waitNanos = dueNanos - nanos.getAsLong();
    if (waitNanos <= 1_000_000) {
      readExport(exportNext);
    } else {
      lastProgressNanos = nanos.getAsLong(); // pacing is not a stall
      out.add(new ReadChunkLater(exportNext, waitNanos));
    }
  }

  private void importChunk(TransferReply.ExportChunk chunk) {
    RangePlacement source = plan.sources().get(exportSource);
    exportNext = chunk.next();
    exportLast = chunk.last();
    long upTo = chunk.last() ? snapshotSeqNrs.get(source.entityId()) : 0;
    chunkStep++;
    for (RangePlacement d : plan.destinations()) {
      List<Change> mine = new ArrayList<>();
      for (Change c : chunk.entries()) {
        if (d.range().contains(KeyHash.of(c.key()))) {
          mine.add(c);
        }
      }
      send(d, new RangeShardCommand.ApplyChanges(plan.id(), copy, source.entityId(), upTo, mine, exportLastVersion,
          chunkStep, replyTo));
    }
    for (Change c : chunk.entries()) {
      keysCopied++;
      bytesCopied += c.sizeInBytes();
    }
  }

  // --- catch-up

  private void startCatchUp() {
    for (RangePlacement source : plan.sources()) {
      if (!streaming.add(source.entityId())) {
        continue;
      }
      long from = Math.max(snapshotSeqNrs.getOrDefault(source.entityId(), 0L),
          applied.getOrDefault(source.entityId(), 0L)) + 1;
      applied.putIfAbsent(source.entityId(), from - 1);
      out.add(new StartCatchUp(source, from, copy));
    }
  }

  private long lag() {
    long lag = 0;
    for (RangePlacement source : plan.sources()) {
      long at = finalSeqNrs.getOrDefault(source.entityId(), sourceSeqNrs.getOrDefault(source.entityId(), 0L));
      lag += Math.max(0, at - applied.getOrDefault(source.entityId(), 0L));
    }
    return lag;
  }

  // --- fence and commit

  /** Each source holds writes from now on; it answers with what the destinations lack, if it has it. */
  private void fenceSources() {
    for (RangePlacement source : plan.sources()) {
      send(source, new RangeShardCommand.Fence(plan.id(), applied.getOrDefault(source.entityId(), 0L) + 1, replyTo));
    }
  }

  /**
   * The fenced source still had the changes the destinations have not applied: they get them now,
   * instead of waiting for the catch-up stream to poll them (which goes on, and is idempotent).
   */
  private void pushTail(TransferReply.Fenced fenced) {
    String source = fenced.entityId();
    PendingTail pushed = tailPending.get(source);
    if (fenced.tail() == null || applied.getOrDefault(source, 0L) >= fenced.seqNr()
        || pushed != null && pushed.seqNr() >= fenced.seqNr()) {
      return; // nothing to hand over, or already handed over (the early and the durable answer carry the same)
    }
    Set<String> pending = new HashSet<>();
    for (RangePlacement d : plan.destinations()) {
      pending.add(d.entityId());
      out.add(new Send(d.entityId(),
          new RangeShardCommand.ApplyChanges(plan.id(), copy, source, fenced.seqNr(), fenced.tail(), 0, 0, replyTo)));
    }
    tailPending.put(source, new PendingTail(fenced.seqNr(), pending));
  }

  private void onTailApplied(TransferReply.Applied reply) {
    PendingTail pending = tailPending.get(reply.sourceEntityId());
    if (reply.seqNr() < pending.seqNr()) {
      return;
    }
    pending.destinations().remove(reply.entityId());
    if (pending.destinations().isEmpty()) {
      tailPending.remove(reply.sourceEntityId());
      lastProgressNanos = nanos.getAsLong();
      applied.merge(reply.sourceEntityId(), pending.seqNr(), Math::max);
      if (phase == TransferPhase.FENCE) {
        commitIfCaughtUp();
      }
    }
  }

  /** A fence's tail handed to the destinations: up to {@code seqNr}; those that have not applied it yet. */
  private record PendingTail(long seqNr, Set<String> destinations) {}

  private void commitIfCaughtUp() {
    if (commitRequested || rollBackRequested || finalSeqNrs.size() < plan.sources().size()) {
      return;
    }
    for (RangePlacement source : plan.sources()) {
      if (applied.getOrDefault(source.entityId(), 0L) < finalSeqNrs.get(source.entityId())) {
        return;
      }
    }
    // From here on the Coordinator may persist the commit: the saga rolls back only if the
    // Coordinator, asked, has not (it answers a rollback request with the commit's epoch).
    commitRequested = true;
    fenceStep("caughtUp");
    out.add(new RequestCommit());
  }

  private void fenceStep(String step) {
    if (fenceStartNanos > 0) {
      fenceSteps.putIfAbsent(step, (nanos.getAsLong() - fenceStartNanos) / 1_000_000);
    }
  }

  private void handOff() {
    handOffSent = true;
    for (RangePlacement source : plan.sources()) {
      send(source, new RangeShardCommand.HandOff(plan.id(), stateEpoch, replyTo));
    }
  }

  // --- rollback and cleanup

  /**
   * Rolls back, once the Coordinator has recorded it (from then on the transfer cannot commit and
   * its destinations do not start again); if it committed meanwhile, the saga goes forward instead.
   */
  private void rollBack(String why) {
    if (!phase.canRollBack()) {
      log("cannot roll back in phase " + phase + " (" + why + ")", true);
      return;
    }
    if (rollBackRequested) {
      return;
    }
    log("rolls back from phase " + phase + ": " + why, true);
    failure = why;
    rollBackRequested = true;
    out.add(new RequestRollBack());
  }

  private void startRollingBack() {
    out.add(new StopRamp());
    out.add(new StopCatchUp());
    if (streaming.isEmpty()) {
      undoOnShards();
    } // else: when the last stream has ended (no change can reach a destination after its discard)
  }

  private void undoOnShards() {
    for (RangePlacement source : plan.sources()) {
      send(source, new RangeShardCommand.Unfence(plan.id(), replyTo));
    }
    for (RangePlacement d : plan.destinations()) {
      send(d, new RangeShardCommand.Discard(plan.id(), replyTo));
    }
  }

  private void purge(List<RangePlacement> generations) {
    generations.forEach(p -> purging.add(p.entityId()));
    out.add(new Purge(generations));
  }

  // --- helpers

  /** Sends a step whose answer the phase waits for. */
  private void send(RangePlacement placement, RangeShardCommand step) {
    awaiting.add(placement.entityId());
    lastStep.put(placement.entityId(), step);
    out.add(new Send(placement.entityId(), step));
  }

  private void resendAwaited() {
    lastProgressNanos = nanos.getAsLong();
    for (String entityId : awaiting) {
      RangeShardCommand step = lastStep.get(entityId);
      if (step != null) {
        log("sending " + step.getClass().getSimpleName() + " again to " + entityId, false);
        out.add(new Send(entityId, step));
      }
    }
  }

  private void log(String message, boolean warning) {
    out.add(new Log(message, warning));
  }

  TransferProgress progress() {
    long now = clockMillis.getAsLong();
    Map<String, Long> reached = latest == null ? Map.of() : latest.reachedAtMillis();
    Map<String, Long> phaseMillis = new LinkedHashMap<>();
    String previous = null;
    long previousAt = 0;
    for (TransferPhase p : TransferPhase.values()) { // in protocol order
      Long at = reached.get(p.name());
      if (at == null) {
        continue;
      }
      if (previous != null) {
        phaseMillis.put(previous, at - previousAt);
      }
      previous = p.name();
      previousAt = at;
    }
    if (previous != null && !phase.isEnded()) {
      phaseMillis.put(previous, now - previousAt);
    }
    long started = reached.values().stream().mapToLong(Long::longValue).min().orElse(now);
    return new TransferProgress(plan.id(), plan.kind(),
        plan.sources().stream().map(RangePlacement::entityId).toList(),
        plan.destinations().stream().map(RangePlacement::entityId).toList(),
        phase, keysCopied, bytesCopied, phase.ordinal() >= TransferPhase.CATCH_UP.ordinal() ? lag() : 0,
        redirectFraction, redirectedReads, started, now, Map.copyOf(phaseMillis), fenceMillis,
        Collections.unmodifiableMap(new LinkedHashMap<>(fenceSteps)), failure);
  }
}
