package dev.logshard.actors.rangeshard;

import dev.logshard.actors.support.Stages;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * Cluster Sharding's allocation for range generations: a shard goes where its recorded location says
 * (Pekko's external allocation, which a transfer to a named node writes), and every rebalance round
 * also stops the shards of retired generations — those the Coordinator no longer places and no
 * transfer still reaches. Pekko keeps a shard running once started, even with no entity left; in
 * cluster mode each holds its lease and renews it every heartbeat, so without this every move,
 * split and merge would leave a shard behind renewing a lease forever. A stopped shard releases its
 * lease; a stale request that reaches its generation again starts it, is answered WrongRange, and
 * the next round stops it again.
 */
final class RetiringAllocation implements ShardCoordinator.StartableAllocationStrategy {

  private static final Logger LOG = LoggerFactory.getLogger(RetiringAllocation.class);

  private final ExternalShardAllocationStrategy located;
  private final Function<Set<String>, CompletionStage<Set<String>>> retired;

  /** {@code retired}: which of the given generations are retired (an empty answer on failure is safe). */
  RetiringAllocation(ExternalShardAllocationStrategy located, Function<Set<String>, CompletionStage<Set<String>>> retired) {
    this.located = located;
    this.retired = retired;
  }

  @Override
  public void start() {
    located.start();
  }

  @Override
  public Future<ActorRef> allocateShard(ActorRef requester, String shardId,
      scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> current) {
    return located.allocateShard(requester, shardId, current);
  }

  @Override
  public Future<scala.collection.immutable.Set<String>> rebalance(
      scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> current, scala.collection.immutable.Set<String> inProgress) {
    Set<String> running = new HashSet<>();
    CollectionConverters.asJava(current).values().forEach(shards -> running.addAll(CollectionConverters.asJava(shards)));
    running.removeAll(CollectionConverters.asJava(inProgress));
    CompletableFuture<Set<String>> stopping = running.isEmpty() ? CompletableFuture.completedFuture(Set.of())
        : Stages.adopt(retired.apply(running)).exceptionally(failure -> {
          LOG.debug("Retired range generations not known this round: {}", failure.toString());
          return Set.of();
        });
    CompletableFuture<Set<String>> result = Stages.adopt(FutureConverters.asJava(located.rebalance(current, inProgress)))
        .thenCombine(stopping, (moving, retiring) -> {
          Set<String> all = new HashSet<>(CollectionConverters.asJava(moving));
          if (!retiring.isEmpty()) {
            LOG.info("Stopping the shards of {} retired range generations: {}", retiring.size(), retiring);
            all.addAll(retiring);
          }
          return all;
        });
    return FutureConverters.asScala(result.thenApply(all -> CollectionConverters.asScala(all).toSet()));
  }
}
