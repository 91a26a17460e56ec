package dev.logshard.node;

import dev.logshard.actors.LogShardSettings;
import dev.logshard.actors.Profiler;
import dev.logshard.actors.ProfilerSettings;
import dev.logshard.actors.ProfilerView;
import dev.logshard.actors.RangeShard;
import dev.logshard.actors.Router;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.AccessRecorder;
import dev.logshard.core.profile.RangeSizes;
import dev.logshard.http.HttpApi;
import dev.logshard.http.HttpServer;
import dev.logshard.http.HttpSettings;
import dev.logshard.persistence.LogInstances;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;

/** The node's guardian: joins the cluster, wires sharding and the router, binds the HTTP API. */
final class Guardian {

  /** What the node hands back once started. */
  record Started(Router router, Optional<AccessRecorder> recorder, ServerBinding binding) {}

  private Guardian() {}

  static Behavior<Void> create(
      ShardMap shardMap,
      LogInstances logInstances,
      LogShardSettings settings,
      HttpSettings httpSettings,
      CompletableFuture<Started> started) {
    return Behaviors.setup(ctx -> {
      var system = ctx.getSystem();
      Cluster cluster = Cluster.get(system);
      // Embedded mode: a single-node cluster that joins itself.
      cluster.manager().tell(Join.create(cluster.selfMember().address()));

      Optional<AccessRecorder> recorder = ProfilerSettings.create(system.settings().config()).recorder(shardMap);
      // The profiler aggregates what the router records; its views are read over HTTP.
      Router router = new Router(system, shardMap, settings, recorder);
      RangeSizes sizes = new RangeSizes();
      RangeShard.init(system, router, logInstances, settings, sizes);

      ProfilerSettings profilerSettings = ProfilerSettings.create(system.settings().config());
      Optional<ProfilerView> profiler = recorder.map(r -> new ProfilerView(
          ctx.spawn(Profiler.create(r, sizes, profilerSettings, System::currentTimeMillis), "profiler"),
          system.scheduler(), settings.askTimeout()));
      HttpApi api = new HttpApi(router, settings, httpSettings,
          () -> cluster.selfMember().status() == MemberStatus.up(), profiler);
      HttpServer.start(system, api.routes(), httpSettings).whenComplete((binding, failure) -> {
        if (failure != null) {
          started.completeExceptionally(failure);
        } else {
          started.complete(new Started(router, recorder, binding));
        }
      });
      return Behaviors.empty();
    });
  }
}
