package dev.logshard.node;

import dev.logshard.actors.coordinator.Coordinator;
import dev.logshard.actors.coordinator.CoordinatorJournalGuard;
import dev.logshard.actors.coordinator.CoordinatorCommand.CurrentShardMap;
import dev.logshard.actors.coordinator.CoordinatorCommand;
import dev.logshard.actors.coordinator.LoadHistorySettings;
import dev.logshard.actors.coordinator.Nodes;
import dev.logshard.actors.coordinator.Planning;
import dev.logshard.actors.coordinator.TransferSaga;
import dev.logshard.actors.coordinator.Transfers;
import dev.logshard.actors.profiler.NodeLatency;
import dev.logshard.actors.profiler.Profiler;
import dev.logshard.actors.profiler.ProfilerView;
import dev.logshard.actors.rangeshard.HostedRanges;
import dev.logshard.actors.rangeshard.UnappliedCommands;
import dev.logshard.actors.rangeshard.LogShardSettings;
import dev.logshard.actors.rangeshard.RangeShardEntity;
import dev.logshard.actors.routing.RangeHosts;
import dev.logshard.actors.routing.RangeHostsWatcher;
import dev.logshard.actors.routing.Router;
import dev.logshard.actors.routing.ShardMapSubscriber;
import dev.logshard.actors.support.OnLogInstance;
import dev.logshard.actors.support.SerializationWarmUp;
import dev.logshard.actors.support.Stages;
import dev.logshard.persistence.CassandraStorage;
import dev.logshard.core.ShardMap;
import dev.logshard.core.planner.PlannerSettings;
import dev.logshard.core.profile.AccessRecorder;
import dev.logshard.core.profile.ProfilerSettings;
import dev.logshard.core.profile.RangeSizes;
import dev.logshard.core.profile.RingCells;
import dev.logshard.core.transfer.TransferSettings;
import dev.logshard.http.HttpApi;
import dev.logshard.http.HttpServer;
import dev.logshard.http.HttpSettings;
import dev.logshard.persistence.LogInstances;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * The node's guardian: joins the cluster, wires sharding and the Coordinator singleton, waits for
 * the map, then starts the router, the profiler and the HTTP API.
 */
final class Guardian {

  /** What the node hands back once started. */
  record Started(Router router, Optional<AccessRecorder> recorder, ServerBinding binding) {}

  /** How long the start waits to read a log instance for the Coordinator's journal (then: not there). */
  private static final Duration JOURNAL_CHECK_TIMEOUT = Duration.ofSeconds(20);

  private Guardian() {}

