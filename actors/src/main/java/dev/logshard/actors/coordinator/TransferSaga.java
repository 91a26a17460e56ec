package dev.logshard.actors.coordinator;

import dev.logshard.actors.coordinator.CoordinatorCommand.CurrentShardMap;
import dev.logshard.actors.rangeshard.RangeShardCommand;
import dev.logshard.actors.rangeshard.RangeShardEntity;
import dev.logshard.actors.support.LogPurger;
import dev.logshard.actors.support.OnLogInstance;
import dev.logshard.actors.support.Stages;
import dev.logshard.actors.support.Supervision;
import dev.logshard.core.CborSerializable;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferSettings;
import dev.logshard.core.transfer.saga.PhaseReached;
import dev.logshard.core.transfer.saga.SagaEffect;
import dev.logshard.core.transfer.saga.SagaState;
import dev.logshard.core.transfer.saga.TransferSagaLogic;
import dev.logshard.persistence.LogInstance;
import dev.logshard.persistence.LogInstances;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.stream.UniqueKillSwitch;

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
 *
 * <p>This class is the shell: every decision is {@link TransferSagaLogic}'s; the actor persists the
 * phases, sends the steps, runs the catch-up streams and timers, and deletes generations, as the
 * logic's effects say.
 */
public final class TransferSaga
    extends OnLogInstance<TransferSaga.Command, PhaseReached, SagaState> {

  /** A saga's persistence id is {@code Transfer|<id>}, on the Coordinator's log instance. */
  static final String ENTITY_TYPE = "Transfer";

  /**
   * What the Coordinator starts a saga with: the plan, a fault to inject, and whether to run the
   * naive stop-and-copy baseline (benchmarks; not kept across a restart of the Coordinator, which
   * resumes with the live protocol). Whether the transfer committed meanwhile the saga asks the
   * Coordinator each time it starts: its supervisor restarts it with this same Start.
   */
  public record Start(TransferPlan plan, String fault, boolean stopFirst) {}

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

  /**
   * The destinations' node is recorded for Cluster Sharding (failure: null) or could not be; a
   * placed shard is allocated there once the allocation strategy has seen the update (settled).
   */
  private record Placed(String failure) implements Command {}

  private enum PlacementSettled implements Command { INSTANCE }

  private enum PlaceAgain implements Command { INSTANCE }

  /** The Coordinator's answer: start the work of the recovered phase, or stop (the transfer ended). */
  private record StatusKnown(CoordinatorCommand.TransferStatus status) implements Command {}

  /** The Coordinator recorded the rollback (or says the transfer committed already). */
  private record RollBackAnswered(CoordinatorCommand.TransferStatus status) implements Command {}

  /** Persist a phase the logic decided on where no effect could be returned (internal). */
  private record PersistPhase(PhaseReached event) implements Command {}

  /** The copy's pace allows the next chunk now. */
  private record NextChunk(int from) implements Command {}

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final TransferPlan plan;
  private final ActorRef<CoordinatorCommand> coordinator;
  private final LogInstances logInstances;
  private final TransferSettings settings;
  private final ClusterSharding sharding;
  private final TransferSagaLogic logic;
  private final Map<String, UniqueKillSwitch> streams = new HashMap<>();
  private final ActorRef<TransferReply> shardReplies;

  public static Behavior<Command> create(Start start, ActorRef<CoordinatorCommand> coordinator,
      LogInstances logInstances, TransferSettings settings, LongSupplier clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new TransferSaga(ctx, timers, start, coordinator, logInstances, settings, clock)));
  }

  private TransferSaga(ActorContext<Command> ctx, TimerScheduler<Command> timers, Start start,
      ActorRef<CoordinatorCommand> coordinator, LogInstances logInstances, TransferSettings settings,
      LongSupplier clock) {
    // Journaled with the Coordinator; a journal failure restarts it (it recovers) instead of stopping it.
    super(PersistenceId.of(ENTITY_TYPE, start.plan().id()),
        OnLogInstance.Plugins.of(logInstances == null ? null : logInstances.coordinator()), Supervision.restartWithBackoff());
    this.ctx = ctx;
    this.timers = timers;
    this.plan = start.plan();
    this.coordinator = coordinator;
    this.logInstances = logInstances;
    this.settings = settings;
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.logic = new TransferSagaLogic(plan, settings.faultInjection() ? start.fault() : null,
        start.stopFirst(), settings, clock, System::nanoTime, () -> UUID.randomUUID().toString());
    this.shardReplies = ctx.messageAdapter(TransferReply.class, FromShard::new);
  }

  @Override
  public SagaState emptyState() {
    return SagaState.empty();
  }

  @Override
  public CommandHandlerWithReply<Command, PhaseReached, SagaState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(StatusKnown.class, this::onStatusKnown)
        .onCommand(FromShard.class, (state, msg) -> run(logic.shardReplied(msg.reply())))
        .onCommand(CdcApplied.class, (state, msg) -> run(logic.cdcApplied(msg.sourceEntityId(), msg.seqNr())))
        .onCommand(CdcEnded.class, this::onCdcEnded)
        .onCommand(Tick.class, (state, msg) -> run(logic.tick()))
        .onCommand(RampStep.class, (state, msg) -> run(logic.rampStep()))
        .onCommand(NextChunk.class, (state, msg) -> run(logic.readChunk(msg.from())))
        .onCommand(FromCoordinator.class, (state, msg) -> run(logic.committed(msg.map().epoch())))
        .onCommand(RollBackAnswered.class, this::onRollBackAnswered)
        .onCommand(Abort.class, (state, msg) -> run(logic.abort(msg.reason())))
        .onCommand(CleanupDue.class, (state, msg) -> run(logic.cleanupDue()))
        .onCommand(PurgeDone.class, this::onPurgeDone)
        .onCommand(Placed.class, this::onPlaced)
        .onCommand(PlaceAgain.class, (state, msg) -> andNoReply(this::placeDestinations))
        .onCommand(PlacementSettled.class, (state, msg) -> andNoReply(this::askStatus))
        .onCommand(PersistPhase.class, (state, msg) -> persist(msg.event()))
        .onCommand(EndAcknowledged.class, (state, msg) -> Effect().stop().thenNoReply())
        .build();
  }

  /** The Coordinator said where the transfer stands: resume the recovered phase, or stop (it ended). */
  private ReplyEffect<PhaseReached, SagaState> onStatusKnown(SagaState state, StatusKnown msg) {
    if (!msg.status().active()) {
      return Effect().stop().thenNoReply(); // ended while this incarnation started
    }
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.progressInterval());
    return run(logic.resume(msg.status().committedEpoch(), msg.status().rollingBack()));
  }

  private ReplyEffect<PhaseReached, SagaState> onCdcEnded(SagaState state, CdcEnded msg) {
    streams.remove(msg.sourceEntityId());
    return run(logic.cdcEnded(msg.sourceEntityId(), msg.failure()));
  }

  private ReplyEffect<PhaseReached, SagaState> onRollBackAnswered(SagaState state, RollBackAnswered msg) {
    return msg.status().active()
        ? run(logic.rollBackAnswered(msg.status().committedEpoch()))
        : Effect().stop().thenNoReply();
  }

  private ReplyEffect<PhaseReached, SagaState> onPurgeDone(SagaState state, PurgeDone msg) {
    LogPurger.Purged result = msg.result();
    return run(logic.purged(entityIdOf(result.persistenceId()), result.succeeded() ? null : String.valueOf(result.failure())));
  }

  private ReplyEffect<PhaseReached, SagaState> onPlaced(SagaState state, Placed msg) {
    if (msg.failure() == null) {
      timers.startSingleTimer(PlacementSettled.INSTANCE, settings.placementSettle());
    } else {
      ctx.getLog().warn("Transfer {} could not place its destinations on {} ({}); trying again", plan.id(),
          plan.toNode(), msg.failure());
      timers.startSingleTimer(PlaceAgain.INSTANCE, settings.progressInterval());
    }
    return Effect().noReply();
  }

  private ReplyEffect<PhaseReached, SagaState> andNoReply(Runnable action) {
    action.run();
    return Effect().noReply();
  }

  @Override
  public EventHandler<SagaState, PhaseReached> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(SagaState::apply);
  }

  @Override
  public SignalHandler<SagaState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          logic.recovered(state);
          placeDestinations();
        })
        .build();
  }

  /**
   * A transfer to a named node first records the destinations' shards there (Cluster Sharding's
   * external allocation), before anything starts them; again on every start (it is idempotent).
   */
  private void placeDestinations() {
    if (plan.toNode() == null) {
      askStatus();
      return;
    }
    var address = Nodes.address(ctx.getSystem(), plan.toNode());
    Map<String, Address> locations = new HashMap<>();
    for (RangePlacement destination : plan.destinations()) {
      locations.put(RangeShardEntity.shardId(destination.entityId()), address);
    }
    ctx.pipeToSelf(Stages.adopt(RangeShardEntity.allocation(ctx.getSystem()).setShardLocations(locations)),
        (done, failure) -> new Placed(failure == null ? null : String.valueOf(failure)));
  }

  /** Resumes once the Coordinator said whether the transfer committed meanwhile. */
  private void askStatus() {
    coordinator.tell(new CoordinatorCommand.GetTransferStatus(plan.id(),
        ctx.messageAdapter(CoordinatorCommand.TransferStatus.class, StatusKnown::new)));
  }

  /**
   * Carries out the logic's effects in order. A {@link SagaEffect.Persist} (always the last)
   * becomes the returned effect; where none can be returned (after a persist) it is sent to self.
   */
  private ReplyEffect<PhaseReached, SagaState> run(List<SagaEffect> effects) {
    for (SagaEffect effect : effects) {
      if (effect instanceof SagaEffect.Persist persist) {
        return persist(persist.event());
      }
      carryOut(effect);
    }
    return Effect().noReply();
  }

  private ReplyEffect<PhaseReached, SagaState> persist(PhaseReached event) {
    return Effect().persist(event)
        .thenRun(state -> {
          for (SagaEffect effect : logic.persisted(state)) {
            if (effect instanceof SagaEffect.Persist next) {
              ctx.getSelf().tell(new PersistPhase(next.event()));
            } else {
              carryOut(effect);
            }
          }
        })
        .thenNoReply();
  }

  private void carryOut(SagaEffect effect) {
    if (effect instanceof SagaEffect.Send send) {
      shard(send.entityId()).tell(new RangeShardCommand.Step(send.step(), shardReplies));
    } else if (effect instanceof SagaEffect.StartCatchUp start) {
      String source = start.source().entityId();
      streams.put(source, CatchUpStream.start(ctx.getSystem(), plan, start.source(), start.fromSeqNr(), start.copy(),
          logInstances.get(start.source().logInstance()), settings, this::shard,
          seqNr -> ctx.getSelf().tell(new CdcApplied(source, seqNr)),
          failure -> ctx.getSelf().tell(new CdcEnded(source, failure))));
    } else if (effect instanceof SagaEffect.StopCatchUp) {
      streams.values().forEach(UniqueKillSwitch::shutdown);
    } else if (effect instanceof SagaEffect.RequestCommit) {
      coordinator.tell(new CoordinatorCommand.CommitTransfer(plan.id(),
          ctx.messageAdapter(CurrentShardMap.class, FromCoordinator::new)));
    } else if (effect instanceof SagaEffect.RequestRollBack) {
      coordinator.tell(new CoordinatorCommand.RollBackTransfer(plan.id(),
          ctx.messageAdapter(CoordinatorCommand.TransferStatus.class, RollBackAnswered::new)));
    } else if (effect instanceof SagaEffect.ReadChunkLater later) {
      timers.startSingleTimer(new NextChunk(later.from()), Duration.ofNanos(later.delayNanos()));
    } else if (effect instanceof SagaEffect.StartRamp) {
      timers.startTimerWithFixedDelay(RampStep.INSTANCE, settings.redirectInterval());
    } else if (effect instanceof SagaEffect.StopRamp) {
      timers.cancel(RampStep.INSTANCE);
    } else if (effect instanceof SagaEffect.CleanupLater) {
      timers.startSingleTimer(CleanupDue.INSTANCE, settings.cleanupAfter());
    } else if (effect instanceof SagaEffect.Purge purge) {
      purge(purge.generations());
    } else if (effect instanceof SagaEffect.ReportProgress report) {
      coordinator.tell(new CoordinatorCommand.ReportProgress(report.progress()));
    } else if (effect instanceof SagaEffect.AbortLater abort) {
      ctx.getSelf().tell(new Abort(abort.reason()));
    } else if (effect instanceof SagaEffect.Halt halt) {
      ctx.getLog().error("Transfer [{}]: injected crash at {}: halting the JVM", plan.id(), halt.phase());
      Runtime.getRuntime().halt(137);
    } else if (effect instanceof SagaEffect.End end) {
      timers.cancelAll();
      streams.values().forEach(UniqueKillSwitch::shutdown);
      coordinator.tell(new CoordinatorCommand.EndTransfer(end.progress(),
          ctx.messageAdapter(TransferReply.class, EndAcknowledged::new)));
    } else if (effect instanceof SagaEffect.Log log) {
      if (log.warning()) {
        ctx.getLog().warn("Transfer [{}] {}", plan.id(), log.message());
      } else {
        ctx.getLog().info("Transfer [{}] {}", plan.id(), log.message());
      }
    } else {
      throw new IllegalStateException("unknown effect " + effect);
    }
  }

  // --- deleting generations

  private void purge(List<RangePlacement> generations) {
    ActorRef<LogPurger.Purged> replies = ctx.messageAdapter(LogPurger.Purged.class, PurgeDone::new);
    for (RangePlacement p : generations) {
      LogInstance instance = logInstances.get(p.logInstance());
      Adapter.actorOf(ctx, LogPurger.purgeAll(persistenceIdOf(p.entityId()), OnLogInstance.Plugins.of(instance), replies));
    }
  }

  private static String persistenceIdOf(String entityId) {
    return RangeShardEntity.persistenceId(entityId).id();
  }

  private String entityIdOf(String persistenceId) {
    return Stream.concat(plan.sources().stream(), plan.destinations().stream())
        .map(RangePlacement::entityId)
        .filter(id -> persistenceIdOf(id).equals(persistenceId))
        .findFirst()
        .orElse(persistenceId);
  }

  private EntityRef<RangeShardCommand> shard(String entityId) {
    return sharding.entityRefFor(RangeShardEntity.ENTITY_KEY, entityId);
  }
}
