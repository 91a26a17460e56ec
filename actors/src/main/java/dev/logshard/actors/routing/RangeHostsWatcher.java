package dev.logshard.actors.routing;

import dev.logshard.actors.rangeshard.HostedRanges;
import dev.logshard.core.CborSerializable;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Per node: keeps {@link RangeHosts} current. It says on a topic which range generations run on this
 * node (when that changed, checked every {@code interval}, and every {@code REPEAT} intervals anyway
 * for nodes that joined since), hands what the other nodes say to {@link RangeHosts}, and follows
 * the cluster's reachability and removals. Lives as long as the node.
 */
public final class RangeHostsWatcher {

  static final String TOPIC = "logshard-range-hosts";
  private static final int REPEAT = 10;

  /** What a node runs now. */
  public record Hosting(String node, List<String> entityIds) implements CborSerializable {}

  private enum Tick { INSTANCE }

  private RangeHostsWatcher() {}

  public static Behavior<Hosting> create(RangeHosts hosts, HostedRanges local, Duration interval) {
    return Behaviors.<Object>setup(ctx -> Behaviors.withTimers(timers -> {
      Cluster cluster = Cluster.get(ctx.getSystem());
      String self = cluster.selfMember().address().toString();
      ActorRef<Hosting> me = ctx.getSelf().narrow();
      var topic = ctx.spawn(Topic.create(Hosting.class, TOPIC), "range-hosts-topic");
      topic.tell(Topic.subscribe(me));
      ActorRef<Object> events = ctx.getSelf();
      cluster.subscriptions().tell(Subscribe.create(events.narrow(), ClusterEvent.ReachabilityEvent.class));
      cluster.subscriptions().tell(Subscribe.create(events.narrow(), ClusterEvent.MemberRemoved.class));
      cluster.subscriptions().tell(Subscribe.create(events.narrow(), ClusterEvent.MemberUp.class));
      timers.startTimerWithFixedDelay(Tick.INSTANCE, interval);
      long[] said = {-1, 0}; // the version last said, ticks since
      return Behaviors.receive(Object.class)
          .onMessage(Hosting.class, hosting -> {
            hosts.hosting(hosting.node(), Set.copyOf(hosting.entityIds()));
            return Behaviors.same();
          })
          .onMessageEquals(Tick.INSTANCE, () -> {
            long version = local.version();
            if (version != said[0] || ++said[1] >= REPEAT) {
              said[0] = version;
              said[1] = 0;
              topic.tell(Topic.publish(new Hosting(self, List.copyOf(local.snapshot()))));
            }
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.UnreachableMember.class, e -> {
            hosts.unreachable(e.member().address().toString());
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.ReachableMember.class, e -> {
            hosts.reachable(e.member().address().toString());
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberUp.class, e -> {
            hosts.reachable(e.member().address().toString()); // a node restarted at the same address
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberRemoved.class, e -> {
            hosts.removed(e.member().address().toString());
            return Behaviors.same();
          })
          .build();
    })).narrow();
  }
}
