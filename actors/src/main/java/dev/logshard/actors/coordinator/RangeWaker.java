package dev.logshard.actors.coordinator;

import dev.logshard.actors.coordinator.CoordinatorCommand.CurrentShardMap;
import dev.logshard.actors.rangeshard.RangeShardEntity;
import dev.logshard.actors.support.Stages;
import dev.logshard.core.transfer.TransferSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The Coordinator's child that starts every range generation of the map at once when the
 * Coordinator starts (after a restart, or on a survivor after its node died) and when a node leaves
 * the cluster, instead of one by one as requests reach them: the ranges of a dead node recover on
 * the survivors in parallel, and a request finds its range running. A generation already running
 * is left as it is.
 *
 * <p>First it records again, for sharding's allocation, the nodes transfers placed generations on
 * ({@code placedOn}, journaled by the Coordinator): after the whole cluster restarted, a range goes
 * back to its node (at once if that node is up, else when it joins, by sharding's rebalance).
 */
final class RangeWaker {

  private record Recorded(String failure) {}

  private enum Settled { INSTANCE }

  private RangeWaker() {}

  static Behavior<Object> create(ActorRef<CoordinatorCommand> coordinator, Map<String, String> placedOn) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      Cluster.get(ctx.getSystem()).subscriptions()
          .tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.MemberRemoved.class));
      if (placedOn.isEmpty()) {
        coordinator.tell(new CoordinatorCommand.GetShardMap(ctx.getSelf().narrow()));
      } else {
        ctx.pipeToSelf(record(ctx.getSystem(), placedOn),
            (done, failure) -> new Recorded(failure == null ? null : failure.toString()));
      }
      Duration settle = TransferSettings.create(ctx.getSystem().settings().config()).placementSettle();
      return Behaviors.receive(Object.class)
          .onMessage(Recorded.class, recorded -> {
            if (recorded.failure() != null) {
              ctx.getLog().warn("The nodes of {} placed ranges were not recorded for sharding ({}): they start where"
                  + " sharding puts them", placedOn.size(), recorded.failure());
            }
            // The allocation learns of the record through Distributed Data's change notifications.
            timers.startSingleTimer(Settled.INSTANCE, settle);
            return Behaviors.same();
          })
          .onMessageEquals(Settled.INSTANCE, () -> {
            coordinator.tell(new CoordinatorCommand.GetShardMap(ctx.getSelf().narrow()));
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberRemoved.class, removed -> {
            coordinator.tell(new CoordinatorCommand.GetShardMap(ctx.getSelf().narrow()));
            return Behaviors.same();
          })
          .onMessage(CurrentShardMap.class, map -> start(ctx, map))
          .build();
    }));
  }

  /**
   * Records for sharding's allocation that each generation ({@code entity id → host:port}) is to run
   * on its node: one not running there is handed off to it at the allocation's next rebalance.
   */
  static CompletionStage<Done> record(ActorSystem<?> system, Map<String, String> nodes) {
    Map<String, Address> locations = new HashMap<>();
    nodes.forEach((entityId, node) -> locations.put(RangeShardEntity.shardId(entityId), Nodes.address(system, node)));
    return Stages.adopt(RangeShardEntity.allocation(system).setShardLocations(locations));
  }

  /**
   * Records the generations the planner relocated ({@code entity id → host:port}) for sharding's
   * allocation, logging (not failing) if that does not succeed: they are journaled, and recorded
   * again at the next Coordinator start.
   */
  static void relocate(ActorContext<?> ctx, Map<String, String> relocations) {
    if (relocations.isEmpty()) {
      return;
    }
    var log = ctx.getLog(); // the stage completes off the actor's thread
    record(ctx.getSystem(), relocations).whenComplete((done, failure) -> {
      if (failure != null) {
        log.warn("Relocations {} not recorded for sharding yet: {}", relocations, failure.toString());
      }
    });
  }

  private static Behavior<Object> start(ActorContext<Object> ctx, CurrentShardMap map) {
    for (var placement : map.placements()) {
      if (!RangeShardEntity.start(ctx.getSystem(), placement.entityId())) {
        return Behaviors.stopped(); // no sharding of ranges on this node
      }
    }
    return Behaviors.same();
  }
}
