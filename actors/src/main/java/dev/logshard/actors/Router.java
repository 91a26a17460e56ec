package dev.logshard.actors;

import dev.logshard.core.Expectation;
import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.AccessKind;
import dev.logshard.core.profile.AccessRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The per-node entry to the data path: key → hash → range (from the cached ShardMap) → the
 * RangeShard's EntityRef. Not an actor: a request costs a hash, a binary search and one ask, plus,
 * when the profiler is on, a lock-free {@link AccessRecorder#record} of the access.
 * Also the node's {@link PlacementDirectory}, so a RangeShard starts on the placement the router
 * routes by.
 */
public final class Router implements KeyValueStore, PlacementDirectory {

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final AtomicReference<ShardMap> shardMap;
  private final Map<String, EntityRef<RangeShardCommand>> entityRefs = new ConcurrentHashMap<>();
  /** Null when the profiler is off: the request path then pays one null check. */
  private final AccessRecorder recorder;
  private final AtomicInteger batchIds = new AtomicInteger();

  public Router(ActorSystem<?> system, ShardMap initial, LogShardSettings settings, Optional<AccessRecorder> recorder) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = settings.askTimeout();
    this.shardMap = new AtomicReference<>(initial);
    this.recorder = recorder.orElse(null);
  }

  @Override
  public ShardMap shardMap() {
    return shardMap.get();
  }

  @Override
  public Optional<RangePlacement> placementOf(String entityId) {
    return shardMap.get().byEntityId(entityId);
  }

  @Override
  public CompletionStage<KvReply> get(String key, int clientId) {
    return ask(key, AccessKind.READ, 0, clientId, replyTo -> new RangeShardCommand.Get(key, replyTo));
  }

  @Override
  public CompletionStage<KvReply> put(String key, byte[] value, Expectation expect, int clientId) {
    return ask(key, AccessKind.WRITE, value.length, clientId,
        replyTo -> new RangeShardCommand.Put(key, value, expect, replyTo));
  }

  @Override
  public CompletionStage<KvReply> delete(String key, Expectation expect, int clientId) {
    return ask(key, AccessKind.WRITE, 0, clientId, replyTo -> new RangeShardCommand.Delete(key, expect, replyTo));
  }

  @Override
  public CompletionStage<List<KvReply>> batch(List<Operation> operations, int clientId) {
    ShardMap map = shardMap.get();
    // A batch is sampled as a whole, under one id, so the profiler sees its ranges co-accessed.
    boolean sampled = recorder != null && recorder.sampleNext();
    int batchClient = clientId != ANONYMOUS ? clientId : -1 - (batchIds.getAndIncrement() & Integer.MAX_VALUE);
    // Group by range, keeping each operation's position so results come back in request order.
    Map<RangePlacement, List<Integer>> byRange = new LinkedHashMap<>();
    for (int i = 0; i < operations.size(); i++) {
      Operation op = operations.get(i);
      long hash = KeyHash.of(op.key());
      byRange.computeIfAbsent(map.lookup(hash), p -> new ArrayList<>()).add(i);
      if (recorder != null) {
        recorder.record(op.key(), hash, op.kind() == Operation.Kind.GET ? AccessKind.READ : AccessKind.WRITE,
            op.value() == null ? 0 : op.value().length, batchClient, sampled);
      }
    }
    KvReply[] results = new KvReply[operations.size()];
    CompletableFuture<?>[] parts = new CompletableFuture<?>[byRange.size()];
    int part = 0;
    for (Map.Entry<RangePlacement, List<Integer>> group : byRange.entrySet()) {
      List<Integer> positions = group.getValue();
      List<Operation> ops = positions.stream().map(operations::get).toList();
      parts[part++] = Stages.adopt(entityRef(group.getKey())
              .<KvReply>ask(replyTo -> new RangeShardCommand.ApplyBatch(ops, replyTo), askTimeout))
          .thenAccept(reply -> {
            for (int j = 0; j < positions.size(); j++) {
              results[positions.get(j)] = reply instanceof KvReply.Batch batch ? batch.results().get(j) : reply;
            }
          });
    }
    return CompletableFuture.allOf(parts).thenApply(done -> Arrays.asList(results));
  }

  private CompletionStage<KvReply> ask(
      String key, AccessKind kind, int bytes, int clientId, Function<ActorRef<KvReply>, RangeShardCommand> command) {
    long hash = KeyHash.of(key);
    RangePlacement placement = shardMap.get().lookup(hash);
    CompletableFuture<KvReply> reply = Stages.adopt(entityRef(placement).ask(command::apply, askTimeout));
    if (recorder != null) {
      recorder.record(key, hash, kind, bytes, clientId);
      long start = System.nanoTime();
      reply.whenComplete((r, failure) -> recorder.recordLatency(hash, (System.nanoTime() - start) / 1_000));
    }
    return reply;
  }

  private EntityRef<RangeShardCommand> entityRef(RangePlacement placement) {
    return entityRefs.computeIfAbsent(
        placement.entityId(), id -> sharding.entityRefFor(RangeShard.ENTITY_KEY, id));
  }
}
