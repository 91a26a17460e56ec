package dev.logshard.node;

import dev.logshard.actors.Coordinator;
import dev.logshard.actors.CoordinatorCommand;
import dev.logshard.actors.CoordinatorCommand.CurrentShardMap;
import dev.logshard.actors.LoadHistorySettings;
import dev.logshard.actors.LogShardSettings;
import dev.logshard.actors.Profiler;
import dev.logshard.actors.ProfilerSettings;
import dev.logshard.actors.ProfilerView;
import dev.logshard.actors.OnLogInstance;
import dev.logshard.actors.RangeShardEntity;
import dev.logshard.actors.Router;
import dev.logshard.actors.ShardMapSubscriber;
import dev.logshard.actors.Stages;
import dev.logshard.actors.TransferSaga;
import dev.logshard.core.transfer.TransferSettings;
import dev.logshard.actors.Transfers;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.AccessRecorder;
import dev.logshard.core.profile.RangeSizes;
import dev.logshard.core.profile.RingCells;
import dev.logshard.http.HttpApi;
import dev.logshard.http.HttpServer;
import dev.logshard.http.HttpSettings;
import dev.logshard.persistence.LogInstances;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * The node's guardian: joins the cluster, starts the Coordinator singleton, waits for the map,
 * then wires sharding, the router, the profiler and the HTTP API.
 */
final class Guardian {

  /** What the node hands back once started. */
  record Started(Router router, Optional<AccessRecorder> recorder, ServerBinding binding) {}

  private Guardian() {}

  static Behavior<Void> create(
      Coordinator.Seed seed,
      LogInstances logInstances,
      LogShardSettings settings,
      HttpSettings httpSettings,
      CompletableFuture<Started> started) {
    return Behaviors.<Object>setup(ctx -> {
      var system = ctx.getSystem();
      Cluster cluster = Cluster.get(system);
      // With no seed nodes (embedded mode, or the first node of a cluster) the node joins itself;
      // otherwise Pekko joins the seed nodes on its own.
      if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }

      // Sharding first: the Coordinator resumes transfer sagas, which talk to RangeShards, as soon as
      // it recovers. Starting entities ask the Coordinator for their placement.
      RangeSizes sizes = new RangeSizes();
      var coordinatorRef = new java.util.concurrent.atomic.AtomicReference<ActorRef<CoordinatorCommand>>();
      RangeShardEntity.init(system,
          (entityId, replyTo) -> coordinatorRef.get().tell(new CoordinatorCommand.ResolvePlacement(entityId, replyTo)),
          logInstances, settings, sizes);
      TransferSettings transferSettings = TransferSettings.create(system.settings().config());
      LoadHistorySettings loadSettings = LoadHistorySettings.create(system.settings().config());
      ActorRef<CoordinatorCommand> coordinator = Coordinator.init(system, Coordinator.create(seed,
          OnLogInstance.Plugins.of(logInstances.coordinator()),
          (start, self) -> TransferSaga.create(start, self, logInstances, transferSettings, System::currentTimeMillis),
          loadSettings, settings.askTimeout(), System::currentTimeMillis));
      coordinatorRef.set(coordinator);
      Router.ShardMapSource mapSource = () -> Stages.adopt(AskPattern.<CoordinatorCommand, CurrentShardMap>ask(
              coordinator, CoordinatorCommand.GetShardMap::new, settings.askTimeout(), system.scheduler()))
          .thenApply(CurrentShardMap::toShardMap);
      // The router starts with the Coordinator's map; the singleton runs once the node is Up.
      coordinator.tell(new CoordinatorCommand.GetShardMap(ctx.messageAdapter(CurrentShardMap.class, m -> m)));

      return Behaviors.receive(Object.class)
          .onMessage(CurrentShardMap.class, current -> {
            ShardMap shardMap = current.toShardMap();
            ProfilerSettings profilerSettings = ProfilerSettings.create(system.settings().config());
            Optional<AccessRecorder> recorder = profilerSettings.recorder(shardMap);
            Router router = new Router(system, shardMap, mapSource, settings, recorder);
            ctx.spawn(ShardMapSubscriber.create(router, coordinator, settings.shardMapRefresh()), "shard-map-subscriber");
            // The profiler aggregates what the router records and reports it to the Coordinator; its
            // views and the Coordinator's cluster-wide one are read over HTTP.
            Profiler.Reporting reporting = new Profiler.Reporting(cluster.selfMember().address().toString(),
                new RingCells(loadSettings.cells()), report -> coordinator.tell(new CoordinatorCommand.ReportLoad(report)));
            Optional<ProfilerView> profiler = recorder.map(r -> new ProfilerView(
                ctx.spawn(Profiler.create(r, sizes, profilerSettings, reporting, System::currentTimeMillis), "profiler"),
                coordinator, r, system.scheduler(), settings.askTimeout()));
            Transfers transfers = new Transfers(coordinator, system.scheduler(), settings.askTimeout(),
                logInstances.all().stream().map(i -> i.name()).collect(java.util.stream.Collectors.toSet()),
                transferSettings.faultInjection(), new dev.logshard.actors.Nodes(system, settings.askTimeout()));
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
    }).narrow();
  }
}
