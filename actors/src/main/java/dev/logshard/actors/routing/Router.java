package dev.logshard.actors.routing;

import dev.logshard.actors.rangeshard.LogShardSettings;
import dev.logshard.actors.rangeshard.RangeShardCommand;
import dev.logshard.actors.rangeshard.RangeShardEntity;
import dev.logshard.actors.support.Stages;
import dev.logshard.core.Expectation;
import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.AccessKind;
import dev.logshard.core.profile.AccessRecorder;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import dev.logshard.core.shard.WrongRangeRetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
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
 *
 * <p>The cached map follows the Coordinator: it is updated when the Coordinator publishes a new
 * epoch ({@link #update}), and when a RangeShard answers {@link KvReply.WrongRange} (its range
 * moved, split or merged) the router fetches the current map and sends the command again while
 * its budget (the ask timeout) lasts ({@link WrongRangeRetry}): clients see latency, not an error.
 */
public final class Router implements KeyValueStore {

  /** Where the router gets the current map from (the Coordinator). */
  @FunctionalInterface
  public interface ShardMapSource {
    CompletionStage<ShardMap> current();
  }

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final AtomicReference<ShardMap> shardMap;
  private final ShardMapSource source;
  private final AtomicReference<CompletableFuture<ShardMap>> refreshing = new AtomicReference<>();
  private final Map<String, EntityRef<RangeShardCommand>> entityRefs = new ConcurrentHashMap<>();
  /** Null when the profiler is off: the request path then pays one null check. */
  private final AccessRecorder recorder;
  private final AtomicInteger batchIds = new AtomicInteger();
  private final RangeHosts hosts;

  /** {@code hosts}: where ranges run and which nodes are unreachable (requests for those are held). */
  public Router(ActorSystem<?> system, ShardMap initial, ShardMapSource source, LogShardSettings settings,
      Optional<AccessRecorder> recorder, RangeHosts hosts) {
    this.system = system;
    this.hosts = hosts;
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = settings.askTimeout();
    this.shardMap = new AtomicReference<>(initial);
    this.source = source;
    this.recorder = recorder.orElse(null);
  }

  @Override
  public ShardMap shardMap() {
    return shardMap.get();
  }

  /** Routes by {@code map} from now on, if it is newer than the cached one. */
  public void update(ShardMap map) {
    ShardMap previous = shardMap.getAndAccumulate(map, (current, next) -> next.epoch() > current.epoch() ? next : current);
    if (map.epoch() > previous.epoch() && recorder != null) {
      recorder.switchTo(map);
    }
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
    // A batch is sampled as a whole, under one id, so the profiler sees its ranges co-accessed.
    boolean recording = recorder != null && recorder.recording();
    boolean sampled = recording && recorder.sampleNext();
    int batchClient = clientId != ANONYMOUS ? clientId : -1 - (batchIds.getAndIncrement() & Integer.MAX_VALUE);
    long[] hashes = new long[operations.size()];
    for (int i = 0; i < operations.size(); i++) {
      Operation op = operations.get(i);
      hashes[i] = KeyHash.of(op.key());
      if (recording) {
        recorder.record(op.key(), hashes[i], op.kind() == Operation.Kind.GET ? AccessKind.READ : AccessKind.WRITE,
            op.value() == null ? 0 : op.value().length, batchClient, sampled);
      }
    }
    KvReply[] results = new KvReply[operations.size()];
    List<Integer> all = new ArrayList<>(operations.size());
    for (int i = 0; i < operations.size(); i++) {
      all.add(i);
    }
    return sendBatch(operations, hashes, all, results, System.nanoTime()).thenApply(done -> Arrays.asList(results));
  }

  /** Sends the operations at {@code positions}, grouped by range; groups answered WrongRange go again. */
  private CompletableFuture<Void> sendBatch(
      List<Operation> operations, long[] hashes, List<Integer> positions, KvReply[] results, long firstSentNanos) {
    ShardMap map = shardMap.get();
    // Group by range, keeping each operation's position so results come back in request order.
    Map<RangePlacement, List<Integer>> byRange = new LinkedHashMap<>();
    for (int i : positions) {
      byRange.computeIfAbsent(map.lookup(hashes[i]), p -> new ArrayList<>()).add(i);
    }
    CompletableFuture<?>[] parts = new CompletableFuture<?>[byRange.size()];
    int part = 0;
    for (Map.Entry<RangePlacement, List<Integer>> group : byRange.entrySet()) {
      List<Integer> mine = group.getValue();
      CompletableFuture<Boolean> held = hosts.hold(group.getKey().entityId());
      if (held != null) { // its node is unreachable: sent once it is back or gone, else not applied
        parts[part++] = held.thenCompose(go -> {
          if (go) {
            return sendBatch(operations, hashes, mine, results, System.nanoTime());
          }
          mine.forEach(j -> results[j] = new KvReply.Unreachable());
          return CompletableFuture.completedFuture(null);
        });
        continue;
      }
      List<Operation> ops = mine.stream().map(operations::get).toList();
      parts[part++] = Stages.adopt(entityRef(group.getKey())
              .<KvReply>ask(replyTo -> new RangeShardCommand.ApplyBatch(ops, replyTo), askTimeout))
          .handle(Router::noReplyOnTimeout) // one range's timeout leaves the others' results
          .thenCompose(reply -> {
            if (sendAgain(reply, firstSentNanos)) {
              return refreshed(map, reply, firstSentNanos).thenCompose(m -> sendBatch(operations, hashes, mine, results, firstSentNanos));
            }
            for (int j = 0; j < mine.size(); j++) {
              results[mine.get(j)] = reply instanceof KvReply.Batch batch ? batch.results().get(j) : reply;
            }
            return CompletableFuture.completedFuture(null);
          });
    }
    return CompletableFuture.allOf(parts);
  }

  private CompletionStage<KvReply> ask(
      String key, AccessKind kind, int bytes, int clientId, Function<ActorRef<KvReply>, RangeShardCommand> command) {
    long hash = KeyHash.of(key);
    CompletableFuture<KvReply> reply = send(hash, command, System.nanoTime());
    if (recorder != null && recorder.recording()) {
      recorder.record(key, hash, kind, bytes, clientId);
      long start = System.nanoTime();
      reply.whenComplete((r, failure) -> recorder.recordLatency(hash, (System.nanoTime() - start) / 1_000));
    }
    return reply;
  }

  private CompletableFuture<KvReply> send(
      long hash, Function<ActorRef<KvReply>, RangeShardCommand> command, long firstSentNanos) {
    ShardMap map = shardMap.get();
    RangePlacement placement = map.lookup(hash);
    CompletableFuture<Boolean> held = hosts.hold(placement.entityId());
    if (held != null) { // its node is unreachable: sent once it is back or gone, else not applied
      return held.thenCompose(go -> go ? send(hash, command, System.nanoTime())
          : CompletableFuture.completedFuture(new KvReply.Unreachable()));
    }
    return Stages.adopt(entityRef(placement).ask(command::apply, askTimeout))
        .thenCompose(reply -> sendAgain(reply, firstSentNanos)
            ? refreshed(map, reply, firstSentNanos).thenCompose(m -> send(hash, command, firstSentNanos))
            : CompletableFuture.completedFuture(reply));
  }

  /** The reply, or {@link KvReply.NoReply} if the ask timed out; any other failure stays one. */
  private static KvReply noReplyOnTimeout(KvReply reply, Throwable failure) {
    if (failure == null) {
      return reply;
    }
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof TimeoutException) {
      return new KvReply.NoReply();
    }
    throw failure instanceof CompletionException completion ? completion : new CompletionException(failure);
  }

  private boolean sendAgain(KvReply reply, long firstSentNanos) {
    return WrongRangeRetry.sendAgain(reply, Duration.ofNanos(System.nanoTime() - firstSentNanos), askTimeout);
  }

  /**
   * The map to send again with after {@code reply}. For {@link KvReply.HandedOff} the map was right
   * (the generation moves to another node): the same one after a pause that grows with the time
   * the command has waited ({@link WrongRangeRetry#handedOffPause}). For WrongRange, a map
   * newer than {@code stale}: the cached one if someone refreshed meanwhile, else the Coordinator's
   * (one fetch at a time, shared by every waiting request). If even that is not newer, the commit
   * that retired the range is on its way: pause briefly, so the next send is not wasted.
   */
  private CompletableFuture<ShardMap> refreshed(ShardMap stale, KvReply reply, long firstSentNanos) {
    if (reply instanceof KvReply.HandedOff) {
      return paused(WrongRangeRetry.handedOffPause(Duration.ofNanos(System.nanoTime() - firstSentNanos)));
    }
    ShardMap cached = shardMap.get();
    if (cached.epoch() > stale.epoch()) {
      return CompletableFuture.completedFuture(cached);
    }
    CompletableFuture<ShardMap> mine = new CompletableFuture<>();
    CompletableFuture<ShardMap> fetch = refreshing.compareAndExchange(null, mine);
    if (fetch == null) {
      fetch = mine;
      Stages.adopt(source.current()).whenComplete((map, failure) -> {
        refreshing.set(null);
        if (map != null) {
          update(map);
        }
        mine.complete(shardMap.get());
      });
    }
    return fetch.thenCompose(map -> {
      if (map.epoch() > stale.epoch()) {
        return CompletableFuture.completedFuture(map);
      }
      return paused(WrongRangeRetry.PAUSE);
    });
  }

  private CompletableFuture<ShardMap> paused(Duration pause) {
    CompletableFuture<ShardMap> later = new CompletableFuture<>();
    system.scheduler().scheduleOnce(pause, () -> later.complete(shardMap.get()), system.executionContext());
    return later;
  }

  private EntityRef<RangeShardCommand> entityRef(RangePlacement placement) {
    return entityRefs.computeIfAbsent(
        placement.entityId(), id -> sharding.entityRefFor(RangeShardEntity.ENTITY_KEY, id));
  }
}
