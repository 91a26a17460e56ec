package dev.logshard.actors.rangeshard;

import dev.logshard.actors.rangeshard.RangeShardCommand.KvCommand;
import dev.logshard.actors.rangeshard.RangeShardCommand.LeaseAcquired;
import dev.logshard.actors.rangeshard.RangeShardCommand.LeaseCheck;
import dev.logshard.actors.rangeshard.RangeShardCommand.PlacementResolved;
import dev.logshard.actors.rangeshard.RangeShardCommand.ReadAt;
import dev.logshard.actors.rangeshard.RangeShardCommand.ReadLocal;
import dev.logshard.actors.rangeshard.RangeShardCommand.ResolveAgain;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.profile.RangeSizes;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.RangeShardLogic;
import dev.logshard.persistence.LogInstance;
import dev.logshard.persistence.LogInstances;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.external.javadsl.ExternalShardAllocationClient;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * The sharded entity of one range generation ({@code rangeId.generation}), as Cluster Sharding
 * starts it: it asks the {@link PlacementDirectory} for its placement (holding commands meanwhile),
 * then runs its {@link RangeShard} behind a {@link RangeShardBatcher}; a generation that is not
 * placed (retired, rolled back, never created) never recovers or writes, it only refuses.
 *
 * <p>One entity per shard (shard id = entity id), so every range generation can be placed alone;
 * where a shard has a recorded location (a transfer to a named node) it runs there, any other on
 * the node that first sends it a message.
 */
public final class RangeShardEntity {

  public static final EntityTypeKey<RangeShardCommand> ENTITY_KEY =
      EntityTypeKey.create(RangeShardCommand.class, "RangeShard");

  private RangeShardEntity() {}

