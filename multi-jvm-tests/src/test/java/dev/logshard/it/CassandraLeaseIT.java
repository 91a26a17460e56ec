package dev.logshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.logshard.cassandra.CassandraServer;
import dev.logshard.persistence.CassandraStorage;
import dev.logshard.persistence.lease.CassandraLease;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lease of cluster mode ({@link CassandraLease}) against a real Cassandra from LogShard's own
 * launcher: one owner at a time, released to the next, lost at once when another owner took the
 * row, kept by the same owner across a restart, and given up before its TTL runs out when Cassandra
 * is gone (the last test: it stops Cassandra).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CassandraLeaseIT {

  private static final Duration TTL = Duration.ofSeconds(6);
  private static final Duration INTERVAL = Duration.ofSeconds(1);

  @TempDir
  static Path work;

  private static CassandraServer cassandra;
  private static ActorSystem system;
  private static Config leaseConfig;

  @BeforeAll
  static void start() throws IOException {
    cassandra = CassandraServer.start(new CassandraServer.Settings(
        work.resolve("cassandra"), freePort(), freePort(), "512m", Duration.ofMinutes(3)));
    Config base = ConfigFactory.parseString("""
            logshard.mode = cluster
            logshard.cassandra.contact-points = ["%s"]
            logshard.lease.heartbeat-timeout = %d s
            logshard.lease.heartbeat-interval = %d s
            logshard.lease.lease-operation-timeout = 3 s
            pekko.actor.provider = local
            """.formatted(cassandra.contactPoint(), TTL.toSeconds(), INTERVAL.toSeconds()))
        .withFallback(ConfigFactory.load()).resolve();
    Config config = CassandraStorage.pluginConfig(base).withFallback(base);
    system = ActorSystem.create("lease-test", config);
    leaseConfig = config.getConfig("logshard.lease").withFallback(config.getConfig("pekko.coordination.lease"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (cassandra != null) {
      cassandra.close();
    }
  }

  private static int freePort() throws IOException {
    return Ports.free();
  }

  private static CassandraLease lease(String name, String owner) {
    return new CassandraLease(LeaseSettings.apply(leaseConfig, name, owner), (ExtendedActorSystem) system);
  }

  private static boolean get(java.util.concurrent.CompletionStage<Boolean> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  @Order(1)
  void oneOwnerAtATimeAndTheNextOnceReleased() throws Exception {
    CassandraLease a = lease("range-1", "node-a");
    CassandraLease b = lease("range-1", "node-b");
    assertTrue(get(a.acquire()));
    assertTrue(a.checkLease());
    assertFalse(get(b.acquire()), "held by node-a");
    assertFalse(b.checkLease());
    assertEquals("node-a", CassandraLease.refusals(system).get("range-1"));
    // Still held after more than a TTL: the heartbeats renew it.
    Thread.sleep(TTL.plusSeconds(1).toMillis()); // the time a lease must outlive, not a wait for a condition
    assertTrue(a.checkLease());
    assertFalse(get(b.acquire()), "renewed by node-a's heartbeats");

    assertTrue(get(a.release()));
    assertFalse(a.checkLease());
    assertTrue(get(b.acquire()));
    assertTrue(b.checkLease());
    assertTrue(get(b.release()));
  }

  @Test
  @Order(2)
  void theSameOwnerRestartedKeepsItsLease() throws Exception {
    CassandraLease before = lease("range-2", "node-a");
    assertTrue(get(before.acquire()));
    CassandraLease afterRestart = lease("range-2", "node-a"); // a new process at the same address
    assertTrue(get(afterRestart.acquire()));
    assertFalse(get(lease("range-2", "node-b").acquire()));
    assertTrue(get(afterRestart.release()));
    get(before.release());
  }

  @Test
  @Order(3)
  void anotherOwnerInTheRowLosesTheLeaseAtTheNextHeartbeat() throws Exception {
    CompletableFuture<Optional<Throwable>> lost = new CompletableFuture<>();
    CassandraLease a = lease("range-3", "node-a");
    assertTrue(get(a.acquire(lost::complete)));
    CassandraSessionRegistry.get(system).sessionFor(leaseConfig.getString("session-config-path")).executeWrite(
        "UPDATE " + leaseConfig.getString("keyspace") + ".leases SET owner = 'intruder' WHERE name = 'range-3'")
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    Optional<Throwable> reason = lost.get(INTERVAL.multipliedBy(5).toMillis(), TimeUnit.MILLISECONDS);
    assertTrue(reason.isPresent() && reason.get().getMessage().contains("intruder"), String.valueOf(reason));
    assertFalse(a.checkLease());
  }

  @Test
  @Order(4)
  void aNodeThatStopsCleanlyLeavesItsLeasesFreeAtOnce() throws Exception {
    ActorSystem node = ActorSystem.create("lease-node", system.settings().config());
    CassandraLease held = new CassandraLease(LeaseSettings.apply(leaseConfig, "range-5", "node-c"), (ExtendedActorSystem) node);
    assertTrue(get(held.acquire()));
    // Coordinated shutdown, as SIGTERM runs it: the lease the node still holds is released before it ends.
    org.apache.pekko.actor.CoordinatedShutdown.get(node).runAll(org.apache.pekko.actor.CoordinatedShutdown.unknownReason())
        .toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertTrue(get(lease("range-5", "node-d").acquire()), "free without waiting out the TTL");
  }

  @Test
  @Order(5)
  void cutOffFromCassandraItGivesTheLeaseUpBeforeItsTtlRunsOut() throws Exception {
    CompletableFuture<Optional<Throwable>> lost = new CompletableFuture<>();
    CassandraLease a = lease("range-4", "node-a");
    assertTrue(get(a.acquire(lost::complete)));
    cassandra.close(); // no renewal can succeed from here on
    long stopped = System.nanoTime();
    Optional<Throwable> reason = lost.get(TTL.multipliedBy(3).toMillis(), TimeUnit.MILLISECONDS);
    long lostAfter = System.nanoTime();
    assertTrue(reason.isPresent());
    assertFalse(a.checkLease());
    // The row lives until the TTL after the last renewal that reached Cassandra, which started
    // before Cassandra stopped; the holder gives up one heartbeat interval before that.
    assertTrue(lostAfter - stopped < TTL.toNanos(), "lost " + (lostAfter - stopped) / 1_000_000
        + " ms after Cassandra stopped, the TTL is " + TTL.toMillis() + " ms");
  }
}
