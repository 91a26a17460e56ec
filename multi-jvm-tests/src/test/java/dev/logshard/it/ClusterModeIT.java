package dev.logshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logshard.cassandra.CassandraServer;
import dev.logshard.core.KeyHash;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cluster mode for real: a Cassandra process started by LogShard's own launcher, two node JVMs in
 * one Pekko cluster journaling to it, and a range moved from one node to the other, onto a log
 * instance added while the cluster runs, while clients on both nodes do compare-and-set increments
 * on its keys; and the planner
 * spreading ranges over the nodes by load by itself.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the Cassandra restart goes last
class ClusterModeIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CLIENTS = 8;
  private static final int KEYS = 4;

  @TempDir
  static Path work;

  private static CassandraServer cassandra;

  @BeforeAll
  static void startCassandra() throws IOException {
    cassandra = CassandraServer.start(new CassandraServer.Settings(
        work.resolve("cassandra"), freePort(), freePort(), "512m", Duration.ofMinutes(3)));
  }

  @AfterAll
  static void stopCassandra() {
    if (cassandra != null) {
      cassandra.close();
    }
  }

  /** The leases the range generations' shards hold now, by entity id: their owners. */
  private static Map<String, String> shardLeases() {
    return cql(session -> {
      Map<String, String> owners = new HashMap<>();
      for (Row row : session.execute("SELECT name, owner FROM logshard_standard.leases")) {
        String name = row.getString("name");
        int shard = name.indexOf("-shard-RangeShard-");
        if (shard >= 0) {
          owners.put(name.substring(shard + "-shard-RangeShard-".length()), row.getString("owner"));
        }
      }
      return owners;
    });
  }

  private static List<String> keyspaces() {
    return cql(session -> session.execute("SELECT keyspace_name FROM system_schema.keyspaces").all().stream()
        .map(row -> row.getString("keyspace_name")).toList());
  }

  private static <T> T cql(java.util.function.Function<CqlSession, T> query) {
    String[] hostPort = cassandra.contactPoint().split(":");
    try (CqlSession session = CqlSession.builder()
        .addContactPoint(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])))
        .withLocalDatacenter("datacenter1").build()) {
      return query.apply(session);
    }
  }

  private static int freePort() throws IOException {
    return Ports.free();
  }

  private static List<String> clusterOptions(int clusterPort, Integer seedPort) {
    List<String> options = new ArrayList<>(List.of("--mode", "cluster", "--cassandra", cassandra.contactPoint(),
        "--cluster-port", String.valueOf(clusterPort)));
    if (seedPort != null) {
      options.addAll(List.of("--seed", "127.0.0.1:" + seedPort));
    }
    return options;
  }

  private static NodeProcess node(String name, int clusterPort, Integer seedPort) throws IOException {
    List<String> options = clusterOptions(clusterPort, seedPort);
    return NodeProcess.start(work.resolve(name), List.of(
        "-Dlogshard.planner.mode=off", // the moves here are started by hand
        "-Dlogshard.transfer.redirect.step=0.25", "-Dlogshard.transfer.redirect.interval=50ms",
        "-Dlogshard.transfer.cleanup-after=0s",
        // Cassandra on this 2-core box may still be creating the first node's keyspaces when the move starts.
        "-Dlogshard.transfer.step-timeout=30s"), options);
  }

  @Test
  void aRangeMovesToAnotherNodeWhileClientsOnBothNodesIncrementItsKeys() throws Exception {
    int portA = freePort();
    int portB = freePort();
    List<String> keys = new ArrayList<>();
    AtomicLongArray acknowledged;
    String destination;
    try (NodeProcess a = node("a", portA, null); HttpKv kvA = new HttpKv(a.url());
        NodeProcess b = node("b", portB, portA); HttpKv kvB = new HttpKv(b.url())) {
      kvA.awaitReady(Duration.ofSeconds(60));
      kvB.awaitReady(Duration.ofSeconds(60));
      awaitMembers(kvA, 2);
      JsonNode r3 = rangeOf(kvA, "r3");
      long start = Long.parseUnsignedLong(r3.get("start").asText());
      long last = new BigInteger(r3.get("end").asText()).subtract(BigInteger.ONE).longValue();
      for (int i = 0; keys.size() < KEYS; i++) {
        long hash = KeyHash.of("counter:" + i);
        if (Long.compareUnsigned(hash, start) >= 0 && Long.compareUnsigned(hash, last) <= 0) {
          keys.add("counter:" + i);
        }
      }
      for (String key : keys) {
        assertEquals(201, kvA.put(key, bytes("0")).get(30, TimeUnit.SECONDS).statusCode());
      }
      // More than one remote frame's worth (256 KiB by default) in the range: the snapshot's chunks
      // and catch-up batches cross between the nodes.
      byte[] filler = new byte[4096];
      int fillers = 0;
      for (int i = 0; fillers < 150; i++) {
        long hash = KeyHash.of("filler:" + i);
        if (Long.compareUnsigned(hash, start) >= 0 && Long.compareUnsigned(hash, last) <= 0) {
          assertEquals(201, kvA.put("filler:" + i, filler).get(30, TimeUnit.SECONDS).statusCode());
          fillers++;
        }
      }
      // A value as large as values may be (1 MiB), sent on from the other node.
      String big = null;
      for (int i = 0; big == null; i++) {
        long hash = KeyHash.of("big:" + i);
        if (Long.compareUnsigned(hash, start) >= 0 && Long.compareUnsigned(hash, last) <= 0) {
          big = "big:" + i;
        }
      }
      byte[] mib = new byte[1024 * 1024];
      new java.util.Random(3).nextBytes(mib);
      HttpResponse<byte[]> bigPut = kvB.put(big, mib).get(30, TimeUnit.SECONDS);
      assertEquals(201, bigPut.statusCode(), new String(bigPut.body(), StandardCharsets.UTF_8));
      String sourceNode = hostOf(kvA, r3.get("entityId").asText());
      assertEquals("127.0.0.1:" + portA, sourceNode, "the range starts on the node that first used it");

      // Clients on both nodes: read, then write value+1 only if the key is still at that version.
      Incrementers clients = new Incrementers(keys, kvA, kvB, CLIENTS);
      acknowledged = clients.acknowledged;
      awaitIncrements(acknowledged, 50);

      // The destination is a log instance added while the cluster runs: a keyspace of its own,
      // prepared on node b when the range's new generation starts there.
      var added = kvA.send("POST", "/v1/admin/log-instances", "{\"name\":\"fast-2\",\"tier\":\"fast\"}")
          .get(30, TimeUnit.SECONDS);
      assertEquals(201, added.statusCode(), new String(added.body(), StandardCharsets.UTF_8));
      String target = "127.0.0.1:" + portB;
      var started = kvB.send("POST", "/v1/admin/transfers",
          "{\"kind\":\"move\",\"range\":\"r3\",\"toInstance\":\"fast-2\",\"toNode\":\"" + target + "\"}").get(30, TimeUnit.SECONDS);
      assertEquals(202, started.statusCode(), new String(started.body(), StandardCharsets.UTF_8));
      String id = JSON.readTree(started.body()).get("id").asText();
      Instant deadline = Instant.now().plusSeconds(90);
      String phase;
      while (!(phase = transfer(kvA, id).get("phase").asText()).equals("DONE")) {
        assertTrue(!phase.equals("ROLLED_BACK") && Instant.now().isBefore(deadline),
            "the move did not finish: " + transfer(kvA, id));
        Thread.sleep(50);
      }
      System.out.println("ClusterModeIT: " + transfer(kvA, id) + ", " + total(acknowledged) + " increments so far");
      // The clients go on against the range's new home for a while.
      long atCommit = total(acknowledged);
      awaitIncrements(acknowledged, atCommit + 50);
      clients.stop();
      assertEquals(0, clients.failures(), "requests that failed (not a version conflict) during the move: " + FAILED);

      destination = rangeOf(kvB, "r3").get("entityId").asText();
      // The source generation is retired: its shard stops and releases its lease; the destination holds one.
      String retired = r3.get("entityId").asText();
      Map<String, String> leases = Map.of();
      for (Instant until = Instant.now().plusSeconds(60); Instant.now().isBefore(until); Thread.sleep(500)) {
        leases = shardLeases();
        if (!leases.containsKey(retired) && leases.containsKey(destination)) {
          break;
        }
      }
      assertFalse(leases.containsKey(retired), "the retired generation's lease is released: " + leases);
      assertTrue(leases.containsKey(destination), "the destination holds a lease: " + leases);
      assertEquals("fast-2", rangeOf(kvB, "r3").get("logInstance").asText());
      assertTrue(keyspaces().contains("logshard_fast_2"), "the added instance's keyspace: " + keyspaces());
      assertEquals(target, hostOf(kvA, destination), "the moved range runs on the node the transfer named");
      // GET /v1/admin/nodes shows each node's leases, as the lease table has them.
      boolean shown = false;
      for (JsonNode lease : nodeView(kvA, target).path("leases")) {
        shown |= lease.asText().endsWith("-shard-RangeShard-" + destination);
      }
      assertTrue(shown, "b's leases in GET /v1/admin/nodes: " + nodeView(kvA, target));
      for (JsonNode lease : nodeView(kvA, sourceNode).path("leases")) {
        assertFalse(lease.asText().endsWith("-shard-RangeShard-" + destination), "a does not hold b's lease: " + lease);
      }
      org.junit.jupiter.api.Assertions.assertArrayEquals(mib, kvA.get(big).get(30, TimeUnit.SECONDS).body(),
          "the 1 MiB value, moved to node b and read through node a");
      for (int k = 0; k < KEYS; k++) {
        assertEquals(acknowledged.get(k), value(kvA, keys.get(k)), keys.get(k) + " on node a");
        assertEquals(acknowledged.get(k), value(kvB, keys.get(k)), keys.get(k) + " on node b");
      }
      assertTrue(a.stop(Duration.ofSeconds(60)) && b.stop(Duration.ofSeconds(60)), "the nodes stopped");
    }

    // The whole cluster restarts: the map and every value come back from Cassandra, and the moved
    // range goes back to the node its transfer named (journaled by the Coordinator, not only in
    // Distributed Data, which the restart empties).
    try (NodeProcess a = node("a", portA, null); HttpKv kvA = new HttpKv(a.url());
        NodeProcess b = node("b", portB, portA); HttpKv kvB = new HttpKv(b.url())) {
      kvA.awaitReady(Duration.ofSeconds(60));
      kvB.awaitReady(Duration.ofSeconds(60));
      assertEquals(destination, rangeOf(kvA, "r3").get("entityId").asText());
      assertEquals("fast-2", rangeOf(kvA, "r3").get("logInstance").asText(), "the added instance is journaled");
      for (int k = 0; k < KEYS; k++) {
        assertEquals(acknowledged.get(k), value(kvA, keys.get(k)), keys.get(k) + " after the restart");
      }
      String nodeB = "127.0.0.1:" + portB;
      Instant deadline = Instant.now().plusSeconds(90);
      while (!hosted(kvA).getOrDefault(nodeB, List.of()).contains(destination)) {
        assertTrue(Instant.now().isBefore(deadline), destination + " is not back on b: " + hosted(kvA));
        Thread.sleep(500);
      }
      for (int k = 0; k < KEYS; k++) {
        assertEquals(acknowledged.get(k), value(kvB, keys.get(k)), keys.get(k) + " on b after the restart");
      }
    }
  }

  /**
   * A node started without {@code --seed} on the same Cassandra forms a cluster of its own (measured
   * before the leases: it answered 200 to a PUT of an existing key). Now its Coordinator cannot take
   * the lease the running cluster's holds: it gives up starting, naming the lease and its holder,
   * having written nothing; the running cluster keeps its data and its map and takes writes.
   */
  @Test
  void aSecondClusterOnTheSameKeyspacesCannotWriteNorANodeWithTheMapMovedByConfiguration() throws Exception {
    int portA = freePort();
    List<String> own = List.of("-Dlogshard.cassandra.keyspace-prefix=lease_", "-Dlogshard.planner.mode=off");
    try (NodeProcess a = NodeProcess.start(work.resolve("la"), own, clusterOptions(portA, null));
        HttpKv kvA = new HttpKv(a.url())) {
      kvA.awaitReady(Duration.ofSeconds(60));
      assertEquals(201, kvA.put("fenced:1", bytes("first")).get(30, TimeUnit.SECONDS).statusCode());
      // At start the node read the commit-log setting of the Cassandra it writes to (the bundled one: batch).
      Instant checked = Instant.now().plusSeconds(30);
      while (!Files.readString(a.log()).contains("Cassandra syncs its commit log before it acknowledges a write")) {
        assertTrue(Instant.now().isBefore(checked), "no commit-log check in " + a.log());
        Thread.sleep(100);
      }
      String ranges = new String(kvA.send("GET", "/v1/ranges", null).get(30, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8);

      List<String> second = new ArrayList<>(own);
      second.add("-Dlogshard.start-timeout=20s");
      String log = refusedStart(work.resolve("lb"), second);
      assertTrue(log.contains("held by other nodes") && log.contains("127.0.0.1:" + portA),
          "it says which lease is held, and by whom: " + log);

      assertEquals("first", new String(kvA.get("fenced:1").get(30, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8));
      assertEquals(ranges, new String(kvA.send("GET", "/v1/ranges", null).get(30, TimeUnit.SECONDS).body(),
          StandardCharsets.UTF_8), "the map is as it was");
      assertEquals(200, kvA.put("fenced:1", bytes("second")).get(30, TimeUnit.SECONDS).statusCode());
      assertTrue(a.stop(Duration.ofSeconds(60)), "the node stopped");
    }

    // Started again with its configuration now putting the Coordinator's journal on another keyspace,
    // the node refuses (it would seed a new map at epoch 1), naming the one to set back.
    List<String> elsewhere = new ArrayList<>(own);
    elsewhere.add("-Dlogshard.coordinator-log-instance=fast");
    String log = refusedStart(work.resolve("la"), elsewhere);
    assertTrue(log.contains("is on log instance 'standard', but the configuration now puts it on 'fast'"), log);
  }

  /** Starts a node that must give up starting (exit > 0, never listening); its log. */
  private String refusedStart(Path dataDir, List<String> jvmOptions) throws Exception {
    try (NodeProcess node = NodeProcess.launch(dataDir, jvmOptions, clusterOptions(freePort(), null))) {
      int exit = node.awaitExit(Duration.ofSeconds(120));
      String log = Files.readString(node.log());
      assertTrue(exit > 0, "the node should give up starting (exit " + exit + "): " + log);
      assertFalse(log.contains("LogShard listening"), log);
      return log;
    }
  }

  /**
   * Cassandra crashes under a running node and comes back: while it is away, requests are answered
   * with an error, not left hanging; once it is back, the node serves again by itself (measured
   * before: the Coordinator's singleton, restarted on the same node after its lease was lost, was
   * never found again by Pekko's proxies — 504s for good), and nothing acknowledged before is lost.
   */
  @Test
  @Order(Integer.MAX_VALUE)
  void aNodeServesAgainOnceCassandraIsBackAfterACrash() throws Exception {
    List<String> own = List.of("-Dlogshard.cassandra.keyspace-prefix=restart_", "-Dlogshard.planner.mode=off");
    try (NodeProcess a = NodeProcess.start(work.resolve("ra"), own, clusterOptions(freePort(), null));
        HttpKv kv = new HttpKv(a.url())) {
      kv.awaitReady(Duration.ofSeconds(60));
      for (int i = 0; i < 20; i++) {
        assertEquals(201, kv.put("before:" + i, bytes("v" + i)).get(30, TimeUnit.SECONDS).statusCode());
      }
      CassandraServer.Settings settings = cassandra.settings();
      cassandra.kill();
      // Away: an error within the request timeout, not a hang (the first may still find the old session).
      HttpResponse<byte[]> away = kv.put("during", bytes("x")).get(30, TimeUnit.SECONDS);
      assertTrue(away.statusCode() == 503 || away.statusCode() == 504,
          away.statusCode() + " " + new String(away.body(), StandardCharsets.UTF_8));
      // Away longer than the leases are trusted: the Coordinator's is lost, the case that was never recovered.
      for (Instant until = Instant.now().plusSeconds(30); !Files.readString(a.log()).contains("The Coordinator lost its lease");
          Thread.sleep(100)) {
        assertTrue(Instant.now().isBefore(until), "the Coordinator's lease was not given up: " + a.log());
      }
      cassandra = CassandraServer.start(settings);
      Instant back = Instant.now();
      int status = 0;
      while (status / 100 != 2) {
        assertTrue(Instant.now().isBefore(back.plusSeconds(90)), "the node does not serve again: " + status);
        status = kv.put("after", bytes("a")).get(30, TimeUnit.SECONDS).statusCode();
        if (status / 100 != 2) {
          Thread.sleep(200);
        }
      }
      System.out.printf("ClusterModeIT: the node served a write again %.1f s after Cassandra was back%n",
          Duration.between(back, Instant.now()).toMillis() / 1000.0);
      for (int i = 0; i < 20; i++) {
        assertEquals("v" + i, new String(kv.get("before:" + i).get(30, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8));
      }
      assertEquals(200, kv.send("GET", "/v1/admin/transfers", null).get(30, TimeUnit.SECONDS).statusCode(),
          "the Coordinator answers again");
      assertTrue(a.stop(Duration.ofSeconds(60)), "the node stopped");
    }
  }

  /**
   * Failover: three nodes, every range on node a (the node that first used them), compare-and-set
   * increment clients on b and c over a key in every range; {@code kill -9} of a (which also ran
   * the Coordinator). The split-brain resolver downs a (lease-majority), the ranges start on b and c
   * once a's leases ran out, the Coordinator moves: every key takes increments again, none that was
   * acknowledged is lost and none is invented. Prints how long each key took no increment.
   */
  @Test
  void aNodeKilledItsRangesServeAgainOnTheOthersWithNothingAcknowledgedLost() throws Exception {
    int portA = freePort();
    int portB = freePort();
    int portC = freePort();
    List<String> own = List.of("-Dlogshard.cassandra.keyspace-prefix=failover_", "-Dlogshard.planner.mode=off");
    try (NodeProcess a = NodeProcess.start(work.resolve("fa"), own, clusterOptions(portA, null));
        HttpKv kvA = new HttpKv(a.url());
        NodeProcess b = NodeProcess.start(work.resolve("fb"), own, clusterOptions(portB, portA));
        HttpKv kvB = new HttpKv(b.url());
        NodeProcess c = NodeProcess.start(work.resolve("fc"), own, clusterOptions(portC, portA));
        HttpKv kvC = new HttpKv(c.url())) {
      kvA.awaitReady(Duration.ofSeconds(60));
      kvB.awaitReady(Duration.ofSeconds(60));
      kvC.awaitReady(Duration.ofSeconds(60));
      awaitMembers(kvA, 3);
      List<String> keys = zeroInEveryRange(kvA, portA, "failover:", 1);
      String nodeA = "127.0.0.1:" + portA;
      int n = keys.size();
      Incrementers clients = new Incrementers(keys, kvB, kvC, 8);
      awaitIncrements(clients.acknowledged, 4L * n);
      clients.awaitEveryKey();
      long killed = System.nanoTime(); // just before the signal: the window below can only be longer
      a.kill();
      clients.mark(); // after the node is gone: every increment from now on was served by the survivors
      long[] lastBefore = new long[n];
      for (int k = 0; k < n; k++) {
        lastBefore[k] = clients.lastSuccess.get(k);
      }
      clients.awaitEveryKeyAfterMark(Duration.ofSeconds(120));
      clients.stop();
      List<Long> sinceKill = new ArrayList<>();
      List<Long> sinceLast = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        sinceKill.add((clients.firstAfterMark.get(k) - killed) / 1_000_000);
        sinceLast.add((clients.firstAfterMark.get(k) - lastBefore[k]) / 1_000_000);
      }
      // A request that failed may still have been applied (its answer was lost): never more than those.
      clients.assertNothingLost(kvB);
      sinceKill.sort(null);
      sinceLast.sort(null);
      System.out.println("ClusterModeIT failover: after kill -9 of the node running all " + n + " ranges, each key's"
          + " first acknowledged increment came (ms after the kill, sorted) " + sinceKill + "; median "
          + sinceKill.get(n / 2) + ", max " + sinceKill.get(n - 1) + "; from its last increment before the kill "
          + sinceLast + ", median " + sinceLast.get(n / 2) + ", max " + sinceLast.get(n - 1) + "; failed requests "
          + clients.failures() + "; now " + hosted(kvB));
      assertEquals(List.of(), hosted(kvB).getOrDefault(nodeA, List.of()), "nothing runs on the dead node");
    }
  }

  /**
   * The node that runs the Coordinator (and the range being moved) halts (what {@code kill -9} does:
   * fault injection halts the JVM on entering the phase) in the middle of a move to another node,
   * while clients on the two other nodes increment the range's keys: the Coordinator starts on a
   * survivor, resumes the saga from its journaled phase, the transfer ends (committed or rolled back),
   * the range serves again, and nothing acknowledged is lost.
   */
  @ParameterizedTest
  @ValueSource(strings = {"FENCE"}) // the source holds writes; TransferCrashIT halts a single node in every phase
  void theCoordinatorsNodeKilledMidTransferTheSagaEndsOnASurvivor(String phase) throws Exception {
    int portA = freePort();
    int portB = freePort();
    int portC = freePort();
    List<String> own = List.of("-Dlogshard.cassandra.keyspace-prefix=saga_" + phase.toLowerCase() + "_",
        "-Dlogshard.planner.mode=off", "-Dlogshard.transfer.fault-injection=on", "-Dlogshard.transfer.step-timeout=30s",
        "-Dlogshard.transfer.redirect.step=0.25", "-Dlogshard.transfer.redirect.interval=50ms");
    try (NodeProcess a = NodeProcess.start(work.resolve("sa" + phase), own, clusterOptions(portA, null));
        HttpKv kvA = new HttpKv(a.url());
        NodeProcess b = NodeProcess.start(work.resolve("sb" + phase), own, clusterOptions(portB, portA));
        HttpKv kvB = new HttpKv(b.url());
        NodeProcess c = NodeProcess.start(work.resolve("sc" + phase), own, clusterOptions(portC, portA));
        HttpKv kvC = new HttpKv(c.url())) {
      kvA.awaitReady(Duration.ofSeconds(60));
      kvB.awaitReady(Duration.ofSeconds(60));
      kvC.awaitReady(Duration.ofSeconds(60));
      awaitMembers(kvA, 3);
      JsonNode r3 = rangeOf(kvA, "r3");
      List<String> keys = keysPerRange(JSON.createArrayNode().add(r3), "saga:", KEYS);
      for (String key : keys) {
        assertEquals(201, kvA.put(key, bytes("0")).get(30, TimeUnit.SECONDS).statusCode());
      }
      String nodeA = "127.0.0.1:" + portA;
      assertEquals(nodeA, hostOf(kvA, r3.get("entityId").asText()), "the range runs with the Coordinator, on a");
      Incrementers clients = new Incrementers(keys, kvB, kvC, 4);
      awaitIncrements(clients.acknowledged, 20);

      var started = kvB.send("POST", "/v1/admin/transfers", "{\"kind\":\"move\",\"range\":\"r3\",\"toInstance\":\"fast\","
          + "\"toNode\":\"127.0.0.1:" + portB + "\",\"fault\":\"crash:" + phase + "\"}").get(30, TimeUnit.SECONDS);
      assertEquals(202, started.statusCode(), new String(started.body(), StandardCharsets.UTF_8));
      String id = JSON.readTree(started.body()).get("id").asText();
      assertEquals(137, a.awaitExit(Duration.ofSeconds(90)), "node a halted on entering " + phase);
      clients.mark();

      Instant deadline = Instant.now().plusSeconds(120);
      String ended = null;
      while (ended == null) {
        HttpResponse<byte[]> t = kvB.send("GET", "/v1/admin/transfers/" + id, null).get(30, TimeUnit.SECONDS);
        String now = t.statusCode() == 200 ? JSON.readTree(t.body()).get("phase").asText() : "answer " + t.statusCode();
        if (now.equals("DONE") || now.equals("ROLLED_BACK")) {
          ended = now;
        } else {
          assertTrue(Instant.now().isBefore(deadline), "the transfer did not end on a survivor: " + now);
          Thread.sleep(100);
        }
      }
      clients.awaitEveryKeyAfterMark(Duration.ofSeconds(60));
      clients.stop();
      clients.assertNothingLost(kvC);
      System.out.println("ClusterModeIT: the Coordinator's node halted entering " + phase + "; the transfer ended "
          + ended + " on a survivor; " + clients.failures() + " requests failed; now " + hosted(kvB));
      JsonNode after = rangeOf(kvB, "r3");
      assertEquals(ended.equals("DONE") ? "fast" : "standard", after.get("logInstance").asText(), after.toString());
      assertFalse(hosted(kvB).containsKey(nodeA), "nothing runs on the dead node: " + hosted(kvB));
    }
  }

  /**
   * A rolling restart of all three nodes under load: each in turn is stopped (SIGTERM: it leaves the
   * cluster, handing its ranges and, for the oldest, the Coordinator over to the others) and started
   * again on its cluster port, while compare-and-set clients go through the nodes that are up. Nothing
   * acknowledged is lost; the requests that failed are counted.
   */
  @Test
  void aRollingRestartOfEveryNodeUnderLoadLosesNothingAcknowledged() throws Exception {
    int[] ports = {freePort(), freePort(), freePort()};
    List<String> own = List.of("-Dlogshard.cassandra.keyspace-prefix=rolling_", "-Dlogshard.planner.mode=off");
    NodeProcess[] nodes = new NodeProcess[3];
    AtomicReferenceArray<HttpKv> kvs = new AtomicReferenceArray<>(3);
    AtomicInteger restarting = new AtomicInteger(-1);
    try {
      for (int i = 0; i < 3; i++) {
        nodes[i] = NodeProcess.start(work.resolve("roll" + i), own, clusterOptions(ports[i], i == 0 ? null : ports[0]));
        kvs.set(i, new HttpKv(nodes[i].url()));
        kvs.get(i).awaitReady(Duration.ofSeconds(60));
      }
      awaitMembers(kvs.get(0), 3);
      List<String> keys = zeroInEveryRange(kvs.get(0), ports[0], "rolling:", 1);
      FAILED.clear();
      ANSWERED_FAILED.set(0);
      Incrementers clients = new Incrementers(keys, 6, t -> {
        int i = t % 3;
        return kvs.get(i == restarting.get() ? (i + 1) % 3 : i);
      });
      awaitIncrements(clients.acknowledged, 4L * keys.size());
      List<String> steps = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        long failedBefore = clients.failures();
        Instant began = Instant.now();
        restarting.set(i); // from now on the clients send to the other two
        assertTrue(nodes[i].stop(Duration.ofSeconds(60)), "node " + i + " stopped");
        nodes[i] = NodeProcess.start(work.resolve("roll" + i), own, clusterOptions(ports[i], ports[(i + 1) % 3]));
        kvs.getAndSet(i, new HttpKv(nodes[i].url())).close();
        kvs.get(i).awaitReady(Duration.ofSeconds(90));
        awaitMembers(kvs.get(i), 3);
        restarting.set(-1);
        awaitIncrements(clients.acknowledged, total(clients.acknowledged) + 4L * keys.size());
        steps.add("node " + i + ": back in " + Duration.between(began, Instant.now()).toMillis() + " ms, "
            + (clients.failures() - failedBefore) + " requests failed");
      }
      clients.mark();
      clients.awaitEveryKeyAfterMark(Duration.ofSeconds(60));
      clients.stop();
      clients.assertNothingLost(kvs.get(1));
      System.out.println("ClusterModeIT rolling restart: " + steps + "; " + total(clients.acknowledged)
          + " increments acknowledged, " + clients.failures() + " requests failed " + FAILED + "; now " + hosted(kvs.get(0)));
      // A node hands its ranges over as it leaves: the nodes that stay up answer every request. (A
      // request may still meet the leaving node's HTTP port as it closes: the client's side of it.)
      assertEquals(0, ANSWERED_FAILED.get(), "requests the running nodes answered with an error: " + FAILED);
    } finally {
      for (int i = 0; i < 3; i++) {
        if (kvs.get(i) != null) {
          kvs.get(i).close();
        }
        if (nodes[i] != null) {
          nodes[i].close();
        }
      }
    }
  }

  /**
   * The planner at its defaults places ranges on nodes by load: every range starts on node a (the
   * node that first used it), so a uniform load through both nodes lands on a alone; the planner
   * moves ranges to b until the two are within {@code balance.tolerance} of their mean, journaling
   * why, and no client request fails meanwhile.
   */
  @Test
  void thePlannerSpreadsTheRangesOverTheNodesByLoad() throws Exception {
    int portA = freePort();
    int portB = freePort();
    // Its own keyspaces: the other test's map and moves are not this one's.
    List<String> planned = List.of("-Dlogshard.cassandra.keyspace-prefix=planned_",
        "-Dlogshard.transfer.step-timeout=30s");
    try (NodeProcess a = NodeProcess.start(work.resolve("pa"), planned, clusterOptions(portA, null));
        HttpKv kvA = new HttpKv(a.url());
        NodeProcess b = NodeProcess.start(work.resolve("pb"), planned, clusterOptions(portB, portA));
        HttpKv kvB = new HttpKv(b.url())) {
      kvA.awaitReady(Duration.ofSeconds(60));
      kvB.awaitReady(Duration.ofSeconds(60));
      awaitMembers(kvA, 2);
      List<String> keys = zeroInEveryRange(kvA, portA, "spread:", 4);
      int rangeCount = keys.size() / 4;
      String nodeA = "127.0.0.1:" + portA;
      String nodeB = "127.0.0.1:" + portB;

      Writers writers = new Writers(keys, kvA, kvB);
      // Balanced: neither node runs more than half the map's ranges plus the tolerance (16 ranges: 8 each).
      Instant deadline = Instant.now().plusSeconds(240);
      Map<String, List<String>> hosted = hosted(kvA);
      while (hosted.getOrDefault(nodeB, List.of()).size() < rangeCount / 2) {
        assertTrue(Instant.now().isBefore(deadline), "the ranges did not spread: " + hosted + ", plan: "
            + new String(kvA.send("GET", "/v1/admin/plan", null).get(30, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8));
        Thread.sleep(500);
        hosted = hosted(kvA);
      }
      writers.stop();
      System.out.println("ClusterModeIT: ranges per node " + hosted + ", " + writers.acknowledged.get() + " writes, "
          + writers.failures.get() + " failed");
      assertEquals(0, writers.failures.get(), "requests that failed while the planner moved ranges");
      JsonNode decisions = JSON.readTree(kvA.send("GET", "/v1/admin/plan", null).get(30, TimeUnit.SECONDS).body())
          .get("decisions");
      boolean balanced = false;
      for (JsonNode d : decisions) {
        balanced |= d.get("reason").asText().startsWith("balance nodes: " + nodeA);
      }
      assertTrue(balanced, "the plan journals why it moved ranges: " + decisions);
      assertTrue(hosted.getOrDefault(nodeA, List.of()).size() >= rangeCount / 2 - 1, "a kept its share: " + hosted);
      // Each node measures its round trip to the other; the planner sees both.
      JsonNode load = JSON.readTree(kvA.send("GET", "/v1/admin/load", null).get(30, TimeUnit.SECONDS).body());
      for (JsonNode n : load.get("nodes")) {
        String other = n.get("node").asText().equals(nodeA) ? nodeB : nodeA;
        double millis = n.path("roundTripMillis").path(other).asDouble(-1);
        assertTrue(millis > 0 && millis < 1_000, n.get("node").asText() + " to " + other + ": " + n);
      }
      assertEquals(2, load.get("nodes").size(), load.get("nodes").toString());

      // Drain b: every range goes back to a under the same writers, none failing; then b can be removed.
      Writers again = new Writers(keys, kvA, kvB);
      Instant drainStarted = Instant.now();
      HttpResponse<byte[]> drain = kvA.send("PUT", "/v1/admin/nodes/" + nodeB, "{\"draining\":true}")
          .get(30, TimeUnit.SECONDS);
      assertEquals(200, drain.statusCode(), new String(drain.body(), StandardCharsets.UTF_8));
      deadline = Instant.now().plusSeconds(240);
      while (!nodeView(kvA, nodeB).path("removable").asBoolean()) {
        assertTrue(Instant.now().isBefore(deadline), "b was not emptied: " + hosted(kvA) + ", " + nodeView(kvA, nodeB));
        Thread.sleep(500);
      }
      long drainSeconds = Duration.between(drainStarted, Instant.now()).toSeconds();
      again.stop();
      System.out.println("ClusterModeIT: b drained in " + drainSeconds + " s, ranges per node " + hosted(kvA) + ", "
          + again.acknowledged.get() + " writes, " + again.failures.get() + " failed");
      assertEquals(0, again.failures.get(), "requests that failed while b was drained");
      assertEquals(List.of(), hosted(kvA).getOrDefault(nodeB, List.of()), "nothing of the map runs on b");
      assertTrue(nodeView(kvA, nodeB).path("draining").asBoolean());
      assertEquals(404, kvA.send("PUT", "/v1/admin/nodes/127.0.0.1:1", "{\"draining\":true}").get(30, TimeUnit.SECONDS)
          .statusCode());
      assertEquals(400, kvA.send("PUT", "/v1/admin/nodes/" + nodeB, "{\"draining\":\"yes\"}").get(30, TimeUnit.SECONDS)
          .statusCode());
      for (String key : keys) {
        assertEquals(200, kvB.get(key).get(30, TimeUnit.SECONDS).statusCode(), key);
      }
      assertTrue(a.stop(Duration.ofSeconds(60)) && b.stop(Duration.ofSeconds(60)), "the nodes stopped");
    }
  }

  /**
   * Compare-and-set increment clients over the keys, alternating between two nodes, each starting at
   * its own key and going on to the next after every attempt; per key: increments acknowledged,
   * attempts failed (they may still have been applied), the last acknowledged one's time, and the
   * first acknowledged after {@link #mark}.
   */
  private static final class Incrementers {
    final List<String> keys;
    final AtomicLongArray acknowledged;
    final AtomicLongArray failed;
    final AtomicLongArray lastSuccess;
    final AtomicLongArray firstAfterMark;
    final AtomicLong markedAt = new AtomicLong(Long.MAX_VALUE);
    final AtomicBoolean running = new AtomicBoolean(true);
    final List<Thread> clients = new ArrayList<>();

    Incrementers(List<String> keys, HttpKv one, HttpKv other, int count) {
      this(keys, count, t -> t % 2 == 0 ? one : other);
    }

    /** {@code nodeFor}: the node client {@code t} sends its next attempt to. */
    Incrementers(List<String> keys, int count, IntFunction<HttpKv> nodeFor) {
      this.keys = keys;
      int n = keys.size();
      acknowledged = new AtomicLongArray(n);
      failed = new AtomicLongArray(n);
      lastSuccess = new AtomicLongArray(n);
      firstAfterMark = new AtomicLongArray(n);
      for (int t = 0; t < count; t++) {
        int first = t;
        Thread client = new Thread(() -> {
          for (int i = first; running.get(); i++) {
            int k = i % n;
            if (increment(nodeFor.apply(first), keys.get(k))) {
              long now = System.nanoTime();
              acknowledged.incrementAndGet(k);
              lastSuccess.set(k, now);
              if (now > markedAt.get()) {
                firstAfterMark.compareAndSet(k, 0, now);
              }
            } else {
              failed.incrementAndGet(k);
            }
          }
        }, "incrementer-" + t);
        client.start();
        clients.add(client);
      }
    }

    /** Waits until every key took an increment. */
    void awaitEveryKey() throws InterruptedException {
      Instant deadline = Instant.now().plusSeconds(60);
      for (int k = 0; k < keys.size(); k++) {
        while (lastSuccess.get(k) == 0) {
          assertTrue(Instant.now().isBefore(deadline), keys.get(k) + " took no increment");
          Thread.sleep(20);
        }
      }
    }

    /** From now on {@link #firstAfterMark} records each key's first acknowledged increment. */
    void mark() {
      markedAt.set(System.nanoTime());
    }

    void awaitEveryKeyAfterMark(Duration within) throws InterruptedException {
      Instant deadline = Instant.now().plus(within);
      for (int k = 0; k < keys.size(); k++) {
        while (firstAfterMark.get(k) == 0) {
          assertTrue(Instant.now().isBefore(deadline), keys.get(k) + " took no increment for " + within);
          Thread.sleep(50);
        }
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread client : clients) {
        client.join(60_000);
      }
    }

    long failures() {
      long sum = 0;
      for (int k = 0; k < keys.size(); k++) {
        sum += failed.get(k);
      }
      return sum;
    }

    /** Nothing acknowledged is lost: each key holds at least its acknowledged increments, at most those plus the failed. */
    void assertNothingLost(HttpKv kv) throws Exception {
      for (int k = 0; k < keys.size(); k++) {
        long value = value(kv, keys.get(k));
        assertTrue(value >= acknowledged.get(k) && value <= acknowledged.get(k) + failed.get(k),
            keys.get(k) + ": value " + value + ", acknowledged " + acknowledged.get(k) + ", failed " + failed.get(k));
      }
    }
  }

  /** Clients that put to the keys round robin, two through each node, until stopped; counting what failed. */
  private static final class Writers {
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong failures = new AtomicLong();
    final AtomicLong acknowledged = new AtomicLong();
    final List<Thread> clients = new ArrayList<>();

    Writers(List<String> keys, HttpKv kvA, HttpKv kvB) {
      for (int c = 0; c < 4; c++) {
        HttpKv kv = c % 2 == 0 ? kvA : kvB;
        int first = c;
        Thread client = new Thread(() -> {
          for (int n = first; running.get(); n += 4) {
            try {
              int status = kv.put(keys.get(n % keys.size()), bytes(String.valueOf(n))).get(30, TimeUnit.SECONDS).statusCode();
              (status == 200 || status == 201 ? acknowledged : failures).incrementAndGet();
            } catch (Exception e) {
              failures.incrementAndGet();
            }
          }
        }, "writer-" + c);
        client.start();
        clients.add(client);
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      for (Thread client : clients) {
        client.join(60_000);
      }
    }
  }

  /** One member as {@code GET /v1/admin/nodes} shows it. */
  private static JsonNode nodeView(HttpKv kv, String node) throws Exception {
    JsonNode nodes = JSON.readTree(kv.send("GET", "/v1/admin/nodes", null).get(30, TimeUnit.SECONDS).body()).get("nodes");
    for (JsonNode n : nodes) {
      if (n.get("address").asText().equals(node)) {
        return n;
      }
    }
    throw new AssertionError("no node " + node + " in " + nodes);
  }

  /** Per node ({@code host:port}), the generations of the current map it runs. */
  private static Map<String, List<String>> hosted(HttpKv kv) throws Exception {
    List<String> current = new ArrayList<>();
    JsonNode map = JSON.readTree(kv.send("GET", "/v1/ranges", null).get(30, TimeUnit.SECONDS).body());
    map.get("ranges").forEach(r -> current.add(r.get("entityId").asText()));
    Map<String, List<String>> hosted = new TreeMap<>();
    JsonNode nodes = JSON.readTree(kv.send("GET", "/v1/admin/nodes", null).get(30, TimeUnit.SECONDS).body()).get("nodes");
    for (JsonNode node : nodes) {
      List<String> running = new ArrayList<>();
      node.path("ranges").forEach(r -> {
        if (current.contains(r.asText())) {
          running.add(r.asText());
        }
      });
      hosted.put(node.get("address").asText(), running);
    }
    return hosted;
  }

  /** One compare-and-set increment; true once acknowledged, false on a failure (a conflict is retried). */
  /** The first few failed requests of the clients, for the assertion's message. */
  private static final java.util.Queue<String> FAILED = new java.util.concurrent.ConcurrentLinkedQueue<>();

  /**
   * Of those, the requests LogShard answered with an error (a problem body), not those that met a
   * connection closed or refused, or the HTTP server's own 503 while it stops.
   */
  private static final AtomicLong ANSWERED_FAILED = new AtomicLong();

  private static boolean answeredFailed(String what) {
    if (what.contains("urn:logshard:problem")) {
      ANSWERED_FAILED.incrementAndGet();
    }
    return failed(what);
  }

  private static boolean failed(String what) {
    if (FAILED.size() < 10) {
      FAILED.add(Instant.now() + " " + what);
    }
    return false;
  }

  private static boolean increment(HttpKv kv, String key) {
    try {
      while (true) {
        HttpResponse<byte[]> read = kv.get(key).get(30, TimeUnit.SECONDS);
        if (read.statusCode() != 200) {
          return answeredFailed("GET " + key + ": " + read.statusCode() + " " + new String(read.body(), StandardCharsets.UTF_8));
        }
        long next = Long.parseLong(new String(read.body(), StandardCharsets.UTF_8)) + 1;
        String etag = read.headers().firstValue("ETag").orElseThrow();
        HttpResponse<byte[]> write = kv.putIfMatch(key, bytes(String.valueOf(next)), etag).get(30, TimeUnit.SECONDS);
        if (write.statusCode() == 200) {
          return true;
        }
        if (write.statusCode() != 412) {
          return answeredFailed("PUT " + key + ": " + write.statusCode() + " " + new String(write.body(), StandardCharsets.UTF_8));
        }
      }
    } catch (Exception e) {
      return failed(key + ": " + e);
    }
  }

  private static void awaitIncrements(AtomicLongArray acknowledged, long atLeast) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(60);
    while (total(acknowledged) < atLeast) {
      assertTrue(Instant.now().isBefore(deadline), "the clients made no progress: " + total(acknowledged));
      Thread.sleep(20);
    }
  }

  private static long total(AtomicLongArray acknowledged) {
    long sum = 0;
    for (int k = 0; k < acknowledged.length(); k++) {
      sum += acknowledged.get(k);
    }
    return sum;
  }

  private static long value(HttpKv kv, String key) throws Exception {
    HttpResponse<byte[]> read = kv.get(key).get(30, TimeUnit.SECONDS);
    assertEquals(200, read.statusCode(), key);
    return Long.parseLong(new String(read.body(), StandardCharsets.UTF_8));
  }

  private static void awaitMembers(HttpKv kv, int count) throws Exception {
    Instant deadline = Instant.now().plusSeconds(60);
    while (true) {
      JsonNode nodes = JSON.readTree(kv.send("GET", "/v1/admin/nodes", null).get(30, TimeUnit.SECONDS).body()).get("nodes");
      long up = 0;
      for (JsonNode node : nodes) {
        up += node.get("status").asText().equals("Up") ? 1 : 0;
      }
      if (up == count) {
        return;
      }
      assertTrue(Instant.now().isBefore(deadline), "members up: " + nodes);
      Thread.sleep(100);
    }
  }

  /**
   * {@code perRange} keys in every range of the map, each written "0" through node a (cluster port
   * {@code portA}), which therefore runs every range (a range starts where it is first used).
   */
  private static List<String> zeroInEveryRange(HttpKv kvA, int portA, String prefix, int perRange) throws Exception {
    JsonNode ranges = JSON.readTree(kvA.send("GET", "/v1/ranges", null).get(30, TimeUnit.SECONDS).body()).get("ranges");
    List<String> keys = keysPerRange(ranges, prefix, perRange);
    for (String key : keys) {
      assertEquals(201, kvA.put(key, bytes("0")).get(30, TimeUnit.SECONDS).statusCode());
    }
    String nodeA = "127.0.0.1:" + portA;
    assertEquals(ranges.size(), hosted(kvA).getOrDefault(nodeA, List.of()).size(), "every range starts on a: " + hosted(kvA));
    return keys;
  }

  /** {@code perRange} keys ({@code prefix} and a number) in every range of the map. */
  private static List<String> keysPerRange(JsonNode ranges, String prefix, int perRange) {
    List<String> keys = new ArrayList<>();
    for (JsonNode range : ranges) {
      long start = Long.parseUnsignedLong(range.get("start").asText());
      long last = new BigInteger(range.get("end").asText()).subtract(BigInteger.ONE).longValue();
      for (int i = 0, found = 0; found < perRange; i++) {
        long hash = KeyHash.of(prefix + i);
        if (Long.compareUnsigned(hash, start) >= 0 && Long.compareUnsigned(hash, last) <= 0 && !keys.contains(prefix + i)) {
          keys.add(prefix + i);
          found++;
        }
      }
    }
    return keys;
  }

  /** The node ({@code host:port}) that runs a range generation. */
  private static String hostOf(HttpKv kv, String entityId) throws Exception {
    JsonNode nodes = JSON.readTree(kv.send("GET", "/v1/admin/nodes", null).get(30, TimeUnit.SECONDS).body()).get("nodes");
    for (JsonNode node : nodes) {
      for (JsonNode range : node.path("ranges")) {
        if (range.asText().equals(entityId)) {
          return node.get("address").asText();
        }
      }
    }
    throw new AssertionError(entityId + " runs on no node: " + nodes);
  }

  private static JsonNode rangeOf(HttpKv kv, String rangeId) throws Exception {
    JsonNode map = JSON.readTree(kv.send("GET", "/v1/ranges", null).get(30, TimeUnit.SECONDS).body());
    for (JsonNode range : map.get("ranges")) {
      if (range.get("id").asText().equals(rangeId)) {
        return range;
      }
    }
    throw new AssertionError("no range " + rangeId + " in " + map);
  }

  private static JsonNode transfer(HttpKv kv, String id) throws Exception {
    HttpResponse<byte[]> response = kv.send("GET", "/v1/admin/transfers/" + id, null).get(30, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
    return JSON.readTree(response.body());
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
