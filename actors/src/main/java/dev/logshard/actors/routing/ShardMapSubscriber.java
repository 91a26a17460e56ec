package dev.logshard.actors.routing;

import dev.logshard.actors.coordinator.Coordinator;
import dev.logshard.actors.coordinator.CoordinatorCommand.CurrentShardMap;
import dev.logshard.actors.coordinator.CoordinatorCommand;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Per node: hands every map the Coordinator publishes to the node's {@link Router}, which keeps the
 * newest epoch. A publication can be missed (the topic's members find each other asynchronously,
 * measured: a node's first publications after start), so it also asks the Coordinator every
 * {@code refresh} interval. Lives as long as the node.
 */
public final class ShardMapSubscriber {

  private enum Refresh { INSTANCE }

  private ShardMapSubscriber() {}

  public static Behavior<CurrentShardMap> create(Router router, ActorRef<CoordinatorCommand> coordinator, Duration refresh) {
    return Behaviors.<Object>setup(ctx -> Behaviors.withTimers(timers -> {
      ActorRef<CurrentShardMap> self = ctx.getSelf().narrow();
      var topic = ctx.spawn(Topic.create(CurrentShardMap.class, Coordinator.SHARD_MAP_TOPIC), "shard-map-topic");
      topic.tell(Topic.subscribe(self));
      timers.startTimerWithFixedDelay(Refresh.INSTANCE, refresh);
      return Behaviors.receive(Object.class)
          .onMessage(CurrentShardMap.class, published -> {
            if (published.epoch() > router.shardMap().epoch()) { // the poll mostly brings the map it has
              router.update(published.toShardMap());
            }
            return Behaviors.same();
          })
          .onMessageEquals(Refresh.INSTANCE, () -> {
            coordinator.tell(new CoordinatorCommand.GetShardMap(self));
            return Behaviors.same();
          })
          .build();
    })).narrow();
  }
}