  /**
   * Registers the entity type with Cluster Sharding on this node; {@code retired} answers which of
   * the given generations are retired, whose shards then stop ({@link RetiringAllocation}); each
   * generation counts in {@code hosted} while it runs on this node.
   */
  public static void init(ActorSystem<?> system, PlacementDirectory directory,
      Function<Set<String>, CompletionStage<Set<String>>> retired, LogInstances logInstances,
      LogShardSettings settings, RangeSizes sizes, HostedRanges hosted) {
    String leasePath = system.settings().config().getString("logshard.range-lease");
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_KEY, ctx -> hosted.track(ctx.getEntityId(), create(ctx.getEntityId(), directory, logInstances,
                settings, sizes, RangeLease.of(system, leasePath, ctx.getEntityId()))))
            .withMessageExtractor(new OneEntityPerShard())
            .withStopMessage(RangeShardCommand.HandOff.INSTANCE)
            .withAllocationStrategy(new RetiringAllocation(
                ExternalShardAllocationStrategy.create(system, ENTITY_KEY.name(), settings.askTimeout()), retired)));
  }

  /** Records the node a shard is to run on, for the allocation strategy above. */
  public static ExternalShardAllocationClient allocation(ActorSystem<?> system) {
    return ExternalShardAllocation.get(system).getClient(ENTITY_KEY.name());
  }

  /**
   * Starts {@code entityId}'s generation where sharding places it, without a request (it recovers
   * and then waits for one; a running one is left as it is). False if sharding of range generations
   * does not run on this node (a Coordinator run alone, in tests).
   */
  public static boolean start(ActorSystem<?> system, String entityId) {
    org.apache.pekko.actor.ActorRef region;
    try {
      region = org.apache.pekko.cluster.sharding.ClusterSharding.get(Adapter.toClassic(system))
          .shardRegion(ENTITY_KEY.name());
    } catch (IllegalStateException notStarted) {
      return false;
    }
    region.tell(new ShardRegion.StartEntity(entityId), org.apache.pekko.actor.ActorRef.noSender());
    return true;
  }

  /** The shard that holds an entity: itself (see {@link OneEntityPerShard}). */
  public static String shardId(String entityId) {
    return entityId;
  }

  /** The persistence id of a generation's log. */
  public static PersistenceId persistenceId(String entityId) {
    return PersistenceId.of(ENTITY_KEY.name(), entityId);
  }

  /** The behavior Cluster Sharding runs for {@code entityId}. */
  public static Behavior<RangeShardCommand> create(String entityId, PlacementDirectory directory,
      LogInstances logInstances, LogShardSettings settings, RangeSizes sizes) {
    return create(entityId, directory, logInstances, settings, sizes, null);
  }

  /** The same, holding {@code lease} (null: none) while it runs. */
  static Behavior<RangeShardCommand> create(String entityId, PlacementDirectory directory,
      LogInstances logInstances, LogShardSettings settings, RangeSizes sizes, RangeLease lease) {
    Behavior<RangeShardCommand> starting = Behaviors.setup(ctx -> Behaviors.withStash(settings.startStashCapacity(),
        stash -> Behaviors.withTimers(timers ->
            new Starting(entityId, directory, logInstances, settings, sizes, lease, ctx, stash, timers).behavior())));
    return lease == null ? starting : lease.around(starting);
  }

  /**
   * How long a generation waits before it asks again for a lease another node holds: first briefly
   * (after a hand-off the previous node releases it as it stops, a moment later), then doubling up
   * to 250 ms: a dead node's lease ends when its TTL runs out, which no one is told of, and every
   * request for the range waits out the step that passes that moment (one lightweight transaction
   * per step, only while another node holds the lease).
   */
  private static final Duration FIRST_LEASE_RETRY = Duration.ofMillis(100);
  private static final Duration MAX_LEASE_RETRY = Duration.ofMillis(250);
  /** How long a starting generation first waits for the Coordinator's answer before it asks again (then doubling, up to the ask timeout). */
  private static final Duration FIRST_RESOLVE_RETRY = Duration.ofMillis(250);

  /**
   * A starting entity: it takes its lease if it has one (asking again, up to every second, while
   * another node holds it), then asks the directory for its placement until it answers, holding commands meanwhile.
   */
  private static final class Starting {
    private final String entityId;
    private final PlacementDirectory directory;
    private final LogInstances logInstances;
    private final LogShardSettings settings;
    private final RangeSizes sizes;
    private final RangeLease lease;
    private final ActorContext<RangeShardCommand> ctx;
    private final StashBuffer<RangeShardCommand> stash;
    private final TimerScheduler<RangeShardCommand> timers;
    private final ActorRef<PlacementDirectory.Placement> answers;
    private Duration leaseRetry = FIRST_LEASE_RETRY;
    private Duration resolveRetry = FIRST_RESOLVE_RETRY;
    private final long startedNanos = System.nanoTime();

    Starting(String entityId, PlacementDirectory directory, LogInstances logInstances, LogShardSettings settings,
        RangeSizes sizes, RangeLease lease, ActorContext<RangeShardCommand> ctx, StashBuffer<RangeShardCommand> stash,
        TimerScheduler<RangeShardCommand> timers) {
      this.entityId = entityId;
      this.directory = directory;
      this.logInstances = logInstances;
      this.settings = settings;
      this.sizes = sizes;
      this.lease = lease;
      this.ctx = ctx;
      this.stash = stash;
      this.timers = timers;
      this.answers = ctx.messageAdapter(PlacementDirectory.Placement.class, PlacementResolved::new);
    }

    Behavior<RangeShardCommand> behavior() {
      if (lease == null) {
        resolve();
      } else {
        lease.acquire(ctx.getSelf());
      }
      return Behaviors.receive(RangeShardCommand.class)
          .onMessage(LeaseAcquired.class, this::onLeaseAcquired)
          .onMessageEquals(LeaseCheck.RETRY, this::onLeaseRetry)
          .onMessage(PlacementResolved.class, this::onPlacementResolved)
          .onMessageEquals(ResolveAgain.INSTANCE, this::onResolveAgain)
          .onAnyMessage(this::onCommand)
          .build();
    }

    private void resolve() {
      directory.resolve(entityId, answers);
      // The Coordinator may be moving to another node (the question then reaches the one that
      // stops): ask again until it answers, soon at first (a client's request waits meanwhile).
      timers.startSingleTimer(ResolveAgain.INSTANCE, resolveRetry);
    }

    private Behavior<RangeShardCommand> onLeaseAcquired(LeaseAcquired result) {
      if (result.acquired()) {
        resolve();
      } else {
        ctx.getLog().info("RangeShard [{}] did not get its lease{}: asking again in {} ms", entityId,
            result.failure() == null ? " (another node holds it)" : " (" + result.failure() + ")", leaseRetry.toMillis());
        timers.startSingleTimer(LeaseCheck.RETRY, leaseRetry);
        leaseRetry = leaseRetry.multipliedBy(2).compareTo(MAX_LEASE_RETRY) > 0 ? MAX_LEASE_RETRY : leaseRetry.multipliedBy(2);
      }
      return Behaviors.same();
    }

    private Behavior<RangeShardCommand> onLeaseRetry() {
      lease.acquire(ctx.getSelf());
      return Behaviors.same();
    }

    private Behavior<RangeShardCommand> onPlacementResolved(PlacementResolved resolved) {
      timers.cancelAll();
      ctx.getLog().debug("RangeShard [{}] placed {} ms after its start ({} commands held)", entityId,
          (System.nanoTime() - startedNanos) / 1_000_000, stash.size());
      RangePlacement placement = resolved.placement().placement();
      if (placement == null || !placement.entityId().equals(entityId)) {
        ctx.getLog().info("RangeShard [{}] is not placed at epoch {}: answering WrongRange",
            entityId, resolved.placement().epoch());
        return stash.unstashAll(unplaced(entityId, resolved.placement().epoch()));
      }
      var added = resolved.placement().addedInstance();
      LogInstance instance = added == null ? logInstances.get(placement.logInstance())
          : logInstances.register(added.name(), added.tier(), added.capacityBytes(), added.capacityRequestsPerSecond());
      Behavior<RangeShardCommand> shard = RangeShard.create(placement, instance, settings, sizes);
      return stash.unstashAll(settings.batching() ? RangeShardBatcher.create(shard, settings) : shard);
    }

    private Behavior<RangeShardCommand> onResolveAgain() {
      resolveRetry = resolveRetry.multipliedBy(2).compareTo(settings.askTimeout()) > 0
          ? settings.askTimeout() : resolveRetry.multipliedBy(2);
      resolve();
      return Behaviors.same();
    }

    private Behavior<RangeShardCommand> onCommand(RangeShardCommand command) {
      if (command == RangeShardCommand.HandOff.INSTANCE) {
        // Nothing was applied yet: the routers send the held commands again, to where it runs next.
        stash.forEach(held -> {
          if (held instanceof KvCommand kv) {
            kv.replyTo().tell(new KvReply.HandedOff());
          }
        });
        return Behaviors.stopped();
      }
      if (stash.isFull()) {
        // Backpressure, never a stash overflow (that would stop the entity and drop all it held).
        if (command instanceof KvCommand kv) {
          kv.replyTo().tell(new KvReply.Overloaded());
        } // a Transfer's step is sent again by its saga
        return Behaviors.same();
      }
      stash.stash(command);
      return Behaviors.same();
    }
  }

  /**
   * A generation the directory does not place: commands get WrongRange, reads sent on by a source
   * go back to it, and Transfer steps get {@link RangeShardLogic#unplacedAnswer}.
   */
  static Behavior<RangeShardCommand> unplaced(String entityId, long epoch) {
    KvReply wrongRange = new KvReply.WrongRange(entityId, epoch);
    return Behaviors.receiveMessage(cmd -> {
      if (cmd == RangeShardCommand.HandOff.INSTANCE) {
        return Behaviors.stopped();
      }
      if (cmd instanceof ReadAt readAt) {
        readAt.source().tell(new ReadLocal(readAt.key(), readAt.replyTo()));
      } else if (cmd instanceof KvCommand kv) {
        kv.replyTo().tell(wrongRange);
      } else if (cmd instanceof RangeShardCommand.Step step) {
        step.replyTo().tell(RangeShardLogic.unplacedAnswer(entityId, epoch, step.step()));
      }
      return Behaviors.same();
    });
  }

  /** Shard id = entity id: each range generation is its own shard, so it can be placed alone. */
  static final class OneEntityPerShard
      extends ShardingMessageExtractor<ShardingEnvelope<RangeShardCommand>, RangeShardCommand> {

    @Override
    public String entityId(ShardingEnvelope<RangeShardCommand> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return RangeShardEntity.shardId(entityId);
    }

    @Override
    public RangeShardCommand unwrapMessage(ShardingEnvelope<RangeShardCommand> envelope) {
      return envelope.message();
    }
  }
}
