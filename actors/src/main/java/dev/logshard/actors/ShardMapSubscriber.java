package dev.logshard.actors;

import dev.logshard.actors.CoordinatorCommand.CurrentShardMap;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;

/**
 * Per node: subscribes to the maps the Coordinator publishes and hands each to the node's
 * {@link Router}, which keeps the newest epoch. Lives as long as the node.
 */
public final class ShardMapSubscriber {

  private ShardMapSubscriber() {}

  public static Behavior<CurrentShardMap> create(Router router) {
    return Behaviors.setup(ctx -> {
      var topic = ctx.spawn(Topic.create(CurrentShardMap.class, Coordinator.SHARD_MAP_TOPIC), "shard-map-topic");
      topic.tell(Topic.subscribe(ctx.getSelf()));
      return Behaviors.receiveMessage(published -> {
        router.update(published.toShardMap());
        return Behaviors.same();
      });
    });
  }
}
