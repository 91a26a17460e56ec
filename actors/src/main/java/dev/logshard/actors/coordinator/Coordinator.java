package dev.logshard.actors.coordinator;

import dev.logshard.actors.coordinator.CoordinatorCommand.AbortTransfer;
import dev.logshard.actors.coordinator.CoordinatorCommand.CommitTransfer;
import dev.logshard.actors.coordinator.CoordinatorCommand.CurrentShardMap;
import dev.logshard.actors.coordinator.CoordinatorCommand.EndTransfer;
import dev.logshard.actors.coordinator.CoordinatorCommand.GetClusterLoad;
import dev.logshard.actors.coordinator.CoordinatorCommand.GetShardMap;
import dev.logshard.actors.coordinator.CoordinatorCommand.ListTransfers;
import dev.logshard.actors.coordinator.CoordinatorCommand.LoadForPlanning;
import dev.logshard.actors.coordinator.CoordinatorCommand.PlanTick;
import dev.logshard.actors.coordinator.CoordinatorCommand.ReportLoad;
import dev.logshard.actors.coordinator.CoordinatorCommand.ReportProgress;
import dev.logshard.actors.coordinator.CoordinatorCommand.FindRetired;
import dev.logshard.actors.coordinator.CoordinatorCommand.ResolvePlacement;
import dev.logshard.actors.coordinator.CoordinatorCommand.Retired;
import dev.logshard.actors.coordinator.CoordinatorCommand.SeedWithHistory;
import dev.logshard.actors.coordinator.CoordinatorCommand.StartTransfer;
import dev.logshard.actors.coordinator.CoordinatorCommand.TransferList;
import dev.logshard.actors.coordinator.CoordinatorCommand.TransferStarted;
import dev.logshard.actors.coordinator.CoordinatorCommand.TransferStatus;
import dev.logshard.actors.rangeshard.PlacementDirectory;
import dev.logshard.actors.support.OnLogInstance;
import dev.logshard.actors.support.Supervision;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.coordinator.CoordinatorEvent.MapInitialized;
import dev.logshard.core.coordinator.CoordinatorEvent.TransferCommitted;
import dev.logshard.core.coordinator.CoordinatorEvent.TransferEnded;
import dev.logshard.core.coordinator.CoordinatorEvent.TransferPlanned;
import dev.logshard.core.coordinator.CoordinatorEvent;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.profile.LoadHistory;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilderByState;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The cluster singleton that owns the ShardMap and runs Transfers.
 *
 * <p>Lifecycle: Pekko's ClusterSingleton runs it on the oldest node and moves it when that node
 * leaves or fails; it recovers from its journal (on {@code logshard.coordinator.log-instance}),
 * publishes the map on the {@link #SHARD_MAP_TOPIC} topic and restarts the saga of every transfer
 * that had not ended, which resumes from its own persisted phase. The first {@link GetShardMap}
 * ever creates the map from the node's seed: an older node's stored map as it is, or N ranges, of
 * equal past load when the persisted load history ({@link ClusterLoad}, its child) holds enough,
 * else of equal width. Commands that arrive meanwhile wait (stashed).
 *
 * <p>Every node's Profiler reports its load each tick; the Coordinator hands the reports to
 * {@link ClusterLoad}, which answers the cluster-wide view ({@link GetClusterLoad}).
 *
 * <p>It answers every node's router ({@link GetShardMap}) and every starting RangeShard
 * ({@link ResolvePlacement}): only generations of the map, and destinations of uncommitted
 * transfers, are placed; a retired or rolled-back generation is not, so it can never write.
 */
public final class Coordinator
    extends OnLogInstance<CoordinatorCommand, CoordinatorEvent, CoordinatorState> {

  public static final String SHARD_MAP_TOPIC = "logshard-shard-map";

  /** The Coordinator's persistence id, on {@code logshard.coordinator-log-instance}. */
  public static final String PERSISTENCE_ID = "Coordinator";


  private final ActorContext<CoordinatorCommand> ctx;
  private final long startedNanos = System.nanoTime();
  private final LongSupplier clock;
  private final ActorRef<Topic.Command<CurrentShardMap>> topic;
  private final RunningTransfers transfers;
  private final Seed seed;
  private final ActorRef<ClusterLoad.Command> clusterLoad;
  private final TimerScheduler<CoordinatorCommand> timers;
  private final java.time.Duration seedTimeout;
  private final double seedMinAccesses;
  private boolean seedRequested;
  private final Planning planning;
  private final PlannerAdmin admin;

  /**
   * The map to start with when the journal holds none; {@code followsLoad}: its ranges may be
   * re-cut to equal past load (not for a map an older node stored).
   */
  public record Seed(ShardMap map, boolean followsLoad) {}

  /**
   * Starts the singleton (or its proxy, on a node where it does not run) and returns the proxy; in
   * cluster mode the singleton holds the Coordinator's lease ({@code logshard.coordinator-lease})
   * and runs the Coordinator under it ({@link CoordinatorLease}).
   */
  public static ActorRef<CoordinatorCommand> init(ActorSystem<?> system, Behavior<CoordinatorCommand> coordinator) {
    return ClusterSingleton.get(system).init(SingletonActor.of(
        CoordinatorLease.around(system.settings().config().getString("logshard.coordinator-lease"),
            Behaviors.supervise(coordinator).onFailure(Supervision.restartWithBackoff())),
        "coordinator"));
  }

  /**
   * @param seed the map to start with when the journal holds none
   * @param plugins its journal and snapshot store, also the load history's and the sagas'
   * @param sagas makes the saga behavior of a transfer, given the coordinator to report to
   * @param planning the planner's side of the Coordinator (it plans every interval unless off)
   * @param seedTimeout how long the first map waits for the load history before it ignores it
   */
  public static Behavior<CoordinatorCommand> create(
      Seed seed,
      Plugins plugins,
      BiFunction<TransferSaga.Start, ActorRef<CoordinatorCommand>, Behavior<TransferSaga.Command>> sagas,
      LoadHistorySettings loadSettings,
      Planning planning,
      java.time.Duration seedTimeout,
      LongSupplier clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new Coordinator(ctx, timers, seed, plugins, sagas, loadSettings, planning, seedTimeout, clock)));
  }

  private Coordinator(ActorContext<CoordinatorCommand> ctx, TimerScheduler<CoordinatorCommand> timers, Seed seed,
      Plugins plugins,
      BiFunction<TransferSaga.Start, ActorRef<CoordinatorCommand>, Behavior<TransferSaga.Command>> sagas,
      LoadHistorySettings loadSettings, Planning planning, java.time.Duration seedTimeout, LongSupplier clock) {
    // A journal failure restarts it (it recovers) instead of stopping it.
    super(PersistenceId.ofUniqueId(PERSISTENCE_ID), plugins, Supervision.restartWithBackoff());
    this.ctx = ctx;
    this.seed = seed;
    this.transfers = new RunningTransfers(ctx, sagas, clock);
    this.clock = clock;
    this.topic = ctx.spawn(Topic.create(CurrentShardMap.class, SHARD_MAP_TOPIC), "shard-map-topic");
    this.timers = timers;
    this.seedTimeout = seedTimeout;
    // Restarted after a journal failure (Cassandra away a moment), not left stopped.
    this.clusterLoad = ctx.spawn(Behaviors.supervise(ClusterLoad.create(plugins, loadSettings,
        planning.forecastSettings(), clock)).onFailure(Supervision.restartWithBackoff()),
        "cluster-load");
    this.seedMinAccesses = loadSettings.seedMinAccesses();
    this.planning = planning;
    this.admin = new PlannerAdmin(planning, Effect(), ctx.getLog());
    timers.startTimerWithFixedDelay(PlanTick.INSTANCE, planning.interval());
  }

  @Override
  public CoordinatorState emptyState() {
    return CoordinatorState.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandlerWithReply<CoordinatorCommand, CoordinatorEvent, CoordinatorState> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    whateverTheMap(builder.forState(state -> !state.isInitialized())
        .onCommand(GetShardMap.class, this::onInitialize)
        .onCommand(ResolvePlacement.class, this::onInitialize)
        .onCommand(StartTransfer.class, this::onInitialize)
        .onCommand(SeedWithHistory.class, this::onSeedWithHistory)
        .onCommand(ListTransfers.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new TransferList(List.of())))
        .onCommand(FindRetired.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Retired(Set.of()))))
        .onAnyCommand((state, cmd) -> Effect().noReply());
    whateverTheMap(builder.forAnyState()
        .onCommand(GetShardMap.class, (state, cmd) ->
            Effect().reply(cmd.replyTo(), new CurrentShardMap(state.epoch(), state.placements())))
        .onCommand(ResolvePlacement.class, this::onResolvePlacement)
        .onCommand(FindRetired.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new Retired(state.retired(cmd.entityIds()))))
        .onCommand(StartTransfer.class, this::onStartTransfer)
        .onCommand(CommitTransfer.class, this::onCommitTransfer)
        .onCommand(ReportProgress.class, this::onReportProgress)
        .onCommand(CoordinatorCommand.GetTransferStatus.class, (state, cmd) ->
            Effect().reply(cmd.replyTo(), TransferStatus.of(state, cmd.transferId())))
        .onCommand(CoordinatorCommand.RollBackTransfer.class, this::onRollBackTransfer)
        .onCommand(EndTransfer.class, this::onEndTransfer)
        .onCommand(AbortTransfer.class, this::onAbortTransfer)
        .onCommand(ListTransfers.class, (state, cmd) -> Effect().reply(cmd.replyTo(), transfers.list(state)))
        .onCommand(SeedWithHistory.class, (state, cmd) -> Effect().noReply()) // the map exists already
        .onCommand(PlanTick.class, this::onPlanTick)
        .onCommand(LoadForPlanning.class, this::onLoadForPlanning));
    return builder.build();
  }

  /** The commands answered the same before and after the map exists: load reports and the planner's admin. */
  private CommandHandlerWithReplyBuilderByState<CoordinatorCommand, CoordinatorEvent, CoordinatorState, CoordinatorState>
      whateverTheMap(CommandHandlerWithReplyBuilderByState<CoordinatorCommand, CoordinatorEvent, CoordinatorState,
          CoordinatorState> builder) {
    return admin.register(builder)
        .onCommand(ReportLoad.class, this::onReportLoad)
        .onCommand(GetClusterLoad.class, this::onGetClusterLoad);
  }

  /** A generation's placement, with its log instance when that was added at runtime (the node learns it so). */
  private ReplyEffect<CoordinatorEvent, CoordinatorState> onResolvePlacement(CoordinatorState state,
      ResolvePlacement cmd) {
    RangePlacement placement = state.placementOf(cmd.entityId());
    return Effect().reply(cmd.replyTo(), new PlacementDirectory.Placement(placement, state.epoch(),
        placement == null ? null : state.added(placement.logInstance()).orElse(null)));
  }

  /**
   * The first request ever: the seed map is made (after the load history is read, when it may
   * follow the load) and persisted; requests wait for it, then are handled as usual.
   */
  private ReplyEffect<CoordinatorEvent, CoordinatorState> onInitialize(CoordinatorState state, CoordinatorCommand cmd) {
    if (!seedRequested) {
      seedRequested = true;
      if (seed.followsLoad()) {
        clusterLoad.tell(new ClusterLoad.GetHistory(ctx.messageAdapter(LoadHistory.class, SeedWithHistory::new)));
        timers.startSingleTimer(SeedWithHistory.class, new SeedWithHistory(null), seedTimeout);
      } else {
        ctx.getSelf().tell(new SeedWithHistory(null));
      }
    }
    return Effect().stash();
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onSeedWithHistory(CoordinatorState state, SeedWithHistory cmd) {
    timers.cancel(SeedWithHistory.class);
    ShardMap map = seed.map();
    if (seed.followsLoad() && cmd.history() == null) {
      ctx.getLog().warn("Coordinator got no load history within {}: the first map has ranges of equal width",
          seedTimeout);
    }
    if (seed.followsLoad() && cmd.history() != null && cmd.history().accesses() >= seedMinAccesses) {
      map = cmd.history().recut(map);
      ctx.getLog().info("Coordinator cuts the first map's ranges to equal past load ({} accesses in the history)",
          (long) cmd.history().accesses());
    }
    ctx.getLog().info("Coordinator starts the shard map from its seed: {}", map);
    return Effect().persist(new MapInitialized(map.epoch(), map.placements()))
        .thenRun(this::publish)
        .thenNoReply()
        .thenUnstashAll();
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onReportLoad(CoordinatorState state, ReportLoad cmd) {
    clusterLoad.tell(new ClusterLoad.Report(cmd.report()));
    return Effect().noReply();
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onGetClusterLoad(CoordinatorState state, GetClusterLoad cmd) {
    clusterLoad.tell(new ClusterLoad.GetView(state.isInitialized() ? state.shardMap() : null, cmd.replyTo()));
    return Effect().noReply();
  }

  // --- the planner: every interval, unless off, plan on the cluster's load and start what it decides

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onPlanTick(CoordinatorState state, PlanTick tick) {
    if (planning.on()) {
      clusterLoad.tell(new ClusterLoad.GetView(state.shardMap(),
          ctx.messageAdapter(ClusterLoad.View.class, LoadForPlanning::new)));
    }
    return Effect().noReply();
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onLoadForPlanning(CoordinatorState state, LoadForPlanning msg) {
    if (!planning.on() || msg.view().epoch() != state.epoch()) {
      return Effect().noReply(); // off meanwhile, or the load is of an older map
    }
    Planning.Decided decided = planning.decide(state, msg.view(), clock.getAsLong());
    if (decided.events().isEmpty()) {
      return Effect().noReply();
    }
    return Effect().persist(decided.events())
        .thenRun(newState -> {
          decided.plans().forEach(plan -> transfers.begin(new TransferSaga.Start(plan, null, false)));
          RangeWaker.relocate(ctx, decided.relocations()); // journaled first: recorded again at every start
        })
        .thenNoReply();
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onStartTransfer(CoordinatorState state, StartTransfer cmd) {
    var refusal = planning.refusal(state, cmd.request());
    if (refusal.isPresent()) {
      return Effect().reply(cmd.replyTo(), new TransferStarted(null, refusal.get(), false));
    }
    var conflict = state.conflictWith(cmd.request());
    if (conflict.isPresent()) {
      return Effect().reply(cmd.replyTo(), new TransferStarted(null,
          "a range of this request is in transfer " + conflict.get(), true));
    }
    TransferPlan plan;
    try {
      plan = state.plan(cmd.request());
    } catch (IllegalArgumentException e) {
      return Effect().reply(cmd.replyTo(), new TransferStarted(null, e.getMessage(), false));
    }
    return Effect().persist(new TransferPlanned(plan))
        .thenRun(newState -> transfers.begin(
            new TransferSaga.Start(plan, cmd.request().fault(), cmd.request().stopFirst())))
        .thenReply(cmd.replyTo(), newState -> new TransferStarted(plan.id(), null, false));
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onCommitTransfer(CoordinatorState state, CommitTransfer cmd) {
    var transfer = state.activeTransfer(cmd.transferId());
    if (transfer.isEmpty()) {
      return Effect().noReply(); // ended already: the saga that asks is a stale one
    }
    if (transfer.get().committedEpoch() > 0) {
      return Effect().reply(cmd.replyTo(), new CurrentShardMap(transfer.get().committedEpoch(), state.placements()));
    }
    if (transfer.get().rollingBack()) {
      return Effect().noReply(); // it rolls back: it never commits
    }
    return Effect().persist(new TransferCommitted(cmd.transferId(), state.epoch() + 1))
        .thenRun(newState -> {
          ctx.getLog().info("Transfer [{}] committed at epoch {}", cmd.transferId(), newState.epoch());
          publish(newState);
        })
        .thenReply(cmd.replyTo(), newState -> new CurrentShardMap(newState.epoch(), newState.placements()));
  }

  /** A saga rolls back: from now on the transfer cannot commit, and its destinations are not placed. */
  private ReplyEffect<CoordinatorEvent, CoordinatorState> onRollBackTransfer(CoordinatorState state,
      CoordinatorCommand.RollBackTransfer cmd) {
    var transfer = state.activeTransfer(cmd.transferId());
    if (transfer.isEmpty() || transfer.get().committedEpoch() > 0 || transfer.get().rollingBack()) {
      return Effect().reply(cmd.replyTo(), TransferStatus.of(state, cmd.transferId()));
    }
    return Effect().persist(new CoordinatorEvent.TransferRollingBack(cmd.transferId()))
        .thenReply(cmd.replyTo(), newState -> TransferStatus.of(newState, cmd.transferId()));
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onReportProgress(CoordinatorState state, ReportProgress cmd) {
    transfers.report(state, cmd.progress());
    return Effect().noReply();
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onEndTransfer(CoordinatorState state, EndTransfer cmd) {
    String id = cmd.progress().id();
    if (state.activeTransfer(id).isEmpty()) {
      return Effect().reply(cmd.replyTo(), new TransferReply.Done(id, EndTransfer.class.getSimpleName()));
    }
    return Effect().persist(new TransferEnded(cmd.progress()))
        .thenRun(newState -> {
          ctx.getLog().info("Transfer [{}] ended {}", id, cmd.progress().phase());
          transfers.ended(id);
        })
        .thenReply(cmd.replyTo(), newState -> new TransferReply.Done(id, EndTransfer.class.getSimpleName()));
  }

  private ReplyEffect<CoordinatorEvent, CoordinatorState> onAbortTransfer(CoordinatorState state, AbortTransfer cmd) {
    boolean committed = state.activeTransfer(cmd.transferId()).map(t -> t.committedEpoch() > 0).orElse(true);
    if (!committed) {
      transfers.abort(cmd.transferId(), "aborted by an operator");
    }
    List<TransferProgress> found = transfers.list(state).transfers().stream()
        .filter(p -> p.id().equals(cmd.transferId())).toList();
    return Effect().reply(cmd.replyTo(), new TransferList(found));
  }

  private void publish(CoordinatorState state) {
    topic.tell(Topic.publish(new CurrentShardMap(state.epoch(), state.placements())));
  }

  @Override
  public SignalHandler<CoordinatorState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          ctx.getLog().debug("Coordinator recovered at epoch {} in {} ms", state.epoch(),
              (System.nanoTime() - startedNanos) / 1_000_000);
          // Before the sagas resume: they may copy to, or read from, an instance added at runtime.
          planning.registerAdded(state).forEach((name, why) ->
              ctx.getLog().error("Log instance {} (added at runtime) cannot be opened on this node: {}", name, why));
          if (state.isInitialized()) {
            publish(state);
          }
          ctx.spawn(RangeWaker.create(ctx.getSelf(), state.placedOn()), "range-waker");
          for (var t : state.active()) {
            ctx.getLog().info("Transfer [{}] had not ended: resuming its saga", t.plan().id());
            transfers.resume(new TransferSaga.Start(t.plan(), null, false));
          }
        })
        .build();
  }

  @Override
  public EventHandler<CoordinatorState, CoordinatorEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(CoordinatorState::apply);
  }
}
