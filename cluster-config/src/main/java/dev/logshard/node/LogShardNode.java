package dev.logshard.node;

import com.typesafe.config.Config;
import dev.logshard.actors.coordinator.Coordinator;
import dev.logshard.actors.rangeshard.LogShardSettings;
import dev.logshard.actors.routing.KeyValueStore;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.AccessRecorder;
import dev.logshard.http.HttpSettings;
import dev.logshard.persistence.CassandraCommitLog;
import dev.logshard.persistence.DataDirectoryLock;
import dev.logshard.persistence.LogInstances;
import dev.logshard.persistence.ShardMapFile;
import dev.logshard.persistence.lease.CassandraLease;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A running LogShard node: actor system, sharded RangeShards, router and HTTP API on durable
 * embedded storage. Started by {@code logshard start}, or by a service that embeds LogShard.
 * {@link #close()} runs Pekko's coordinated shutdown (unbind, hand off, leave, terminate).
 */
public final class LogShardNode implements AutoCloseable {

  private final ActorSystem<Void> system;
  private final Guardian.Started started;
  private final Path dataDir;
  private final DataDirectoryLock lock;

  private LogShardNode(ActorSystem<Void> system, Guardian.Started started, Path dataDir, DataDirectoryLock lock) {
    this.system = system;
    this.started = started;
    this.dataDir = dataDir;
    this.lock = lock;
  }

  /** Starts a node and waits until its HTTP API is bound; {@code overrides} win over all config. */
  public static LogShardNode start(Config overrides) {
    Config base = NodeConfig.base(overrides);
    DataDirectoryLock lock = DataDirectoryLock.acquire(NodeConfig.dataDir(base));
    try {
      return start(NodeConfig.load(base), lock);
    } catch (RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  private static LogShardNode start(Config config, DataDirectoryLock lock) {
    LogShardSettings settings = LogShardSettings.create(config);
    LogInstances logInstances = LogInstances.fromConfig(config).withRuntimeStorage(NodeConfig.runtimeStorage(config))
        .withStorageStats(NodeConfig.storageStats(config));
    Path dataDir = Path.of(config.getString("logshard.data-dir"));
    // Only the seed: the Coordinator's journal holds the map once it exists. A data directory of an
    // earlier version keeps its stored map.
    // (Embedded mode only: a cluster's nodes share the map through the Coordinator's keyspace.)
    ShardMapFile stored = new ShardMapFile(dataDir);
    boolean storedMap = !NodeConfig.cluster(config) && stored.exists();
    ShardMap shardMap = storedMap
        ? stored.load()
        : ShardMap.initial(settings.rangeCount(), logInstances.initial().name());
    for (var placement : shardMap.placements()) {
      logInstances.get(placement.logInstance()); // fail fast on a map naming an unknown instance
    }
    Duration startTimeout = config.getDuration("logshard.start-timeout");
    CompletableFuture<Guardian.Started> started = new CompletableFuture<>();
    ActorSystem<Void> system = ActorSystem.create(
        Guardian.create(new Coordinator.Seed(shardMap, !storedMap), logInstances, settings, HttpSettings.create(config), started),
        "logshard",
        config);
    // The directory stays ours until the node has stopped, however it stops.
    system.getWhenTerminated().whenComplete((done, failure) -> lock.close());
    try {
      LogShardNode node = new LogShardNode(system, started.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS), dataDir, lock);
      if (NodeConfig.cluster(config)) {
        CassandraCommitLog.check(system.classicSystem()); // logs whether Cassandra syncs before it acknowledges
      }
      return node;
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      Map<String, String> refused = CassandraLease.refusals(system.classicSystem());
      system.terminate();
      awaitTermination(system);
      if (e instanceof TimeoutException && !refused.isEmpty()) {
        throw new IllegalStateException("LogShard did not start within " + startTimeout.toSeconds() + " s: its leases "
            + refused + " (lease name = owner that holds it) are held by other nodes. Another LogShard cluster "
            + "runs on the same Cassandra keyspaces (start this node with --seed pointing at it), or a node of "
            + "this one stopped less than logshard.lease.heartbeat-timeout ago", e);
      }
      if (e instanceof TimeoutException) {
        throw new IllegalStateException("LogShard did not start within " + startTimeout.toSeconds()
            + " s: it has not joined a cluster (are the seed nodes up?) or its coordinator's storage does not answer", e);
      }
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("LogShard did not start: " + cause.getMessage(), cause);
    }
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public KeyValueStore store() {
    return started.router();
  }

  /** The request path's access recorder, when the profiler is on. */
  public Optional<AccessRecorder> accessRecorder() {
    return started.recorder();
  }

  public InetSocketAddress httpAddress() {
    return started.binding().localAddress();
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Where the log instances live, for humans: the data directory, or the Cassandra contact points. */
  public String describeStorage() {
    Config config = system.settings().config();
    return NodeConfig.cluster(config)
        ? "cluster mode, Cassandra " + String.join(",", config.getStringList("logshard.cassandra.contact-points"))
        : "data: " + dataDir;
  }

  /** The port other nodes reach this one on (Pekko remoting). */
  public int clusterPort() {
    return Cluster.get(system).selfMember().address().getPort().orElse(0);
  }

  /** Completes when the node has stopped, whoever stopped it. */
  public CompletableFuture<Void> whenTerminated() {
    return system.getWhenTerminated().thenApply(done -> (Void) null).toCompletableFuture();
  }

  @Override
  public void close() {
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    awaitTermination(system);
    lock.close(); // also released on termination, but asynchronously: a restart may follow at once
  }

  private static void awaitTermination(ActorSystem<?> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("LogShard did not stop in time", e);
    }
  }
}