  static Behavior<Void> create(Coordinator.Seed seed, LogInstances logInstances, LogShardSettings settings,
      HttpSettings httpSettings, CompletableFuture<Started> started) {
    return Behaviors.<Object>setup(ctx -> {
      ActorSystem<?> system = ctx.getSystem();
      Cluster cluster = Cluster.get(system);
      // With no seed nodes (embedded mode, or the first node of a cluster) the node joins itself;
      // otherwise Pekko joins the seed nodes on its own.
      if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }
      SerializationWarmUp.run(system);
      if (system.settings().config().getString("logshard.mode").equals("cluster")) {
        CassandraStorage.warmUp();
      }
      // Nothing starts before the node knows the Coordinator's journal is where the config says.
      ctx.pipeToSelf(CoordinatorJournalGuard.check(system, logInstances, JOURNAL_CHECK_TIMEOUT),
          (refusal, failure) -> new JournalChecked(refusal == null ? Optional.empty() : refusal));
      return Behaviors.receive(Object.class)
          .onMessage(JournalChecked.class, checked -> {
            if (checked.refusal().isPresent()) {
              started.completeExceptionally(new IllegalStateException(checked.refusal().get()));
              return Behaviors.empty();
            }
            return serve(ctx, seed, logInstances, settings, httpSettings, started);
          })
          .build();
    }).narrow();
  }

  /** The guard's answer (empty: the node may start). */
  private record JournalChecked(Optional<String> refusal) {}

  /** Starts sharding, the Coordinator, and once the map is there the router, the profiler and the HTTP API. */
  private static Behavior<Object> serve(ActorContext<Object> ctx, Coordinator.Seed seed, LogInstances logInstances,
      LogShardSettings settings, HttpSettings httpSettings, CompletableFuture<Started> started) {
    ActorSystem<?> system = ctx.getSystem();
    Cluster cluster = Cluster.get(system);
    RangeSizes sizes = new RangeSizes();
    HostedRanges hosted = new HostedRanges();
    ctx.spawn(UnappliedCommands.create(), "unapplied-commands");
    TransferSettings transferSettings = TransferSettings.create(system.settings().config());
    LoadHistorySettings loadSettings = LoadHistorySettings.create(system.settings().config());
    ActorRef<CoordinatorCommand> coordinator =
        startShardingAndCoordinator(system, seed, logInstances, settings, sizes, hosted, transferSettings,
            loadSettings);
    // The router starts with the Coordinator's map; the singleton runs once the node is Up.
    coordinator.tell(new CoordinatorCommand.GetShardMap(ctx.messageAdapter(CurrentShardMap.class, m -> m)));

    return Behaviors.receive(Object.class)
        .onMessage(CurrentShardMap.class, current -> {
          ShardMap shardMap = current.toShardMap();
          ProfilerSettings profilerSettings = ProfilerSettings.create(system.settings().config());
          Optional<AccessRecorder> recorder = profilerSettings.recorder(shardMap);
          RangeHosts hosts = new RangeHosts(system.scheduler(), system.executionContext(), settings.askTimeout(),
              settings.askTimeout(), settings.maxHeldRequests());
          ctx.spawn(RangeHostsWatcher.create(hosts, hosted, settings.hostsInterval()), "range-hosts");
          Router router = new Router(system, shardMap, () -> Stages.adopt(AskPattern.<CoordinatorCommand, CurrentShardMap>ask(
              coordinator, CoordinatorCommand.GetShardMap::new, settings.askTimeout(), system.scheduler()))
              .thenApply(CurrentShardMap::toShardMap), settings, recorder, hosts);
          ctx.spawn(ShardMapSubscriber.create(router, coordinator, settings.shardMapRefresh()), "shard-map-subscriber");
          Optional<ProfilerView> profiler = recorder.map(r ->
              startProfiler(ctx, r, sizes, profilerSettings, loadSettings, coordinator, settings));
          Transfers transfers = new Transfers(coordinator, system.scheduler(), settings.askTimeout(),
              transferSettings.faultInjection(), new Nodes(system, settings.askTimeout()));
          HttpApi api = new HttpApi(router, settings, httpSettings,
              () -> cluster.selfMember().status() == MemberStatus.up(), profiler, Optional.of(transfers));
          HttpServer.start(system, api.routes(), httpSettings).whenComplete((binding, failure) -> {
            if (failure != null) {
              started.completeExceptionally(failure);
            } else {
              started.complete(new Started(router, recorder, binding));
            }
          });
          return Behaviors.empty();
        })
        .build();
  }

  /**
   * Sharding first: the Coordinator resumes transfer sagas, which talk to RangeShards, as soon as it
   * recovers; starting entities ask the Coordinator for their placement.
   */
  private static ActorRef<CoordinatorCommand> startShardingAndCoordinator(ActorSystem<?> system, Coordinator.Seed seed,
      LogInstances logInstances, LogShardSettings settings, RangeSizes sizes, HostedRanges hosted,
      TransferSettings transferSettings, LoadHistorySettings loadSettings) {
    AtomicReference<ActorRef<CoordinatorCommand>> coordinator = new AtomicReference<>();
    RangeShardEntity.init(system,
        (entityId, replyTo) -> coordinator.get().tell(new CoordinatorCommand.ResolvePlacement(entityId, replyTo)),
        entityIds -> Stages.adopt(AskPattern.<CoordinatorCommand, CoordinatorCommand.Retired>ask(coordinator.get(),
            replyTo -> new CoordinatorCommand.FindRetired(entityIds, replyTo), settings.askTimeout(), system.scheduler()))
            .thenApply(CoordinatorCommand.Retired::entityIds),
        logInstances, settings, sizes, hosted);
    Planning planning = new Planning(PlannerSettings.create(system.settings().config()), logInstances,
        new Nodes(system, settings.askTimeout())::up);
    coordinator.set(Coordinator.init(system, Coordinator.create(seed, OnLogInstance.Plugins.of(logInstances.coordinator()),
        (start, self) -> TransferSaga.create(start, self, logInstances, transferSettings, System::currentTimeMillis),
        loadSettings, planning, settings.askTimeout(), System::currentTimeMillis)));
    return coordinator.get();
  }

  /**
   * The profiler aggregates what the router records and reports it to the Coordinator; its views
   * and the Coordinator's cluster-wide one are read over HTTP.
   */
  private static ProfilerView startProfiler(ActorContext<Object> ctx, AccessRecorder recorder, RangeSizes sizes,
      ProfilerSettings profilerSettings, LoadHistorySettings loadSettings, ActorRef<CoordinatorCommand> coordinator,
      LogShardSettings settings) {
    // The round trips to the other nodes go with each report (the planner weighs them).
    AtomicReference<Map<String, Double>> roundTrips = new AtomicReference<>(Map.of());
    ctx.spawn(NodeLatency.create(roundTrips), "node-latency");
    Profiler.Reporting reporting = new Profiler.Reporting(Nodes.name(Cluster.get(ctx.getSystem()).selfMember().address()),
        new RingCells(loadSettings.cells()), report -> coordinator.tell(new CoordinatorCommand.ReportLoad(report)),
        roundTrips::get);
    var profiler = ctx.spawn(Profiler.create(recorder, sizes, profilerSettings, reporting, System::currentTimeMillis),
        "profiler");
    return new ProfilerView(profiler, coordinator, recorder, ctx.getSystem().scheduler(), settings.askTimeout());
  }
}
