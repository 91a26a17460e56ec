package dev.logshard.actors.rangeshard;

import dev.logshard.actors.rangeshard.RangeShardCommand.LeaseAcquired;
import dev.logshard.actors.rangeshard.RangeShardCommand.LeaseCheck;
import dev.logshard.actors.support.Stages;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.apache.pekko.coordination.lease.javadsl.LeaseProvider;

/**
 * The lease a range generation holds while it runs, in cluster mode (one writer per range): taken
 * before the generation recovers or writes, released when its actor stops for any reason (hand-off,
 * passivation, failure), and if lost (not renewed in time, or taken by another cluster) the
 * generation stops at once. Held by the entity rather than by Cluster Sharding's {@code use-lease}:
 * Pekko 1.2's shard never releases its lease, so a shard stopped by a rebalance (a retired
 * generation, {@link RetiringAllocation}) would keep renewing it forever.
 */
final class RangeLease {

  private final Lease lease;

  private RangeLease(Lease lease) {
    this.lease = lease;
  }

  /** The generation's lease, named as Pekko names a shard's ({@code <system>-shard-RangeShard-<id>}), or null when none is configured. */
  static RangeLease of(ActorSystem<?> system, String configPath, String entityId) {
    if (configPath.isEmpty()) {
      return null;
    }
    String owner = Cluster.get(system).selfMember().address().hostPort();
    String name = system.name() + "-shard-" + RangeShardEntity.ENTITY_KEY.name() + "-" + entityId;
    return new RangeLease(LeaseProvider.get(system).getLease(name, configPath, owner));
  }

  /** Asks for the lease; the answer comes to {@code self} as {@link LeaseAcquired}, a later loss as {@link LeaseCheck#LOST}. */
  void acquire(ActorRef<RangeShardCommand> self) {
    Stages.adopt(lease.acquire(failure -> self.tell(LeaseCheck.LOST))).whenComplete((acquired, failure) ->
        self.tell(new LeaseAcquired(failure == null && acquired, failure == null ? null : failure.toString())));
  }

  /** The generation's behavior, stopped when the lease is lost, releasing it when it stops. */
  Behavior<RangeShardCommand> around(Behavior<RangeShardCommand> behavior) {
    return Behaviors.intercept(Holding::new, behavior);
  }

  /** Stops the generation when the lease is lost; releases it when the generation stops. */
  private final class Holding extends OnStop {

    Holding() {
      super(lease::release);
    }

    @Override
    public Behavior<RangeShardCommand> aroundReceive(TypedActorContext<RangeShardCommand> ctx, RangeShardCommand msg,
        ReceiveTarget<RangeShardCommand> target) {
      if (msg == LeaseCheck.LOST) {
        ctx.asJava().getLog().warn("Range generation [{}] lost its lease: it stops", ctx.asJava().getSelf().path().name());
        lease.release();
        return Behaviors.stopped();
      }
      return target.apply(ctx, msg);
    }
  }
}
