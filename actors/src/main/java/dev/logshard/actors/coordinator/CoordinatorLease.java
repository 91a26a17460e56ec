package dev.logshard.actors.coordinator;

import dev.logshard.actors.support.Stages;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.apache.pekko.coordination.lease.javadsl.LeaseProvider;

/**
 * The singleton that holds the Coordinator's lease in cluster mode (one Coordinator writing, even
 * across two clusters on the same keyspaces) and runs the Coordinator as its child while it holds
 * it. Held here rather than by the singleton manager ({@code pekko.cluster.singleton.use-lease}):
 * when that lease is lost (Cassandra unreachable for longer than a heartbeat) the manager stops the
 * singleton and starts it again on the same node once the lease is back, and Pekko's singleton
 * proxies then wait for the oldest node to change before they look for it again — on a cluster
 * whose members did not change, every node's requests to the Coordinator went unanswered for good.
 * This actor stays: on a loss it stops the Coordinator, takes the lease again (every 100 ms
 * doubling to 250 ms: a dead node's lease ends unannounced when its TTL runs out) and starts a
 * new one, which recovers from the journal; commands that arrive meanwhile wait (up to
 * {@link #WAITING}, more are dropped: their asks time out).
 */
final class CoordinatorLease {

  /** Commands held while the lease is being taken. */
  static final int WAITING = 1000;
  private static final Duration FIRST_RETRY = Duration.ofMillis(100);
  private static final Duration LAST_RETRY = Duration.ofMillis(250);

  private record Acquired(boolean held, String failure) {}

  /** The lease taken by attempt {@code attempt} is lost (a loss of an earlier one is old news). */
  private record Lost(int attempt) {}

  private enum Retry { INSTANCE }

  private final ActorContext<Object> ctx;
  private final TimerScheduler<Object> timers;
  private final StashBuffer<Object> waiting;
  private final Lease lease;
  private final Behavior<CoordinatorCommand> coordinator;
  private int incarnation;
  private int attempt;
  private Duration retry = FIRST_RETRY;

  private CoordinatorLease(ActorContext<Object> ctx, TimerScheduler<Object> timers, StashBuffer<Object> waiting,
      Lease lease, Behavior<CoordinatorCommand> coordinator) {
    this.ctx = ctx;
    this.timers = timers;
    this.waiting = waiting;
    this.lease = lease;
    this.coordinator = coordinator;
  }

  /**
   * The Coordinator under the lease at {@code configPath} (empty: no lease, the Coordinator itself),
   * named as Pekko names a singleton's lease ({@code <system>-singleton-<manager path>}), so a node
   * of the earlier version excludes this one and the other way round.
   */
  static Behavior<CoordinatorCommand> around(String configPath, Behavior<CoordinatorCommand> coordinator) {
    if (configPath.isEmpty()) {
      return coordinator;
    }
    return Behaviors.<Object>setup(ctx -> Behaviors.withTimers(timers -> Behaviors.withStash(WAITING, waiting -> {
      String name = ctx.getSystem().name() + "-singleton-" + ctx.getSelf().path().parent();
      String owner = Cluster.get(ctx.getSystem()).selfMember().address().hostPort();
      Lease lease = LeaseProvider.get(ctx.getSystem()).getLease(name, configPath, owner);
      return new CoordinatorLease(ctx, timers, waiting, lease, coordinator).acquiring();
    }))).narrow();
  }

  private Behavior<Object> acquiring() {
    ActorRef<Object> self = ctx.getSelf();
    Lost lost = new Lost(++attempt);
    Stages.adopt(lease.acquire(failure -> self.tell(lost))).whenComplete((held, failure) ->
        self.tell(new Acquired(failure == null && held, failure == null ? null : failure.toString())));
    return Behaviors.receive(Object.class)
        .onMessage(Acquired.class, this::onAcquired)
        .onMessageEquals(Retry.INSTANCE, this::acquiring)
        .onMessage(Lost.class, old -> Behaviors.same()) // a lease not held yet, or no longer
        .onMessage(CoordinatorCommand.class, this::hold)
        .onSignal(PostStop.class, stop -> release())
        .build();
  }

  private Behavior<Object> onAcquired(Acquired acquired) {
    if (!acquired.held()) {
      ctx.getLog().info("The Coordinator's lease is not held ({}): asking again in {} ms",
          acquired.failure() == null ? "another node holds it" : acquired.failure(), retry.toMillis());
      timers.startSingleTimer(Retry.INSTANCE, retry);
      retry = retry.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : retry.multipliedBy(2);
      return Behaviors.same();
    }
    retry = FIRST_RETRY;
    ActorRef<CoordinatorCommand> child = ctx.spawn(coordinator, "coordinator-" + ++incarnation);
    ctx.watch(child);
    if (incarnation > 1) {
      ctx.getLog().info("The Coordinator's lease is held again: the Coordinator starts again");
    }
    return waiting.unstashAll(holding(child));
  }

  private Behavior<Object> holding(ActorRef<CoordinatorCommand> child) {
    return Behaviors.receive(Object.class)
        .onMessage(CoordinatorCommand.class, command -> {
          child.tell(command);
          return Behaviors.same();
        })
        .onMessage(Lost.class, lost -> {
          if (lost.attempt() != attempt) {
            return Behaviors.same();
          }
          ctx.getLog().warn("The Coordinator lost its lease: it stops, and starts again once the lease is held");
          ctx.stop(child);
          return stopping();
        })
        .onSignal(Terminated.class, stopped -> {
          ctx.getLog().warn("The Coordinator stopped: it starts again once the lease is held");
          release();
          return acquiring();
        })
        .onSignal(PostStop.class, stop -> release())
        .build();
  }

  /** The Coordinator stops before the lease is taken again: never two writing, even on one node. */
  private Behavior<Object> stopping() {
    return Behaviors.receive(Object.class)
        .onMessage(CoordinatorCommand.class, this::hold)
        .onMessage(Lost.class, old -> Behaviors.same())
        .onSignal(Terminated.class, stopped -> {
          release();
          return acquiring();
        })
        .onSignal(PostStop.class, stop -> release())
        .build();
  }

  private Behavior<Object> hold(CoordinatorCommand command) {
    if (waiting.isFull()) {
      ctx.getLog().debug("Coordinator not running and {} commands waiting: {} dropped", WAITING, command);
    } else {
      waiting.stash(command);
    }
    return Behaviors.same();
  }

  private Behavior<Object> release() {
    lease.release();
    return Behaviors.same();
  }
}
