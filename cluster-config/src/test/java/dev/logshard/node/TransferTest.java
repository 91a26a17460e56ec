package dev.logshard.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.logshard.actors.rangeshard.RangeShardEntity;
import dev.logshard.core.Expectation;
import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.shard.KvReply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Transfers on a real node (sharding, embedded log instances, the Coordinator singleton), driven through
 * the admin API while clients use the data path.
 */
class TransferTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TRANSFER_DEADLINE = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;

  private LogShardNode node;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private LogShardNode start() {
    return start(ConfigFactory.empty());
  }

  private LogShardNode start(Config overrides) {
    Config config = ConfigFactory.empty()
        .withValue("logshard.http.port", ConfigValueFactory.fromAnyRef(0))
        .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString()))
        .withValue("logshard.transfer.fault-injection", ConfigValueFactory.fromAnyRef(true))
        // The transfers here are started by hand; the planner would start its own on the test's load.
        .withValue("logshard.planner.mode", ConfigValueFactory.fromAnyRef("off"))
        .withValue("logshard.transfer.redirect.step", ConfigValueFactory.fromAnyRef(0.2))
        .withValue("logshard.transfer.redirect.interval", ConfigValueFactory.fromAnyRef("20ms"))
        .withValue("logshard.transfer.cleanup-after", ConfigValueFactory.fromAnyRef("0s"))
        .withValue("logshard.transfer.chunk-bytes", ConfigValueFactory.fromAnyRef("64KiB"))
        // Every access sampled, the load history journaled often: its test needs both.
        .withValue("logshard.profiler.sample-every", ConfigValueFactory.fromAnyRef(1))
        .withValue("logshard.profiler.tick", ConfigValueFactory.fromAnyRef("200ms"))
        .withValue("logshard.load-history.flush-interval", ConfigValueFactory.fromAnyRef("200ms"));
    node = LogShardNode.start(overrides.withFallback(config));
    return node;
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void moveUnderConcurrentCompareAndSetLosesNothingAndAppliesNothingTwice() throws Exception {
    start();
    RangePlacement before = placement("r3");
    List<String> keys = keysIn(before, 16);
    // Some bulk, so the snapshot takes several chunks.
    for (String k : keysIn(before, 400).subList(16, 400)) {
      assertInstanceOf(KvReply.Written.class, await(node.store().put(k, new byte[1024], Expectation.any())));
    }
    AtomicLongArray acknowledged = new AtomicLongArray(keys.size());
    Queue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService clients = Executors.newFixedThreadPool(8);
    List<Future<?>> work = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      int client = c;
      work.add(clients.submit(() -> {
        int i = client;
        while (running.get()) {
          int k = i++ % keys.size();
          String failure = increment(keys.get(k));
          if (failure == null) {
            acknowledged.incrementAndGet(k);
          } else {
            failures.add(failure);
          }
        }
        return null;
      }));
    }
    String id = startTransfer("{\"kind\":\"move\",\"range\":\"r3\",\"toInstance\":\"fast\"}");
    JsonNode done = awaitEnd(id);
    running.set(false);
    for (Future<?> f : work) {
      f.get(30, TimeUnit.SECONDS);
    }
    clients.shutdown();

    assertEquals("DONE", done.get("phase").asText(), done.toString());
    assertEquals(List.of(), List.copyOf(failures), "client operations that failed");
    RangePlacement after = placement("r3");
    assertEquals("fast", after.logInstance());
    assertNotEquals(before.generation(), after.generation());
    assertTrue(done.get("keysCopied").asLong() >= 384, done.toString()); // the bulk, and counters written by then
    long total = 0;
    for (int k = 0; k < keys.size(); k++) {
      assertEquals(acknowledged.get(k), counter(keys.get(k)), "increments of " + keys.get(k));
      total += acknowledged.get(k);
    }
    assertTrue(total > 0, "clients made progress");
    // The old generation was cleaned up: its events are gone.
    awaitTrue(() -> events(before).isEmpty(), "the source's events are deleted");

    // The map and the data survive a restart.
    long epoch = node.store().shardMap().epoch();
    node.close();
    start();
    assertEquals(epoch, node.store().shardMap().epoch());
    assertEquals(after, placement("r3"));
    for (int k = 0; k < keys.size(); k++) {
      assertEquals(acknowledged.get(k), counter(keys.get(k)));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"SNAPSHOT", "CATCH_UP", "REDIRECT", "FENCE"})
  void rollbackAtAnyPhaseKeepsTheSourceServingAndDeletesTheDestination(String phase) throws Exception {
    start();
    ShardMap mapBefore = node.store().shardMap();
    RangePlacement source = placement("r5");
    List<String> keys = keysIn(source, 50);
    for (String k : keys) {
      await(node.store().put(k, k.getBytes(StandardCharsets.UTF_8), Expectation.any()));
    }
    String id = startTransfer("{\"kind\":\"move\",\"range\":\"r5\",\"toInstance\":\"fast\",\"fault\":\"fail:" + phase + "\"}");
    JsonNode ended = awaitEnd(id);
    assertEquals("ROLLED_BACK", ended.get("phase").asText(), ended.toString());
    assertTrue(ended.get("failure").asText().contains(phase), ended.toString());
    assertEquals(mapBefore, node.store().shardMap());

    RangePlacement destination = new RangePlacement("r5", source.range(),
        Long.parseLong(ended.get("destinations").get(0).asText().split("\\.")[1]), "fast");
    assertTrue(events(destination).isEmpty(), "destination events are deleted");
    assertFalse(hasSnapshot(destination), "destination snapshots are deleted");
    // The source serves reads and writes (it was un-fenced).
    for (String k : keys) {
      var value = assertInstanceOf(KvReply.Value.class, await(node.store().get(k)));
      assertArrayEquals(k.getBytes(StandardCharsets.UTF_8), value.value());
      assertInstanceOf(KvReply.Written.class, await(node.store().put(k, new byte[] {1}, Expectation.any())));
    }
  }

  @Test
  void splitThenMergeKeepsEveryKeyWithItsVersion() throws Exception {
    start();
    RangePlacement r7 = placement("r7");
    Map<String, Long> versions = new HashMap<>();
    for (String k : keysIn(r7, 300)) {
      var written = assertInstanceOf(KvReply.Written.class,
          await(node.store().put(k, k.getBytes(StandardCharsets.UTF_8), Expectation.any())));
      versions.put(k, written.version());
    }
    JsonNode split = awaitEnd(startTransfer("{\"kind\":\"split\",\"range\":\"r7\"}"));
    assertEquals("DONE", split.get("phase").asText(), split.toString());
    ShardMap afterSplit = node.store().shardMap();
    assertEquals(17, afterSplit.size());
    String right = split.get("destinations").get(1).asText().split("\\.")[0];
    assertReadable(versions);
    // Writes after the split get versions above every earlier one of the range.
    String someKey = versions.keySet().iterator().next();
    long maxVersion = versions.values().stream().mapToLong(Long::longValue).max().orElseThrow();
    var rewritten = assertInstanceOf(KvReply.Written.class,
        await(node.store().put(someKey, someKey.getBytes(StandardCharsets.UTF_8), Expectation.any())));
    assertTrue(rewritten.version() > maxVersion);
    versions.put(someKey, rewritten.version());

    JsonNode merge = awaitEnd(startTransfer("{\"kind\":\"merge\",\"ranges\":[\"r7\",\"" + right + "\"]}"));
    assertEquals("DONE", merge.get("phase").asText(), merge.toString());
    ShardMap afterMerge = node.store().shardMap();
    assertEquals(16, afterMerge.size());
    assertEquals(r7.range(), placement("r7").range());
    assertReadable(versions);
    // The shards of the generations the two transfers retired stop (each held a lease in a cluster).
    Set<String> retired = new HashSet<>(List.of(r7.entityId()));
    merge.get("sources").forEach(source -> retired.add(source.asText()));
    assertEquals(3, retired.size(), merge.toString());
    String current = placement("r7").entityId();
    awaitTrue(() -> {
      Set<String> running = runningShards();
      return running.contains(current) && running.stream().noneMatch(retired::contains);
    }, "the shards of " + retired + " stop, " + current + " runs");
  }

  /** The shards Cluster Sharding runs on the node. */
  private Set<String> runningShards() throws Exception {
    var state = AskPattern.<ClusterShardingQuery, CurrentShardRegionState>ask(
        ClusterSharding.get(node.system()).shardState(),
        replyTo -> new GetShardRegionState(RangeShardEntity.ENTITY_KEY, replyTo), Duration.ofSeconds(5),
        node.system().scheduler()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    Set<String> ids = new HashSet<>();
    state.getShards().forEach(shard -> ids.add(shard.shardId()));
    return ids;
  }

  @Test
  void aSplitRightAfterARestartCutsAtThePastLoadMedian() throws Exception {
    start();
    RangePlacement r5 = placement("r5");
    // All of r5's load falls in the first tenth of its hashes.
    long hotEnd = r5.range().start() + Long.divideUnsigned(r5.range().last() - r5.range().start(), 10);
    List<String> hot = keysIn(r5, 2_000).stream()
        .filter(k -> Long.compareUnsigned(KeyHash.of(k), hotEnd) < 0).limit(50).toList();
    for (int round = 0; round < 10; round++) {
      for (String k : hot) {
        assertInstanceOf(KvReply.Written.class, await(node.store().put(k, new byte[8], Expectation.any())));
      }
    }
    // A tick's exact count is spread over the cells its samples fell in, in doubles: 500 accesses
    // may add up to 499.99999999 (this waited for 500 exactly, and failed when the rounding went down).
    double written = hot.size() * 10;
    awaitTrue(() -> {
      JsonNode load = JSON.readTree(send(request("/v1/admin/load").GET()).body());
      return load.get("historyAccesses").asDouble() >= written - 0.5;
    }, "the accesses never reached the Coordinator's load history");
    node.close();

    start();
    JsonNode load = JSON.readTree(send(request("/v1/admin/load").GET()).body());
    assertTrue(load.get("historyAccesses").asDouble() >= written - 0.5, load.toString());
    JsonNode split = awaitEnd(startTransfer("{\"kind\":\"split\",\"range\":\"r5\"}"));
    assertEquals("DONE", split.get("phase").asText(), split.toString());
    String left = split.get("destinations").get(0).asText().split("\\.")[0];
    long cut = placement(left).range().last() + 1;
    // Not the midpoint: inside the hot tenth, where the past load divides in two.
    assertTrue(Long.compareUnsigned(cut, r5.range().start()) > 0 && Long.compareUnsigned(cut, hotEnd) <= 0,
        Long.toUnsignedString(cut) + " is not in the hot tenth of " + r5.range());
  }

  @Test
  void anIdleRangeMovesThoughItsReadRampOutlastsTheStepTimeout() throws Exception {
    // Nothing is written during the move: only the ramp's own steps show that it progresses.
    start(ConfigFactory.parseString("""
        logshard.transfer.step-timeout = 1 s
        logshard.transfer.redirect.step = 0.05
        logshard.transfer.redirect.interval = 100 ms
        """));
    Map<String, Long> versions = writeKeysOf("r2", 10);
    JsonNode done = awaitEnd(startTransfer("{\"kind\":\"move\",\"range\":\"r2\",\"toInstance\":\"fast\"}"));
    assertEquals("DONE", done.get("phase").asText(), done.toString());
    assertTrue(done.get("phaseMillis").get("REDIRECT").asLong() > 1000, done.toString());
    assertEquals("fast", placement("r2").logInstance());
    assertReadable(versions);
  }

  @Test
  void theStopAndCopyBaselineMovesTheRangeToo() throws Exception {
    start();
    Map<String, Long> versions = writeKeysOf("r2", 100);
    JsonNode done = awaitEnd(startTransfer("{\"kind\":\"move\",\"range\":\"r2\",\"toInstance\":\"fast\",\"mode\":\"stop-and-copy\"}"));
    assertEquals("DONE", done.get("phase").asText(), done.toString());
    assertFalse(done.get("phaseMillis").has("REDIRECT"), done.toString());
    assertEquals("fast", placement("r2").logInstance());
    assertReadable(versions);
  }

  @Test
  void aStopAndCopyThatHoldsWritesTooLongRollsBackAndTheRangeServesOn() throws Exception {
    start(ConfigFactory.parseString("logshard.transfer.stop-and-copy-timeout = 1 ms\n"
        + "logshard.transfer.progress-interval = 10 ms"));
    // Enough keys that the copy takes more than a millisecond, however fast the machine.
    Map<String, Long> versions = writeKeysOf("r2", 1000);
    JsonNode ended = awaitEnd(startTransfer("{\"kind\":\"move\",\"range\":\"r2\",\"toInstance\":\"fast\",\"mode\":\"stop-and-copy\"}"));
    assertEquals("ROLLED_BACK", ended.get("phase").asText(), ended.toString());
    assertTrue(ended.get("failure").asText().contains("stop-and-copy-timeout"), ended.toString());
    assertEquals("standard", placement("r2").logInstance());
    assertReadable(versions);
    assertEquals(5, writeKeysOf("r2", 5).size(), "the source takes writes again");
  }

  @Test
  void transfersStartedByHandAreLimitedPerMinute() throws Exception {
    start(ConfigFactory.parseString("logshard.admin.max-transfers-per-minute = 2"));
    assertEquals(400, post("{\"kind\":\"split\",\"range\":\"r9999\"}").statusCode());
    assertEquals(400, post("{\"kind\":\"move\",\"range\":\"r4\",\"toInstance\":\"nowhere\"}").statusCode());
    var limited = post("{\"kind\":\"move\",\"range\":\"r5\",\"toInstance\":\"fast\"}");
    assertEquals(429, limited.statusCode());
    String body = new String(limited.body(), StandardCharsets.UTF_8);
    assertTrue(body.contains("max-transfers-per-minute"), body);
    long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElse("0"));
    assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
    assertEquals("standard", placement("r5").logInstance(), "nothing started");
  }

  /** Writes {@code count} keys of the range (each its own name as value); their versions. */
  private Map<String, Long> writeKeysOf(String rangeId, int count) throws Exception {
    Map<String, Long> versions = new HashMap<>();
    for (String k : keysIn(placement(rangeId), count)) {
      var written = assertInstanceOf(KvReply.Written.class,
          await(node.store().put(k, k.getBytes(StandardCharsets.UTF_8), Expectation.any())));
      versions.put(k, written.version());
    }
    return versions;
  }

  @Test
  void aMoveNamingANodeRecordsTheDestinationThereAndItRunsThere() throws Exception {
    start();
    Map<String, Long> versions = writeKeysOf("r4", 20);
    JsonNode nodes = JSON.readTree(send(request("/v1/admin/nodes").GET()).body()).get("nodes");
    assertEquals(1, nodes.size(), nodes.toString());
    JsonNode self = nodes.get(0);
    assertTrue(self.get("self").asBoolean() && self.get("status").asText().equals("Up"), self.toString());
    String address = self.get("address").asText();
    JsonNode done = awaitEnd(startTransfer("{\"kind\":\"move\",\"range\":\"r4\",\"toNode\":\"" + address + "\"}"));
    assertEquals("DONE", done.get("phase").asText(), done.toString());
    String destination = done.get("destinations").get(0).asText();
    assertEquals("standard", placement("r4").logInstance(), "a move to a node keeps the log instance");
    assertEquals(destination, placement("r4").entityId());
    var locations = await(RangeShardEntity.allocation(node.system()).getShardLocations());
    assertEquals(address, dev.logshard.actors.coordinator.Nodes.name(locations.getShardLocations().get(RangeShardEntity.shardId(destination)).address()),
        "the destination's shard was recorded at the node the move named");
    awaitTrue(() -> JSON.readTree(send(request("/v1/admin/nodes").GET()).body()).get("nodes").get(0).get("ranges")
        .toString().contains("\"" + destination + "\""), "the node runs " + destination);
    assertReadable(versions);
  }

  @Test
  void noSplitByHandBeyondTheMaximumRangeCount() throws Exception {
    start(ConfigFactory.parseString("logshard.planner.split.max-ranges = 16"));
    var refused = post("{\"kind\":\"split\",\"range\":\"r3\"}");
    assertEquals(400, refused.statusCode());
    String body = new String(refused.body(), StandardCharsets.UTF_8);
    assertTrue(body.contains("logshard.planner.split.max-ranges"), body);
    assertEquals(16, node.store().shardMap().size());
    // A move is still fine.
    assertEquals("DONE", awaitEnd(startTransfer("{\"kind\":\"move\",\"range\":\"r3\",\"toInstance\":\"fast\"}"))
        .get("phase").asText());
  }

  @Test
  void badTransferRequestsAreProblems() throws Exception {
    start();
    assertEquals(400, post("{\"kind\":\"move\",\"range\":\"r3\"}").statusCode());
    assertEquals(400, post("{\"kind\":\"move\",\"range\":\"nope\",\"toInstance\":\"fast\"}").statusCode());
    assertEquals(400, post("{\"kind\":\"move\",\"range\":\"r3\",\"toInstance\":\"tape\"}").statusCode());
    assertEquals(400, post("{\"kind\":\"merge\",\"ranges\":[\"r1\",\"r3\"]}").statusCode());
    assertEquals(400, post("{\"kind\":\"split\",\"range\":\"r3\",\"at\":\"12x\"}").statusCode());
    assertEquals(400, post("{\"kind\":\"teleport\"}").statusCode());
    assertEquals(400, post("[1,2]").statusCode());
    assertEquals(400, post("{\"kind\":\"move\",\"range\":\"r3\",\"toInstance\":\"fast\",\"mode\":\"fast\"}").statusCode());
    assertEquals(400, post("{\"kind\":\"move\",\"range\":\"r3\",\"toNode\":\"nowhere\"}").statusCode());
    var notUp = post("{\"kind\":\"move\",\"range\":\"r3\",\"toNode\":\"127.0.0.1:1\"}");
    assertEquals(400, notUp.statusCode());
    assertTrue(new String(notUp.body(), StandardCharsets.UTF_8).contains("no node '127.0.0.1:1' is up"));
    String first = startTransfer("{\"kind\":\"move\",\"range\":\"r3\",\"toInstance\":\"fast\"}");
    var conflict = post("{\"kind\":\"split\",\"range\":\"r3\"}");
    assertEquals(409, conflict.statusCode(), new String(conflict.body(), StandardCharsets.UTF_8));
    assertEquals("DONE", awaitEnd(first).get("phase").asText());
    assertEquals(409, send(request("/v1/admin/transfers/" + first).DELETE()).statusCode());
    assertEquals(404, send(request("/v1/admin/transfers/t999").GET()).statusCode());
    assertEquals(404, send(request("/v1/admin/transfers/t999").DELETE()).statusCode());
  }

  // --- helpers

  private void assertReadable(Map<String, Long> versions) throws Exception {
    for (Map.Entry<String, Long> e : versions.entrySet()) {
      var value = assertInstanceOf(KvReply.Value.class, await(node.store().get(e.getKey())), e.getKey());
      assertEquals(e.getValue(), value.version(), e.getKey());
      assertArrayEquals(e.getKey().getBytes(StandardCharsets.UTF_8), value.value());
    }
  }

  /** One compare-and-set increment; true once it is acknowledged. */
  /** One compare-and-set increment, retried on conflict; null when applied, else what went wrong. */
  private String increment(String key) {
    for (int attempt = 0; attempt < 1000; attempt++) {
      try {
        KvReply current = await(node.store().get(key));
        long n = current instanceof KvReply.Value v ? Long.parseLong(new String(v.value(), StandardCharsets.UTF_8)) : 0;
        Expectation expect = current instanceof KvReply.Value v ? Expectation.version(v.version()) : Expectation.absent();
        KvReply reply = await(node.store().put(key, Long.toString(n + 1).getBytes(StandardCharsets.UTF_8), expect));
        if (reply instanceof KvReply.Written) {
          return null;
        }
        if (!(reply instanceof KvReply.PreconditionFailed)) {
          return key + ": " + reply;
        }
      } catch (Exception e) {
        return key + ": " + e;
      }
    }
    return key + ": 1000 conflicts in a row";
  }

  private long counter(String key) throws Exception {
    KvReply reply = await(node.store().get(key));
    return reply instanceof KvReply.Value v ? Long.parseLong(new String(v.value(), StandardCharsets.UTF_8)) : 0;
  }

  private RangePlacement placement(String rangeId) {
    return node.store().shardMap().byRangeId(rangeId).orElseThrow();
  }

  private static List<String> keysIn(RangePlacement placement, int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < n; i++) {
      String k = "key-" + i;
      if (placement.range().contains(KeyHash.of(k))) {
        keys.add(k);
      }
    }
    return keys;
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private List<Object> events(RangePlacement placement) throws Exception {
    var query = PersistenceQuery.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(node.system()))
        .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class,
            "logshard-log-instance." + placement.logInstance() + ".query");
    return await(query.currentEventsByPersistenceId("RangeShard|" + placement.entityId(), 0, Long.MAX_VALUE)
        .map(e -> e.event())
        .runWith(Sink.seq(), node.system()));
  }

  /** Whether the placement's generation has a snapshot left, asked through its snapshot store (any engine). */
  private boolean hasSnapshot(RangePlacement placement) throws Exception {
    var classic = org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(node.system());
    var store = Persistence.get(classic).snapshotStoreFor(
        "logshard-log-instance." + placement.logInstance() + ".snapshot", ConfigFactory.empty());
    var loaded = (SnapshotProtocol.LoadSnapshotResult) await(Patterns.ask(store, new SnapshotProtocol.LoadSnapshot(
        "RangeShard|" + placement.entityId(), SnapshotSelectionCriteria.latest(), Long.MAX_VALUE),
        Duration.ofSeconds(30)));
    return loaded.snapshot().isDefined();
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + path))
        .timeout(Duration.ofSeconds(30));
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> post(String body) throws Exception {
    var response = send(request("/v1/admin/transfers").POST(BodyPublishers.ofString(body)));
    if (response.statusCode() >= 400) {
      assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
    }
    return response;
  }

  private String startTransfer(String body) throws Exception {
    var response = post(body);
    assertEquals(202, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
    return JSON.readTree(response.body()).get("id").asText();
  }

  private JsonNode awaitEnd(String id) throws Exception {
    Instant deadline = Instant.now().plus(TRANSFER_DEADLINE);
    while (true) {
      var response = send(request("/v1/admin/transfers/" + id).GET());
      assertEquals(200, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
      JsonNode progress = JSON.readTree(response.body());
      String phase = progress.get("phase").asText();
      if (phase.equals("ROLLED_BACK")) {
        return progress;
      }
      if (phase.equals("DONE")) {
        // The router learns the new map from the Coordinator's publication (or its next WrongRange).
        for (JsonNode destination : progress.get("destinations")) {
          String entityId = destination.asText();
          awaitTrue(() -> node.store().shardMap().placements().stream().anyMatch(p -> p.entityId().equals(entityId)),
              "the router's map has " + entityId);
        }
        return progress;
      }
      assertTrue(Instant.now().isBefore(deadline), "transfer " + id + " did not end: " + progress);
      Thread.sleep(50);
    }
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void awaitTrue(Check check, String what) throws Exception {
    Instant deadline = Instant.now().plusSeconds(30);
    while (!check.holds()) {
      assertTrue(Instant.now().isBefore(deadline), what);
      Thread.sleep(50);
    }
  }
}
