package dev.logshard.actors.profiler;

import dev.logshard.actors.coordinator.Nodes;
import dev.logshard.core.CborSerializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The round trip from this node to every other node of the cluster: every {@link #INTERVAL} it
 * pings each peer's NodeLatency (found through the Receptionist) and keeps a moving average per
 * node ({@code host:port}, milliseconds). The profiler sends it with its load report; the planner
 * weighs it when it chooses where a range goes.
 */
public final class NodeLatency extends AbstractBehavior<NodeLatency.Command> {

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "logshard-node-latency");
  static final Duration INTERVAL = Duration.ofSeconds(2);
  /** The weight of the newest round trip in the moving average. */
  private static final double ALPHA = 0.3;

  public sealed interface Command {}

  /** Sent to a peer, answered at once; {@code to} is the peer's name, as the pinger knows it. */
  public record Ping(long sentNanos, String to, ActorRef<Pong> replyTo) implements Command, CborSerializable {}

  public record Pong(long sentNanos, String to) implements CborSerializable {}

  private record Peers(Receptionist.Listing listing) implements Command {}

  private record Answered(Pong pong) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private final AtomicReference<Map<String, Double>> published;
  private final ActorRef<Pong> answers;
  private final Map<String, ActorRef<Command>> peers = new HashMap<>();
  private final Map<String, Double> roundTrips = new HashMap<>();

  /** {@code published}: where the latest round trips go (read by the profiler on its own thread). */
  public static Behavior<Command> create(AtomicReference<Map<String, Double>> published) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, INTERVAL);
      return new NodeLatency(ctx, published);
    }));
  }

  private NodeLatency(ActorContext<Command> ctx, AtomicReference<Map<String, Double>> published) {
    super(ctx);
    this.published = published;
    this.answers = ctx.messageAdapter(Pong.class, Answered::new);
    ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(KEY,
        ctx.messageAdapter(Receptionist.Listing.class, Peers::new)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Ping.class, ping -> {
          ping.replyTo().tell(new Pong(ping.sentNanos(), ping.to()));
          return this;
        })
        .onMessage(Peers.class, this::onPeers)
        .onMessage(Answered.class, this::onAnswered)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .build();
  }

  private Behavior<Command> onPeers(Peers message) {
    peers.clear();
    for (ActorRef<Command> peer : message.listing().getServiceInstances(KEY)) {
      if (!peer.equals(getContext().getSelf())) {
        peers.put(Nodes.name(peer.path().address()), peer);
      }
    }
    Set<String> gone = new HashSet<>(roundTrips.keySet());
    gone.removeAll(peers.keySet());
    if (!gone.isEmpty()) {
      roundTrips.keySet().removeAll(gone);
      published.set(Map.copyOf(roundTrips));
    }
    return this;
  }

  private Behavior<Command> onTick() {
    peers.forEach((name, peer) -> peer.tell(new Ping(System.nanoTime(), name, answers)));
    return this;
  }

  private Behavior<Command> onAnswered(Answered answered) {
    Pong pong = answered.pong();
    if (peers.containsKey(pong.to())) {
      double millis = (System.nanoTime() - pong.sentNanos()) / 1e6;
      roundTrips.merge(pong.to(), millis, (old, now) -> (1 - ALPHA) * old + ALPHA * now);
      published.set(Map.copyOf(roundTrips));
    }
    return this;
  }
}
