package dev.logshard.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.logshard.core.Expectation;
import dev.logshard.core.KeyHash;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.shard.KvReply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Coordinator plans by itself on a real node: it acts on a skewed load, on a uniform one it does
 * nothing, and a log instance added at runtime gets its share.
 */
class PlannerNodeTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dataDir;

  private LogShardNode node;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A node with the defaults: the planner's mode, interval, thresholds and the transfer settings users get. */
  private void start() {
    node = LogShardNode.start(ConfigFactory.empty()
        .withValue("logshard.http.port", ConfigValueFactory.fromAnyRef(0))
        .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString())));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void withTheDefaultsARangeCarryingMostOfTheLoadIsSplitAndItsHotPartMovedToFast() throws Exception {
    start();
    RangePlacement r3 = node.store().shardMap().byRangeId("r3").orElseThrow();
    // 4 of every 5 writes to r3's keys, the rest over the ring.
    List<String> keys = new ArrayList<>();
    List<String> hot = keysIn(r3.range(), 512);
    for (int i = 0; i < 2048; i++) {
      keys.add(i % 5 == 4 ? "cold-" + i : hot.get(i % hot.size()));
    }
    Instant started = Instant.now();
    Load load = new Load(keys, 6);
    try {
      // Split (more than 16 ranges, r3's hashes in more than one) and a part of r3's hashes on fast.
      awaitMap(map -> map.size() > 16 && map.placements().stream()
              .anyMatch(p -> overlaps(p.range(), r3.range()) && p.logInstance().equals("fast")),
          Duration.ofSeconds(120), "the planner splits r3 and moves a hot part to fast");
    } finally {
      load.stop();
    }
    System.out.printf("PlannerNodeTest: r3 split and its hot part on fast %d s after the load began, %d writes, %d failed%n",
        Duration.between(started, Instant.now()).toSeconds(), load.acknowledged.get(), load.failures.get());
    assertEquals(0, load.failures.get(), "client writes that failed");
    assertTrue(load.acknowledged.get() > 0);
    JsonNode plan = JSON.readTree(get("/v1/admin/plan"));
    assertEquals("predictive", plan.get("mode").asText());
    List<String> kinds = new ArrayList<>();
    plan.get("decisions").forEach(d -> kinds.add(d.get("kind").asText() + ":" + d.get("reason").asText()));
    assertTrue(kinds.stream().anyMatch(k -> k.startsWith("SPLIT:split at the load median")), kinds.toString());
    assertTrue(kinds.stream().anyMatch(k -> k.startsWith("MOVE:hot")), kinds.toString());
    JsonNode transfers = JSON.readTree(get("/v1/admin/transfers")).get("transfers");
    assertTrue(transfers.size() >= 2, transfers.toString());
    transfers.forEach(t -> assertTrue(t.path("startedBy").asText().startsWith("planner: "), t.toString()));
    // The forecast of every range is there, with its measured load beside it.
    JsonNode forecast = JSON.readTree(get("/v1/admin/forecast"));
    assertEquals(node.store().shardMap().size(), forecast.get("ranges").size());
    JsonNode one = JSON.readTree(get("/v1/admin/forecast?range=r0"));
    assertEquals("r0", one.get("range").asText());
    assertEquals(300, one.get("forecast").get("horizonSeconds").asLong());
    assertEquals(404, http.send(request("/v1/admin/forecast?range=r999").GET().build(),
        HttpResponse.BodyHandlers.ofByteArray()).statusCode());

    // Draining fast: its ranges go back to standard (the hot one too: nothing may go to fast), then it can be removed.
    JsonNode drained = JSON.readTree(put("/v1/admin/log-instances/fast", "{\"draining\":true}").body());
    assertTrue(instance(drained, "fast").get("draining").asBoolean(), drained.toString());
    Load again = new Load(keys, 2);
    try {
      awaitMap(map -> map.placements().stream().noneMatch(p -> p.logInstance().equals("fast")), Duration.ofSeconds(120),
          "every range leaves fast");
    } finally {
      again.stop();
    }
    assertEquals(0, again.failures.get(), "client writes that failed while fast was drained");
    JsonNode removable = null;
    for (Instant deadline = Instant.now().plusSeconds(30); Instant.now().isBefore(deadline); Thread.sleep(200)) {
      removable = instance(JSON.readTree(get("/v1/admin/log-instances")), "fast");
      if (removable.get("removable").asBoolean()) {
        break;
      }
    }
    assertTrue(removable.get("removable").asBoolean(), removable.toString());
    assertEquals(0, removable.get("ranges").asInt());
    assertTrue(instance(JSON.readTree(get("/v1/admin/log-instances")), "standard").get("holdsCoordinator").asBoolean());
    assertEquals(404, put("/v1/admin/log-instances/nowhere", "{\"draining\":true}").statusCode());
    assertEquals(400, put("/v1/admin/log-instances/fast", "{\"draining\":\"yes\"}").statusCode());
  }

  private static JsonNode instance(JsonNode view, String name) {
    for (JsonNode i : view.get("instances")) {
      if (i.get("name").asText().equals(name)) {
        return i;
      }
    }
    throw new AssertionError("no instance " + name + " in " + view);
  }

  @Test
  void withTheDefaultsOneHotKeyIsNotSplitForeverButItsRangeGoesToFast() throws Exception {
    start();
    RangePlacement r3 = node.store().shardMap().byRangeId("r3").orElseThrow();
    String key = keysIn(r3.range(), 1).get(0);
    // Every write to one key: no split can divide that load; tiering is the answer.
    Load load = new Load(List.of(key), 4);
    try {
      awaitMap(map -> map.lookup(key).logInstance().equals("fast"), Duration.ofSeconds(90),
          "the hot key's range goes to fast");
      Instant end = Instant.now().plusSeconds(15); // three more planning rounds
      while (Instant.now().isBefore(end)) {
        Thread.sleep(200);
      }
    } finally {
      load.stop();
    }
    assertEquals(0, load.failures.get(), "client writes that failed");
    List<String> kinds = new ArrayList<>();
    JSON.readTree(get("/v1/admin/plan")).get("decisions").forEach(d -> kinds.add(d.get("kind").asText()));
    assertEquals(0, kinds.stream().filter(k -> k.equals("SPLIT")).count(), "splits of the one key's range: " + kinds);
    assertEquals(16, node.store().shardMap().size(), "the map: " + node.store().shardMap());
  }

  @Test
  void withTheDefaultsAUniformLoadStartsNoTransferAndTheModeCanBeSwitchedAtRuntime() throws Exception {
    start();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 2048; i++) {
      keys.add("uniform-" + i);
    }
    Load load = new Load(keys, 4);
    Instant end = Instant.now().plusSeconds(20); // four planning rounds over a measured uniform load
    while (Instant.now().isBefore(end)) {
      Thread.sleep(200);
    }
    load.stop();
    assertEquals(0, load.failures.get());
    assertEquals(16, node.store().shardMap().size(), "no split or merge");
    assertEquals(0, JSON.readTree(get("/v1/admin/transfers")).get("transfers").size(), "no transfer");
    assertEquals("predictive", JSON.readTree(get("/v1/admin/planner")).get("mode").asText());

    for (String mode : List.of("off", "baseline", "reactive", "predictive")) {
      assertEquals(mode, JSON.readTree(put("/v1/admin/planner", "{\"mode\":\"" + mode + "\"}").body()).get("mode").asText());
      assertEquals(mode, JSON.readTree(get("/v1/admin/planner")).get("mode").asText());
    }
    HttpResponse<byte[]> bad = put("/v1/admin/planner", "{\"mode\":\"psychic\"}");
    assertEquals(400, bad.statusCode());
    assertEquals("application/problem+json", bad.headers().firstValue("Content-Type").orElse(""));
  }

  @Test
  void aLogInstanceAddedAtRuntimeTakesItsShareOfTheTierAndIsBackAfterARestart() throws Exception {
    start();
    assertEquals(400, post("/v1/admin/log-instances", "{\"name\":\"Standard_2\",\"tier\":\"standard\"}").statusCode());
    assertEquals(400, post("/v1/admin/log-instances", "{\"name\":\"standard-2\"}").statusCode());
    assertEquals(400, post("/v1/admin/log-instances", "{\"name\":\"standard-2\",\"tier\":\"standard\",\"size\":1}")
        .statusCode());
    assertEquals(400, post("/v1/admin/log-instances",
        "{\"name\":\"standard-2\",\"tier\":\"standard\",\"capacityBytes\":-1}").statusCode());
    HttpResponse<byte[]> exists = post("/v1/admin/log-instances", "{\"name\":\"fast\",\"tier\":\"fast\"}");
    assertEquals(409, exists.statusCode(), new String(exists.body()));
    assertEquals("application/problem+json", exists.headers().firstValue("Content-Type").orElse(""));

    HttpResponse<byte[]> added = post("/v1/admin/log-instances", "{\"name\":\"standard-2\",\"tier\":\"standard\"}");
    assertEquals(201, added.statusCode(), new String(added.body()));
    JsonNode standard2 = instance(JSON.readTree(added.body()), "standard-2");
    assertTrue(standard2.get("addedAtRuntime").asBoolean(), standard2.toString());
    assertEquals(0, standard2.get("ranges").asInt());
    assertEquals(409, post("/v1/admin/log-instances", "{\"name\":\"standard-2\",\"tier\":\"standard\"}").statusCode());

    // A uniform load, all of it on standard: the tier's new instance takes ranges until within 10 % of the mean.
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 2048; i++) {
      keys.add("grow-" + i);
      node.store().put(keys.get(i), new byte[100], Expectation.any()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    Load load = new Load(keys, 4);
    Instant began = Instant.now();
    try {
      awaitMap(map -> map.placements().stream().filter(p -> p.logInstance().equals("standard-2")).count() >= 7,
          Duration.ofSeconds(150), "standard-2 takes about half the ranges");
    } finally {
      load.stop();
    }
    System.out.printf("PlannerNodeTest: standard-2 (added at runtime) holds 7 of 16 ranges %d s after the load began,"
        + " %d writes, %d failed%n", Duration.between(began, Instant.now()).toSeconds(), load.acknowledged.get(),
        load.failures.get());
    assertEquals(0, load.failures.get(), "client writes that failed while ranges moved to the new instance");
    List<String> reasons = new ArrayList<>();
    JSON.readTree(get("/v1/admin/plan")).get("decisions").forEach(d -> reasons.add(d.get("reason").asText()));
    assertTrue(reasons.stream().anyMatch(r -> r.startsWith("relieve standard:")), reasons.toString());
    long onIt = node.store().shardMap().placements().stream().filter(p -> p.logInstance().equals("standard-2")).count();

    // A restart: the instance is journaled, its ranges and every key come back.
    node.close();
    start();
    standard2 = instance(JSON.readTree(get("/v1/admin/log-instances")), "standard-2");
    assertTrue(standard2.get("addedAtRuntime").asBoolean(), standard2.toString());
    assertEquals(onIt, standard2.get("ranges").asLong(), standard2.toString());
    for (String key : keys) {
      KvReply reply = node.store().get(key).toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertTrue(reply instanceof KvReply.Value, key + ": " + reply);
    }
  }

  /** Writers that put to the given keys, round robin, until stopped; counting acknowledged and failed writes. */
  private final class Load {
    final AtomicLong acknowledged = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicBoolean running = new AtomicBoolean(true);
    final ExecutorService writers;
    final List<Future<?>> work = new ArrayList<>();

    Load(List<String> keys, int threads) {
      writers = Executors.newFixedThreadPool(threads);
      for (int t = 0; t < threads; t++) {
        int first = t;
        work.add(writers.submit(() -> {
          for (int i = first; running.get(); i += threads) {
            try {
              KvReply reply = node.store().put(keys.get(i % keys.size()), new byte[100], Expectation.any())
                  .toCompletableFuture().get(30, TimeUnit.SECONDS);
              if (reply instanceof KvReply.Written) {
                acknowledged.incrementAndGet();
              } else {
                failures.incrementAndGet();
              }
            } catch (Exception e) {
              failures.incrementAndGet();
            }
          }
          return null;
        }));
      }
    }

    void stop() throws Exception {
      running.set(false);
      for (Future<?> f : work) {
        f.get(60, TimeUnit.SECONDS);
      }
      writers.shutdown();
    }
  }

  private static List<String> keysIn(KeyRange range, int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < n; i++) {
      String k = "hot-" + i;
      if (range.contains(KeyHash.of(k))) {
        keys.add(k);
      }
    }
    return keys;
  }

  private static boolean overlaps(KeyRange a, KeyRange b) {
    return a.start() == b.start() || a.contains(b.start()) || b.contains(a.start());
  }

  private void awaitMap(Predicate<ShardMap> condition, Duration within, String what) throws Exception {
    Instant deadline = Instant.now().plus(within);
    while (!condition.test(node.store().shardMap())) {
      assertTrue(Instant.now().isBefore(deadline), what + "; the map: " + node.store().shardMap()
          + "; the plan: " + new String(get("/v1/admin/plan")));
      Thread.sleep(200);
    }
  }

  private byte[] get(String path) throws Exception {
    HttpResponse<byte[]> response = http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode(), new String(response.body()));
    return response.body();
  }

  private HttpResponse<byte[]> post(String path, String body) throws Exception {
    return http.send(request(path).POST(BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> put(String path, String body) throws Exception {
    return http.send(request(path).PUT(BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + path))
        .timeout(Duration.ofSeconds(30));
  }
}
