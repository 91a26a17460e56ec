package dev.logshard.actors.coordinator;

import dev.logshard.actors.coordinator.CoordinatorCommand.CurrentShardMap;
import dev.logshard.actors.rangeshard.RangeShardEntity;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
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
 */
final class RangeWaker {

  private RangeWaker() {}

  static Behavior<Object> create(ActorRef<CoordinatorCommand> coordinator) {
    return Behaviors.setup(ctx -> {
      ActorRef<CurrentShardMap> maps = ctx.getSelf().narrow();
      Cluster.get(ctx.getSystem()).subscriptions()
          .tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.MemberRemoved.class));
      coordinator.tell(new CoordinatorCommand.GetShardMap(maps));
      return Behaviors.receive(Object.class)
          .onMessage(ClusterEvent.MemberRemoved.class, removed -> {
            coordinator.tell(new CoordinatorCommand.GetShardMap(maps));
            return Behaviors.same();
          })
          .onMessage(CurrentShardMap.class, map -> {
            for (var placement : map.placements()) {
              if (!RangeShardEntity.start(ctx.getSystem(), placement.entityId())) {
                return Behaviors.stopped(); // no sharding of ranges on this node
              }
            }
            return Behaviors.same();
          })
          .build();
    });
  }
}
