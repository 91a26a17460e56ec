package dev.logshard.actors;

import dev.logshard.actors.CoordinatorCommand.CurrentShardMap;
import dev.logshard.actors.RangeShardEvent.Change;
import dev.logshard.core.CborSerializable;
import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.transfer.TransferPhase;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import dev.logshard.persistence.LogInstance;
import dev.logshard.persistence.LogInstances;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.EventsByPersistenceIdQuery;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The saga of one Transfer (DESIGN.md, "Transfer protocol"): Snapshot → CatchUp → Redirect →
 * Fence → Commit → Cleanup, or Rollback from any phase before Commit.
 *
 * <p>Lifecycle: the Coordinator spawns it when it plans the transfer and again whenever it
 * recovers with the transfer not ended, so the saga survives a crash of its node. Only phases are
 * persisted; on recovery it redoes the work of its phase, every step of which is idempotent
 * (destinations restart from empty, apply source events by sequence number, fences and hand-offs
 * are keyed by transfer id). A failure or a step without progress before Commit rolls back: the
 * sources are un-fenced, the destinations stopped and their events and snapshots deleted. After
 * Commit it only goes forward. It ends by telling the Coordinator, then stops.
 */
public final class TransferSaga
    extends EventSourcedBehaviorWithEnforcedReplies<TransferSaga.Command, TransferSaga.PhaseReached, TransferSaga.SagaState> {

  /**
   * What the Coordinator starts a saga with: the plan, the epoch it committed at (0: not yet), a
   * fault to inject, and whether to run the naive stop-and-copy baseline (benchmarks; not kept
   * across a restart, which resumes with the live protocol).
   */
  public record Start(TransferPlan plan, long committedEpoch, String fault, boolean stopFirst) {}

  public sealed interface Command extends CborSerializable {}

  /** Roll back (before Commit; ignored after). */
  public record Abort(String reason) implements Command {}

  private record FromShard(TransferReply reply) implements Command {}

  private record FromCoordinator(CurrentShardMap map) implements Command {}

  private record EndAcknowledged(TransferReply reply) implements Command {}

  private record PurgeDone(LogPurger.Purged result) implements Command {}

  private record CdcApplied(String sourceEntityId, long seqNr) implements Command {}

  private record CdcEnded(String sourceEntityId, String failure) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private enum RampStep implements Command { INSTANCE }

  private enum CleanupDue implements Command { INSTANCE }

  /** Start the work of the recovered phase (as a command: a failure then restarts the saga). */
  private enum Resume implements Command { INSTANCE }

  /** The copy's pace allows the next chunk now. */
  private record NextChunk(int from) implements Command {}

  /** Persist reaching a phase (sent to self where no effect can be returned). */
  private record Advance(TransferPhase phase, Map<String, Long> seqNrs, long epoch, String failure) implements Command {}

  /** The one persisted event: the saga reached {@code phase}. */
  public record PhaseReached(TransferPhase phase, Map<String, Long> snapshotSeqNrs, long epoch, long keys,
      long bytes, String failure, long atMillis) implements CborSerializable {}

  /** The persisted state: the phase and what later phases need from earlier ones. */
  public record SagaState(TransferPhase phase, Map<String, Long> snapshotSeqNrs, long epoch, long keys, long bytes,
      String failure, Map<String, Long> reachedAtMillis) implements CborSerializable {

    SagaState apply(PhaseReached e) {
      Map<String, Long> reached = new LinkedHashMap<>(reachedAtMillis);
      reached.putIfAbsent(e.phase().name(), e.atMillis());
      return new SagaState(e.phase(), e.snapshotSeqNrs() != null ? e.snapshotSeqNrs() : snapshotSeqNrs,
          e.epoch() > 0 ? e.epoch() : epoch, Math.max(keys, e.keys()), Math.max(bytes, e.bytes()),
          e.failure() != null ? e.failure() : failure, Map.copyOf(reached));
    }
  }

  private static final org.apache.pekko.actor.typed.BackoffSupervisorStrategy JOURNAL_FAILURE_BACKOFF =
      org.apache.pekko.actor.typed.SupervisorStrategy.restartWithBackoff(
          java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(5), 0.2);

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final TransferPlan plan;
  private final long committedAtStart;
  private final String fault;
  private final boolean stopFirst;
  private final ActorRef<CoordinatorCommand> coordinator;
  private final LogInstances logInstances;
  private final TransferSettings settings;
  private final LongSupplier clock;
  private final ClusterSharding sharding;
  private final ActorRef<TransferReply> shardReplies;

  // Work of the current phase; rebuilt from the persisted phase after a restart.
  private TransferPhase phase = TransferPhase.PLANNED;
  private final Set<String> awaiting = new HashSet<>();
  private long lastProgressNanos = System.nanoTime();
  private int exportSource;
  private int exportNext;
  private boolean exportLast;
  private long exportLastVersion;
  private final Map<String, Long> snapshotSeqNrs = new HashMap<>();
  private long keysCopied;
  private long bytesCopied;
  private long copyStartNanos;
  private final Map<String, UniqueKillSwitch> streams = new HashMap<>();
  private final Map<String, Long> applied = new HashMap<>();
  private final Map<String, Long> sourceSeqNrs = new HashMap<>();
  private final Map<String, Long> finalSeqNrs = new HashMap<>();
  private double redirectFraction;
  private long redirectedReads;
  private boolean commitRequested;
  private boolean handOffSent;
  private long fenceStartNanos;
  private long fenceMillis;
  private String failure;
  private long stateEpoch;
  private SagaState latest;
  private boolean cleaningUp;
  private final Set<String> purging = new HashSet<>();
  /** The last step sent to each shard, sent again after commit and while rolling back until done. */
  private final Map<String, RangeShardCommand> lastStep = new HashMap<>();

  public static Behavior<Command> create(Start start, ActorRef<CoordinatorCommand> coordinator,
      LogInstances logInstances, TransferSettings settings, LongSupplier clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new TransferSaga(ctx, timers, start, coordinator, logInstances, settings, clock)));
  }

  private TransferSaga(ActorContext<Command> ctx, TimerScheduler<Command> timers, Start start,
      ActorRef<CoordinatorCommand> coordinator, LogInstances logInstances, TransferSettings settings,
      LongSupplier clock) {
    // A journal failure restarts it (it recovers) instead of stopping it.
    super(PersistenceId.of("Transfer", start.plan().id()), JOURNAL_FAILURE_BACKOFF);
    this.ctx = ctx;
    this.timers = timers;
    this.plan = start.plan();
    this.committedAtStart = start.committedEpoch();
    this.fault = settings.faultInjection() ? start.fault() : null;
    this.stopFirst = start.stopFirst();
    this.coordinator = coordinator;
    this.logInstances = logInstances;
    this.settings = settings;
    this.clock = clock;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.shardReplies = ctx.messageAdapter(TransferReply.class, FromShard::new);
  }

  @Override
  public String journalPluginId() {
    return coordinatorPlugins().map(LogInstance::journalPluginId).orElse("");
  }

  @Override
  public String snapshotPluginId() {
    return coordinatorPlugins().map(LogInstance::snapshotPluginId).orElse("");
  }

  private java.util.Optional<LogInstance> coordinatorPlugins() {
    return logInstances == null ? java.util.Optional.empty() : java.util.Optional.of(logInstances.coordinator());
  }

  @Override
  public SagaState emptyState() {
    return new SagaState(TransferPhase.PLANNED, Map.of(), 0, 0, 0, null, Map.of());
  }

  @Override
  public CommandHandlerWithReply<Command, PhaseReached, SagaState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(FromShard.class, this::onShardReply)
        .onCommand(CdcApplied.class, this::onCdcApplied)
        .onCommand(CdcEnded.class, this::onCdcEnded)
        .onCommand(Tick.class, this::onTick)
        .onCommand(RampStep.class, this::onRampStep)
        .onCommand(FromCoordinator.class, this::onCommitted)
        .onCommand(NextChunk.class, (state, cmd) -> {
          if (phase == TransferPhase.SNAPSHOT) {
            readExport(cmd.from());
          }
          return Effect().noReply();
        })
        .onCommand(Resume.class, (state, cmd) -> {
          resumeWork(state);
          return Effect().noReply();
        })
        .onCommand(CleanupDue.class, (state, cmd) -> {
          startCleanup();
          return Effect().noReply();
        })
        .onCommand(PurgeDone.class, this::onPurged)
        .onCommand(Abort.class, (state, cmd) -> rollBack(cmd.reason()))
        .onCommand(EndAcknowledged.class, (state, cmd) -> Effect().stop().thenNoReply())
        .onCommand(Advance.class, (state, cmd) -> persistPhaseEffect(cmd.phase(), cmd.seqNrs(), cmd.epoch(), cmd.failure()))
        .build();
  }

  @Override
  public EventHandler<SagaState, PhaseReached> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(SagaState::apply);
  }

  @Override
  public SignalHandler<SagaState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::resume)
        .build();
  }

  // --- phases

  private void resume(SagaState state) {
    latest = state;
    stateEpoch = state.epoch();
    snapshotSeqNrs.putAll(state.snapshotSeqNrs());
    keysCopied = state.keys();
    bytesCopied = state.bytes();
    failure = state.failure();
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.progressInterval());
    ctx.getSelf().tell(Resume.INSTANCE);
  }

  private void resumeWork(SagaState state) {
    if (state.phase() != TransferPhase.PLANNED) {
      ctx.getLog().info("Transfer [{}] resumes in phase {}", plan.id(), state.phase());
    }
    if (committedAtStart > 0 && state.phase().canRollBack()) {
      // The coordinator committed, but this saga crashed before it persisted that: go forward.
      ctx.getSelf().tell(new Advance(TransferPhase.COMMITTED, null, committedAtStart, null));
      return;
    }
    enter(state.phase() == TransferPhase.PLANNED ? TransferPhase.SNAPSHOT : state.phase(), state.phase() == TransferPhase.PLANNED);
  }

  /** Starts the work of {@code next}; persists it first when it is new. */
  private void enter(TransferPhase next, boolean persist) {
    if (persist) {
      ctx.getSelf().tell(new Advance(next, null, 0, null));
      return;
    }
    phase = next;
    if (!(next == TransferPhase.COMMITTED && handOffSent)) {
      awaiting.clear();
    }
    lastProgressNanos = System.nanoTime();
    injectFault(next);
    switch (next) {
      case SNAPSHOT -> startSnapshot();
      case CATCH_UP -> startCatchUp();
      case REDIRECT -> {
        startCatchUp();
        redirectFraction = 0;
        timers.startTimerWithFixedDelay(RampStep.INSTANCE, settings.redirectInterval());
      }
      case FENCE -> {
        startCatchUp();
        if (fenceStartNanos == 0) {
          fenceStartNanos = System.nanoTime();
        }
        for (RangePlacement source : plan.sources()) {
          send(source, new RangeShardCommand.Fence(plan.id(), shardReplies));
        }
      }
      case COMMITTED -> {
        stopStreams();
        if (!handOffSent) {
          handOff();
        }
      }
      case ROLLING_BACK -> startRollingBack();
      case DONE, ROLLED_BACK -> end();
      default -> throw new IllegalStateException("cannot enter " + next);
    }
  }

  /** Persists the phase, then enters it. Called from handlers only through this. */
  private ReplyEffect<PhaseReached, SagaState> persistPhaseEffect(TransferPhase next, Map<String, Long> seqNrs,
      long epoch, String why) {
    return Effect().persist(new PhaseReached(next, seqNrs, epoch, keysCopied, bytesCopied, why, clock.getAsLong()))
        .thenRun(state -> {
          latest = state;
          stateEpoch = state.epoch();
          enter(next, false);
        })
        .thenNoReply();
  }

  private void injectFault(TransferPhase next) {
    if (fault == null || !fault.endsWith(":" + next.name())) {
      return;
    }
    if (fault.startsWith("crash:")) {
      ctx.getLog().error("Transfer [{}]: injected crash at {}: halting the JVM", plan.id(), next);
      Runtime.getRuntime().halt(137);
    }
    ctx.getSelf().tell(new Abort("injected failure at " + next));
  }

  // --- snapshot

  private void startSnapshot() {
    if (stopFirst && finalSeqNrs.size() < plan.sources().size()) {
      // The naive baseline: stop the sources' writes first, copy afterwards.
      fenceStartNanos = System.nanoTime();
      for (RangePlacement source : plan.sources()) {
        send(source, new RangeShardCommand.Fence(plan.id(), shardReplies));
      }
      return;
    }
    keysCopied = 0;
    bytesCopied = 0;
    exportSource = 0;
    copyStartNanos = System.nanoTime();
    List<String> sources = plan.sources().stream().map(RangePlacement::entityId).toList();
    for (RangePlacement d : plan.destinations()) {
      send(d, new RangeShardCommand.Follow(plan.id(), sources, shardReplies));
    }
  }

  private void openExport() {
    if (exportSource == plan.sources().size()) {
      ctx.getSelf().tell(new Advance(stopFirst ? TransferPhase.FENCE : TransferPhase.CATCH_UP,
          Map.copyOf(snapshotSeqNrs), 0, null));
      return;
    }
    RangePlacement source = plan.sources().get(exportSource);
    send(source, new RangeShardCommand.OpenExport(plan.id(), shardReplies));
  }

  private void readExport(int from) {
    RangePlacement source = plan.sources().get(exportSource);
    send(source, new RangeShardCommand.ReadExport(plan.id(), from, settings.chunkBytes(), shardReplies));
  }

  /** Reads the next chunk now, or later if the copy is ahead of {@code copy-bytes-per-second}. */
  private void paceNextChunk() {
    long rate = stopFirst ? 0 : settings.copyBytesPerSecond(); // the baseline copies flat out: writes wait
    long dueNanos = rate <= 0 ? 0 : copyStartNanos + bytesCopied * 1_000_000_000L / rate;
    long waitNanos = dueNanos - System.nanoTime();
    if (waitNanos <= 1_000_000) {
      readExport(exportNext);
    } else {
      lastProgressNanos = System.nanoTime(); // pacing is not a stall
      timers.startSingleTimer(new NextChunk(exportNext), java.time.Duration.ofNanos(waitNanos));
    }
  }

  private void importChunk(TransferReply.ExportChunk chunk) {
    RangePlacement source = plan.sources().get(exportSource);
    exportNext = chunk.next();
    exportLast = chunk.last();
    long upTo = chunk.last() ? snapshotSeqNrs.get(source.entityId()) : 0;
    for (RangePlacement d : plan.destinations()) {
      List<Change> mine = new ArrayList<>();
      for (Change c : chunk.entries()) {
        if (d.range().contains(KeyHash.of(c.key()))) {
          mine.add(c);
        }
      }
      send(d, new RangeShardCommand.ApplyChanges(plan.id(), source.entityId(), upTo, mine,
          exportLastVersion, shardReplies));
    }
    for (Change c : chunk.entries()) {
      keysCopied++;
      bytesCopied += c.key().length() + c.value().length;
    }
  }

  // --- catch-up: stream each source's journal after its snapshot into the destinations

  private void startCatchUp() {
    for (RangePlacement source : plan.sources()) {
      if (streams.containsKey(source.entityId())) {
        continue;
      }
      long from = Math.max(snapshotSeqNrs.getOrDefault(source.entityId(), 0L), applied.getOrDefault(source.entityId(), 0L)) + 1;
      applied.putIfAbsent(source.entityId(), from - 1);
      streams.put(source.entityId(), startStream(source, from));
    }
  }

  private UniqueKillSwitch startStream(RangePlacement source, long from) {
    String pid = PersistenceId.of(RangeShard.ENTITY_KEY.name(), source.entityId()).id();
    EventsByPersistenceIdQuery query = PersistenceQuery.get(Adapter.toClassic(ctx.getSystem()))
        .getReadJournalFor(EventsByPersistenceIdQuery.class, logInstances.get(source.logInstance()).queryPluginId());
    ActorRef<Command> self = ctx.getSelf();
    var running = query.eventsByPersistenceId(pid, from, Long.MAX_VALUE)
        .viaMat(KillSwitches.single(), Keep.right())
        .groupedWithin(settings.cdcBatch(), settings.cdcBatchWithin())
        .mapAsync(1, envelopes -> applyEvents(source.entityId(), envelopes))
        .toMat(Sink.foreach(seqNr -> self.tell(new CdcApplied(source.entityId(), seqNr))), Keep.both())
        .run(Materializer.matFromSystem(ctx.getSystem()));
    String id = source.entityId();
    running.second().whenComplete((done, failed) ->
        self.tell(new CdcEnded(id, failed == null ? null : String.valueOf(failed.getMessage()))));
    return running.first();
  }

  private CompletionStage<Long> applyEvents(String sourceEntityId, List<EventEnvelope> envelopes) {
    List<Change> changes = new ArrayList<>();
    long upTo = 0;
    for (EventEnvelope envelope : envelopes) {
      upTo = Math.max(upTo, envelope.sequenceNr());
      changes.addAll(RangeShardEvent.changesOf(envelope.event(), envelope.sequenceNr()));
    }
    long last = upTo;
    List<CompletableFuture<TransferReply>> replies = new ArrayList<>();
    for (RangePlacement d : plan.destinations()) {
      List<Change> mine = changes.stream().filter(c -> d.range().contains(KeyHash.of(c.key()))).toList();
      replies.add(Stages.adopt(shard(d).<TransferReply>ask(
          replyTo -> new RangeShardCommand.ApplyChanges(plan.id(), sourceEntityId, last, mine, 0, replyTo),
          settings.stepTimeout())));
    }
    return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).thenApply(all -> {
      for (CompletableFuture<TransferReply> reply : replies) {
        if (reply.join() instanceof TransferReply.Refused refused) {
          throw new IllegalStateException(refused.entityId() + " refused: " + refused.reason());
        }
      }
      return last;
    });
  }

  private void stopStreams() {
    streams.values().forEach(UniqueKillSwitch::shutdown);
  }

  private long lag() {
    long lag = 0;
    for (RangePlacement source : plan.sources()) {
      long at = finalSeqNrs.getOrDefault(source.entityId(), sourceSeqNrs.getOrDefault(source.entityId(), 0L));
      lag += Math.max(0, at - applied.getOrDefault(source.entityId(), 0L));
    }
    return lag;
  }

  // --- handlers

  private ReplyEffect<PhaseReached, SagaState> onShardReply(SagaState state, FromShard msg) {
    TransferReply reply = msg.reply();
    String from = reply.entityId();
    if (reply instanceof TransferReply.LogPosition position) {
      // A progress sample (DescribeLog, RedirectReads), never the answer to a step.
      sourceSeqNrs.put(from, position.seqNr());
      redirectedReads = position.redirectedReads();
      return Effect().noReply();
    }
    if (!awaiting.remove(from)) {
      return Effect().noReply(); // a late answer to a step of an earlier attempt
    }
    lastProgressNanos = System.nanoTime();
    if (reply instanceof TransferReply.Refused refused) {
      return phase.canRollBack()
          ? rollBack(refused.entityId() + " refused: " + refused.reason())
          : Effect().noReply(); // after commit: the tick sends the step again
    }
    switch (phase) {
      case SNAPSHOT -> {
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
      case FENCE -> {
        if (reply instanceof TransferReply.Fenced fenced) {
          finalSeqNrs.put(from, fenced.seqNr());
          return commitIfCaughtUp();
        }
      }
      case COMMITTED -> {
        if (awaiting.isEmpty() && cleaningUp) {
          purge(plan.sources());
        } else if (awaiting.isEmpty()) {
          if (fenceStartNanos > 0) {
            fenceMillis = (System.nanoTime() - fenceStartNanos) / 1_000_000;
          }
          ctx.getLog().info("Transfer [{}]: sources handed off after a {} ms fence", plan.id(), fenceMillis);
          timers.startSingleTimer(CleanupDue.INSTANCE, settings.cleanupAfter());
        }
      }
      case ROLLING_BACK -> {
        if (awaiting.isEmpty()) {
          purge(plan.destinations());
        }
      }
      default -> { }
    }
    return Effect().noReply();
  }

  private ReplyEffect<PhaseReached, SagaState> onCdcApplied(SagaState state, CdcApplied msg) {
    applied.merge(msg.sourceEntityId(), msg.seqNr(), Math::max);
    lastProgressNanos = System.nanoTime();
    if (phase == TransferPhase.FENCE) {
      return commitIfCaughtUp();
    }
    return Effect().noReply();
  }

  private ReplyEffect<PhaseReached, SagaState> onCdcEnded(SagaState state, CdcEnded msg) {
    streams.remove(msg.sourceEntityId());
    if (msg.failure() != null && phase.canRollBack() && phase != TransferPhase.PLANNED) {
      return rollBack("catch-up of " + msg.sourceEntityId() + " failed: " + msg.failure());
    }
    if (phase == TransferPhase.ROLLING_BACK && streams.isEmpty() && awaiting.isEmpty()) {
      undoOnShards();
    }
    return Effect().noReply();
  }

  private ReplyEffect<PhaseReached, SagaState> onTick(SagaState state, Tick tick) {
    for (RangePlacement source : plan.sources()) {
      if (phase == TransferPhase.CATCH_UP || phase == TransferPhase.REDIRECT || phase == TransferPhase.FENCE) {
        shard(source).tell(new RangeShardCommand.DescribeLog(shardReplies));
      }
    }
    coordinator.tell(new CoordinatorCommand.ReportProgress(progress()));
    long idleMillis = (System.nanoTime() - lastProgressNanos) / 1_000_000;
    if (phase.canRollBack() && !commitRequested) {
      if (idleMillis > settings.stepTimeout().toMillis()) {
        return rollBack("no progress in phase " + phase + " for " + idleMillis + " ms");
      }
      if (phase == TransferPhase.FENCE && !stopFirst
          && (System.nanoTime() - fenceStartNanos) / 1_000_000 > settings.fenceTimeout().toMillis()) {
        return rollBack("the destinations did not catch up with the fenced sources within "
            + settings.fenceTimeout().toMillis() + " ms");
      }
    }
    if (phase == TransferPhase.CATCH_UP && lag() <= settings.catchUpLag() && sourceSeqNrs.size() == plan.sources().size()) {
      return persistPhaseEffect(TransferPhase.REDIRECT, null, 0, null);
    }
    if (phase == TransferPhase.REDIRECT && redirectFraction >= settings.redirectTarget()
        && lag() <= settings.fenceLag()) {
      timers.cancel(RampStep.INSTANCE);
      return persistPhaseEffect(TransferPhase.FENCE, null, 0, null);
    }
    if (commitRequested) {
      coordinator.tell(new CoordinatorCommand.CommitTransfer(plan.id(), commitReplies()));
    }
    if (!phase.canRollBack() && !awaiting.isEmpty() && idleMillis > settings.stepTimeout().toMillis()) {
      resendAwaited(); // after commit and while rolling back, steps are retried until they are done
    }
    return Effect().noReply();
  }

  private ReplyEffect<PhaseReached, SagaState> onRampStep(SagaState state, RampStep step) {
    if (phase != TransferPhase.REDIRECT) {
      return Effect().noReply();
    }
    if (lag() <= settings.redirectMaxLag()) {
      redirectFraction = Math.min(settings.redirectTarget(), redirectFraction + settings.redirectStep());
    }
    for (RangePlacement source : plan.sources()) {
      shard(source).tell(new RangeShardCommand.RedirectReads(plan.id(), redirectFraction, plan.destinations(),
          shardReplies));
    }
    return Effect().noReply();
  }

  private ReplyEffect<PhaseReached, SagaState> commitIfCaughtUp() {
    if (commitRequested || finalSeqNrs.size() < plan.sources().size()) {
      return Effect().noReply();
    }
    for (RangePlacement source : plan.sources()) {
      if (applied.getOrDefault(source.entityId(), 0L) < finalSeqNrs.get(source.entityId())) {
        return Effect().noReply();
      }
    }
    // From here on the saga never rolls back: the coordinator may have persisted the commit.
    commitRequested = true;
    coordinator.tell(new CoordinatorCommand.CommitTransfer(plan.id(), commitReplies()));
    return Effect().noReply();
  }

  private ActorRef<CurrentShardMap> commitReplies() {
    return ctx.messageAdapter(CurrentShardMap.class, FromCoordinator::new);
  }

  /**
   * The commit is persisted by the Coordinator: the sources hand off at once (the fence ends), and
   * the saga persists its own phase meanwhile. A crash before that is safe: the Coordinator
   * restarts the saga with the committed epoch and it hands off again (idempotent).
   */
  private ReplyEffect<PhaseReached, SagaState> onCommitted(SagaState state, FromCoordinator msg) {
    if (phase != TransferPhase.FENCE || handOffSent) {
      return Effect().noReply();
    }
    stateEpoch = msg.map().epoch();
    handOff();
    return persistPhaseEffect(TransferPhase.COMMITTED, null, msg.map().epoch(), null);
  }

  private void handOff() {
    handOffSent = true;
    for (RangePlacement source : plan.sources()) {
      send(source, new RangeShardCommand.HandOff(plan.id(), stateEpoch, shardReplies));
    }
  }

  private ReplyEffect<PhaseReached, SagaState> rollBack(String why) {
    if (!phase.canRollBack() || commitRequested) {
      ctx.getLog().warn("Transfer [{}]: cannot roll back in phase {} ({})", plan.id(), phase, why);
      return Effect().noReply();
    }
    ctx.getLog().warn("Transfer [{}] rolls back from phase {}: {}", plan.id(), phase, why);
    failure = why;
    return persistPhaseEffect(TransferPhase.ROLLING_BACK, null, 0, why);
  }

  // --- rollback and cleanup

  private void startRollingBack() {
    timers.cancel(RampStep.INSTANCE);
    stopStreams();
    if (streams.isEmpty()) {
      undoOnShards();
    } // else: when the last stream has ended (no change can reach a destination after its discard)
  }

  private void undoOnShards() {
    for (RangePlacement source : plan.sources()) {
      send(source, new RangeShardCommand.Unfence(plan.id(), shardReplies));
    }
    for (RangePlacement d : plan.destinations()) {
      send(d, new RangeShardCommand.Discard(plan.id(), shardReplies));
    }
  }

  /** After the retention period: stop the handed-off sources, then delete their events and snapshots. */
  private void startCleanup() {
    cleaningUp = true;
    lastProgressNanos = System.nanoTime();
    for (RangePlacement source : plan.sources()) {
      send(source, new RangeShardCommand.Discard(plan.id(), shardReplies));
    }
  }

  private void purge(List<RangePlacement> generations) {
    ActorRef<LogPurger.Purged> replies = ctx.messageAdapter(LogPurger.Purged.class, PurgeDone::new);
    for (RangePlacement p : generations) {
      LogInstance instance = logInstances.get(p.logInstance());
      String pid = PersistenceId.of(RangeShard.ENTITY_KEY.name(), p.entityId()).id();
      purging.add(pid);
      Adapter.actorOf(ctx, LogPurger.purgeAll(pid, instance.journalPluginId(), instance.snapshotPluginId(), replies));
    }
  }

  private ReplyEffect<PhaseReached, SagaState> onPurged(SagaState state, PurgeDone msg) {
    if (!msg.result().succeeded()) {
      ctx.getLog().warn("Transfer [{}]: deleting {} failed ({}); retrying", plan.id(),
          msg.result().persistenceId(), msg.result().failure());
      List<RangePlacement> again = (phase == TransferPhase.ROLLING_BACK ? plan.destinations() : plan.sources()).stream()
          .filter(p -> PersistenceId.of(RangeShard.ENTITY_KEY.name(), p.entityId()).id().equals(msg.result().persistenceId()))
          .toList();
      purging.remove(msg.result().persistenceId());
      purge(again);
      return Effect().noReply();
    }
    purging.remove(msg.result().persistenceId());
    if (!purging.isEmpty()) {
      return Effect().noReply();
    }
    return persistPhaseEffect(phase == TransferPhase.ROLLING_BACK ? TransferPhase.ROLLED_BACK : TransferPhase.DONE,
        null, 0, null);
  }

  private void end() {
    timers.cancelAll();
    stopStreams();
    ActorRef<TransferReply> replies = ctx.messageAdapter(TransferReply.class, EndAcknowledged::new);
    coordinator.tell(new CoordinatorCommand.EndTransfer(progress(), replies));
  }

  // --- helpers

  private EntityRef<RangeShardCommand> shard(RangePlacement placement) {
    return sharding.entityRefFor(RangeShard.ENTITY_KEY, placement.entityId());
  }

  /** Sends a step whose answer the phase waits for. */
  private void send(RangePlacement placement, RangeShardCommand step) {
    awaiting.add(placement.entityId());
    lastStep.put(placement.entityId(), step);
    shard(placement).tell(step);
  }

  private void resendAwaited() {
    lastProgressNanos = System.nanoTime();
    for (String entityId : awaiting) {
      RangeShardCommand step = lastStep.get(entityId);
      if (step != null) {
        ctx.getLog().info("Transfer [{}]: sending {} again to {}", plan.id(), step.getClass().getSimpleName(), entityId);
        sharding.entityRefFor(RangeShard.ENTITY_KEY, entityId).tell(step);
      }
    }
  }

  private TransferProgress progress() {
    long now = clock.getAsLong();
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
        redirectFraction, redirectedReads, started, now, Map.copyOf(phaseMillis), fenceMillis, failure);
  }
}
