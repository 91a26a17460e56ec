package dev.logshard.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API of a real node (sharding, RangeShards, H2 journals), status code by status code. */
class HttpApiTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path dataDir;

  private static LogShardNode node;
  private static HttpClient client;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    node = LogShardNode.start(ConfigFactory.empty()
        .withValue("logshard.profiler.sample-every", ConfigValueFactory.fromAnyRef(1))
        // The ranges' shape is asserted here; the planner's own test is PlannerNodeTest.
        .withValue("logshard.planner.mode", ConfigValueFactory.fromAnyRef("off"))
        .withValue("logshard.profiler.tick", ConfigValueFactory.fromAnyRef("200ms"))
        .withValue("logshard.http.port", ConfigValueFactory.fromAnyRef(0))
        .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString())));
    base = "http://127.0.0.1:" + node.httpAddress().getPort();
    client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Instant deadline = Instant.now().plusSeconds(30);
    while (send(get("/health/ready")).statusCode() != 200) {
      assertTrue(Instant.now().isBefore(deadline), "node not ready within 30 s");
      Thread.sleep(50);
    }
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
  }

  private static HttpRequest.Builder get(String path) {
    return request(path).GET();
  }

  private static String kv(String key) {
    return "/v1/kv/" + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static HttpRequest.Builder put(String key, byte[] value) {
    return request(kv(key)).PUT(BodyPublishers.ofByteArray(value));
  }

  private static HttpRequest.Builder put(String key, String value) {
    return put(key, value.getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static JsonNode json(HttpResponse<byte[]> response) throws Exception {
    return JSON.readTree(response.body());
  }

  /** Asserts the status and, for errors, an RFC 9457 body that says the same status. */
  private static JsonNode expectProblem(HttpResponse<byte[]> response, int status) throws Exception {
    assertEquals(status, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
    assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
    JsonNode problem = json(response);
    assertEquals(status, problem.get("status").asInt());
    assertTrue(problem.get("type").asText().startsWith("urn:logshard:problem:"));
    assertFalse(problem.get("detail").asText().isBlank());
    return problem;
  }

  private static String etag(HttpResponse<?> response) {
    return response.headers().firstValue("ETag").orElse(null);
  }

  @Test
  void putCreatesThenUpdatesAndGetReturnsValueAndVersion() throws Exception {
    var created = send(put("user:42", "hello"));
    assertEquals(201, created.statusCode());
    long version = json(created).get("version").asLong();
    assertEquals("\"" + version + "\"", etag(created)); // versions count per range, not per key
    var updated = send(put("user:42", "hello again"));
    assertEquals(200, updated.statusCode());
    assertTrue(json(updated).get("version").asLong() > version);
    var read = send(get(kv("user:42")));
    assertEquals(200, read.statusCode());
    assertEquals(etag(updated), etag(read));
    assertEquals("application/octet-stream", read.headers().firstValue("Content-Type").orElse(""));
    assertEquals("hello again", new String(read.body(), StandardCharsets.UTF_8));
  }

  @Test
  void logInstancesShowWhatTheirRocksDbDatabaseHolds() throws Exception {
    assertEquals(201, send(put("stats:1", "x".repeat(10_000))).statusCode());
    var response = send(get("/v1/admin/log-instances"));
    assertEquals(200, response.statusCode());
    JsonNode standard = null;
    for (JsonNode instance : json(response).get("instances")) {
      standard = instance.get("name").asText().equals("standard") ? instance : standard;
    }
    assertNotNull(standard, new String(response.body(), StandardCharsets.UTF_8));
    JsonNode storage = standard.get("storage");
    // The write is in the memtable (or a table file, once flushed): either way the engine counts it.
    assertTrue(storage.get("cur-size-all-mem-tables").asLong() + storage.get("total-sst-files-size").asLong() > 10_000,
        storage.toString());
    for (String stat : List.of("estimate-live-data-size", "num-running-compactions", "is-write-stopped",
        "block-cache-usage")) {
      assertTrue(storage.has(stat), stat + " in " + storage);
    }
  }

  @Test
  void getOfAMissingKeyIs404() throws Exception {
    expectProblem(send(get(kv("never-written"))), 404);
  }

  @Test
  void ifMatchIsCompareAndSet() throws Exception {
    String v1 = etag(send(put("cas", "a")));
    var ok = send(put("cas", "b").header("If-Match", v1));
    assertEquals(200, ok.statusCode());
    var stale = send(put("cas", "c").header("If-Match", v1));
    JsonNode problem = expectProblem(stale, 412);
    assertTrue(problem.get("detail").asText().contains("version"));
    assertEquals(etag(ok), etag(stale)); // tells the client the version to retry with
    assertEquals("b", new String(send(get(kv("cas"))).body(), StandardCharsets.UTF_8));
  }

  @Test
  void ifNoneMatchStarCreatesOnlyAndIfMatchStarUpdatesOnly() throws Exception {
    assertEquals(201, send(put("create-only", "a").header("If-None-Match", "*")).statusCode());
    expectProblem(send(put("create-only", "b").header("If-None-Match", "*")), 412);
    expectProblem(send(put("update-only", "a").header("If-Match", "*")), 412);
    expectProblem(send(get(kv("update-only"))), 404);
  }

  @Test
  void malformedPreconditionsAre400() throws Exception {
    expectProblem(send(put("k", "v").header("If-Match", "\"abc\"")), 400);
    expectProblem(send(put("k", "v").header("If-Match", "\"0\"")), 400);
    expectProblem(send(put("k", "v").header("If-None-Match", "\"3\"")), 400);
    expectProblem(send(put("k", "v").header("If-Match", "\"1\"").header("If-None-Match", "*")), 400);
  }

  @Test
  void deleteRemovesTheKey() throws Exception {
    String v = etag(send(put("to-delete", "x")));
    expectProblem(send(request(kv("to-delete")).DELETE().header("If-Match", "\"99\"")), 412);
    var deleted = send(request(kv("to-delete")).DELETE().header("If-Match", v));
    assertEquals(200, deleted.statusCode());
    assertTrue(json(deleted).get("deleted").asBoolean());
    expectProblem(send(get(kv("to-delete"))), 404);
    expectProblem(send(request(kv("to-delete")).DELETE()), 404);
  }

  @Test
  void keyLimitIsCountedInUtf8Bytes() throws Exception {
    String fits = "é".repeat(512); // 1024 UTF-8 bytes
    assertEquals(201, send(put(fits, "v")).statusCode());
    assertEquals(200, send(get(kv(fits))).statusCode());
    JsonNode problem = expectProblem(send(put(fits + "x", "v")), 400);
    assertTrue(problem.get("detail").asText().contains("1025"), problem.toString());
  }

  @Test
  void valueLimitIs413WithOrWithoutContentLength() throws Exception {
    byte[] max = new byte[1024 * 1024];
    assertEquals(201, send(put("big", max)).statusCode());
    assertArrayEquals(max, send(get(kv("big"))).body());
    expectProblem(send(put("too-big", new byte[1024 * 1024 + 1])), 413);
    // Chunked: no Content-Length, so the limit is found while reading.
    var chunked = request(kv("too-big-chunked"))
        .PUT(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(new byte[1024 * 1024 + 1])));
    expectProblem(send(chunked), 413);
    expectProblem(send(get(kv("too-big"))), 404);
  }

  @Test
  void keysMayContainEncodedSlashesAndAnyCharacter() throws Exception {
    String key = "a/b c+d?e#f%g";
    assertEquals(201, send(put(key, "odd")).statusCode());
    assertEquals("odd", new String(send(get(kv(key))).body(), StandardCharsets.UTF_8));
    expectProblem(send(get("/v1/kv/a/b")), 400);
    expectProblem(send(get("/v1/kv/")), 400);
  }

  @Test
  void wrongMethodAndUnknownPathAreProblems() throws Exception {
    expectProblem(send(request(kv("k")).POST(BodyPublishers.noBody())), 405);
    expectProblem(send(get("/v2/nothing")), 404);
    expectProblem(send(request("/v1/ranges").DELETE()), 405);
  }

  @Test
  void batchAppliesEveryOperationAndAnswersEachInOrder() throws Exception {
    send(put("batch-b", "old"));
    String body = """
        {"operations": [
          {"op": "put", "key": "batch-a", "value": "%s"},
          {"op": "get", "key": "batch-a"},
          {"op": "delete", "key": "batch-b"},
          {"op": "get", "key": "batch-b"},
          {"op": "put", "key": "batch-c", "value": "eA==", "ifMatch": "\\"5\\""},
          {"op": "put", "key": "batch-d", "value": "eQ==", "ifNoneMatch": "*"}
        ]}""".formatted(Base64.getEncoder().encodeToString("A".getBytes(StandardCharsets.UTF_8)));
    var response = send(request("/v1/kv:batch").POST(BodyPublishers.ofString(body)));
    assertEquals(200, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
    JsonNode results = json(response).get("results");
    assertEquals(6, results.size());
    assertEquals(201, results.get(0).get("status").asInt());
    assertEquals("QQ==", results.get(1).get("value").asText());
    assertEquals(results.get(0).get("version"), results.get(1).get("version"));
    assertEquals(200, results.get(2).get("status").asInt());
    assertEquals(404, results.get(3).get("status").asInt());
    assertEquals(412, results.get(4).get("status").asInt());
    assertEquals(201, results.get(5).get("status").asInt());
    assertEquals("A", new String(send(get(kv("batch-a"))).body(), StandardCharsets.UTF_8));
  }

  @Test
  void badBatchesAre400Or413() throws Exception {
    String[] bad = {
      "not json",
      "{}",
      "{\"operations\": {}}",
      "{\"operations\": []}",
      "{\"operations\": [42]}",
      "{\"operations\": [{\"op\": \"merge\", \"key\": \"k\"}]}",
      "{\"operations\": [{\"op\": \"get\"}]}",
      "{\"operations\": [{\"op\": \"put\", \"key\": \"k\", \"value\": \"%%%\"}]}",
      "{\"operations\": [{\"op\": \"put\", \"key\": \"k\"}]}",
      "{\"operations\": [{\"op\": \"put\", \"key\": \"\", \"value\": \"\"}]}",
      "{\"operations\": [{\"op\": \"put\", \"key\": \"k\", \"value\": \"\", \"ifMatch\": \"x\"}]}",
    };
    for (String body : bad) {
      JsonNode problem = expectProblem(send(request("/v1/kv:batch").POST(BodyPublishers.ofString(body))), 400);
      assertFalse(problem.get("detail").asText().isBlank(), body);
    }
    StringBuilder many = new StringBuilder("{\"operations\": [");
    for (int i = 0; i < 1001; i++) {
      many.append(i == 0 ? "" : ",").append("{\"op\": \"get\", \"key\": \"k").append(i).append("\"}");
    }
    expectProblem(send(request("/v1/kv:batch").POST(BodyPublishers.ofString(many.append("]}").toString()))), 413);
    // Refused by the declared length, before the body is read. Sent by hand: the server answers and
    // closes while an HTTP client would still be uploading, which makes the client's outcome racy.
    try (var socket = new java.net.Socket("127.0.0.1", node.httpAddress().getPort())) {
      socket.getOutputStream().write(("POST /v1/kv:batch HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + (17 * 1024 * 1024) + "\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      socket.setSoTimeout(30_000);
      String response = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 413", response);
    }
  }

  /**
   * A batch's part for one range is one message to that range's node, so it must fit one remote
   * frame: two values of 1 MiB on one range are refused (413, nothing applied); the same two on two
   * ranges are applied.
   */
  @Test
  void aBatchWhosePartForOneRangeIsOverTheFrameIs413AndNothingIsApplied() throws Exception {
    List<String> sameRange = new java.util.ArrayList<>();
    String other = null;
    int firstRange = -1;
    for (int i = 0; sameRange.size() < 2 || other == null; i++) {
      String key = "frame-" + i;
      int range = map().indexOf(dev.logshard.core.KeyHash.of(key));
      if (firstRange < 0) {
        firstRange = range;
      }
      if (range == firstRange && sameRange.size() < 2) {
        sameRange.add(key);
      } else if (range != firstRange && other == null) {
        other = key;
      }
    }
    String mib = Base64.getEncoder().encodeToString(new byte[1 << 20]);
    String op = "{\"op\": \"put\", \"key\": \"%s\", \"value\": \"%s\"}";
    String tooLarge = "{\"operations\": [" + op.formatted(sameRange.get(0), mib) + ","
        + op.formatted(sameRange.get(1), mib) + "]}";
    JsonNode problem = expectProblem(send(request("/v1/kv:batch").POST(BodyPublishers.ofString(tooLarge))), 413);
    assertTrue(problem.get("detail").asText().contains("max-batch-bytes-per-range"), problem.toString());
    assertEquals(404, send(get(kv(sameRange.get(0)))).statusCode(), "nothing was applied");

    String split = "{\"operations\": [" + op.formatted(sameRange.get(0), mib) + "," + op.formatted(other, mib) + "]}";
    var response = send(request("/v1/kv:batch").POST(BodyPublishers.ofString(split)));
    assertEquals(200, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
    assertEquals(1 << 20, send(get(kv(other))).body().length);

    // Reads: the second 1-MiB value on one range would take the range's answer over the frame.
    assertEquals(201, send(put(sameRange.get(1), "x".repeat(1 << 20))).statusCode());
    String reads = "{\"operations\": [{\"op\": \"get\", \"key\": \"%s\"}, {\"op\": \"get\", \"key\": \"%s\"}]}"
        .formatted(sameRange.get(0), sameRange.get(1));
    JsonNode results = json(send(request("/v1/kv:batch").POST(BodyPublishers.ofString(reads)))).get("results");
    assertEquals(200, results.get(0).get("status").asInt(), results.toString());
    assertEquals(413, results.get(1).get("status").asInt(), results.get(1).toString());
    assertTrue(results.get(1).get("detail").asText().contains("alone or in a smaller batch"), results.get(1).toString());
  }

  @Test
  void rangesTileTheRing() throws Exception {
    var response = send(get("/v1/ranges"));
    assertEquals(200, response.statusCode());
    JsonNode map = json(response);
    assertEquals(1, map.get("epoch").asLong());
    JsonNode ranges = map.get("ranges");
    assertEquals(16, ranges.size());
    BigInteger expectedStart = BigInteger.ZERO;
    for (JsonNode range : ranges) {
      assertEquals(expectedStart, new BigInteger(range.get("start").asText()));
      expectedStart = new BigInteger(range.get("end").asText());
      assertEquals(range.get("id").asText() + "." + range.get("generation").asLong(), range.get("entityId").asText());
      assertEquals("standard", range.get("logInstance").asText());
    }
    assertEquals(BigInteger.ONE.shiftLeft(64), expectedStart);
  }

  @Test
  void aRequestThatCannotBeParsedGetsAProblemBodyToo() throws Exception {
    for (String requestLine : new String[] {"GET /v1/kv/%ZZ HTTP/1.1", "PUT /v1/kv/x HTTP/1.1\r\nContent-Length: abc"}) {
      try (java.net.Socket socket = new java.net.Socket("127.0.0.1", node.httpAddress().getPort())) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write((requestLine + "\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(response.startsWith("HTTP/1.1 400"), response);
        assertTrue(response.contains("Content-Type: application/problem+json"), response);
        assertTrue(response.contains("\"status\":400"), response);
      }
    }
  }

  @Test
  void theProfilersViewsShowTheLoad() throws Exception {
    String key = "admin-view-key";
    int rangeIndex = map().indexOf(dev.logshard.core.KeyHash.of(key));
    String rangeId = map().placements().get(rangeIndex).rangeId();
    // The writes show up in the key's own range (the profiler ticks every 200 ms in this test).
    Instant deadline = Instant.now().plusSeconds(15);
    double writes = 0;
    double p99 = 0;
    long keyCount = 0;
    while (writes == 0 || p99 == 0 || keyCount == 0) {
      assertTrue(Instant.now().isBefore(deadline), "the writes and their latency never showed up in /v1/admin/load");
      send(put(key, "v"));
      JsonNode load = json(send(get("/v1/admin/load")));
      assertEquals(16, load.get("ranges").size());
      JsonNode range = load.get("ranges").get(rangeIndex);
      assertEquals(rangeId, range.get("rangeId").asText());
      writes = range.get("writesPerSecond").asDouble();
      p99 = range.get("p99LatencyMillis").asDouble();
      keyCount = range.get("keyCount").asLong(); // null (0 here) until the range reported its size
      Thread.sleep(100);
    }
    // The cluster-wide view (this node's reports, summed) and the node's own.
    JsonNode cluster = json(send(get("/v1/admin/load")));
    assertEquals(1, cluster.get("nodes").size(), cluster.toString());
    assertEquals(1, cluster.get("ranges").get(rangeIndex).get("reportingNodes").asInt());
    JsonNode own = json(send(get("/v1/admin/load?scope=node")));
    assertEquals(16, own.get("ranges").size());
    expectProblem(send(get("/v1/admin/load?scope=galaxy")), 400);
    // Written 50 times more, the key is its range's hottest (every access is sampled in this test).
    for (int i = 0; i < 50; i++) {
      send(put(key, "v" + i));
    }
    deadline = Instant.now().plusSeconds(15);
    String hottest = null;
    while (!key.equals(hottest)) {
      assertTrue(Instant.now().isBefore(deadline), "the hot key never showed up: " + hottest);
      var hot = send(get("/v1/admin/hotkeys?range=" + rangeId));
      assertEquals(200, hot.statusCode());
      JsonNode keys = json(hot).get("hotKeys");
      hottest = keys.isEmpty() ? null : keys.get(0).get("key").asText();
      Thread.sleep(100);
    }
    expectProblem(send(get("/v1/admin/hotkeys")), 400);
    expectProblem(send(get("/v1/admin/hotkeys?range=r99")), 404);
    JsonNode heatmap = json(send(get("/v1/admin/heatmap?resolution=1s")));
    assertEquals(16, heatmap.get("rangeIds").size());
    assertEquals(16, heatmap.get("heat").size());
    assertEquals(600, heatmap.get("heat").get(0).size());
    assertEquals(1440, json(send(get("/v1/admin/heatmap?resolution=1m"))).get("heat").get(0).size());
    expectProblem(send(get("/v1/admin/heatmap?resolution=5s")), 400);
    assertTrue(json(send(get("/v1/admin/anomalies"))).get("anomalies").isArray());
  }

  @Test
  void recordingCanBePausedAndResumedAtRuntime() throws Exception {
    String key = "paused-key";
    int rangeIndex = map().indexOf(dev.logshard.core.KeyHash.of(key));
    assertTrue(json(send(get("/v1/admin/profiler"))).get("recording").asBoolean());
    expectProblem(send(request("/v1/admin/profiler").PUT(BodyPublishers.ofString("{\"recording\":\"no\"}"))), 400);
    var paused = send(request("/v1/admin/profiler").PUT(BodyPublishers.ofString("{\"recording\":false}")));
    assertEquals(200, paused.statusCode());
    assertFalse(json(paused).get("recording").asBoolean());
    try {
      long pausedAt = System.currentTimeMillis();
      for (int i = 0; i < 20; i++) {
        send(put(key, "v" + i));
      }
      // Every tick from the pause on (200 ms each) saw no write on the key's range.
      long writesDone = System.currentTimeMillis();
      Instant deadline = Instant.now().plusSeconds(15);
      long lastTick = 0;
      while (lastTick <= writesDone + 250) {
        assertTrue(Instant.now().isBefore(deadline), "the profiler stopped ticking");
        JsonNode load = json(send(get("/v1/admin/load?scope=node")));
        lastTick = load.get("timeMillis").asLong();
        if (lastTick > pausedAt + 250) {
          assertEquals(0.0, load.get("ranges").get(rangeIndex).get("writesPerSecond").asDouble(), load.toString());
        }
        Thread.sleep(50);
      }
    } finally {
      send(request("/v1/admin/profiler").PUT(BodyPublishers.ofString("{\"recording\":true}")));
    }
    assertTrue(json(send(get("/v1/admin/profiler"))).get("recording").asBoolean());
  }

  @Test
  void rangesOneBatchTouchesAreReportedCorrelated() throws Exception {
    String a = null;
    String b = null;
    for (int i = 0; b == null; i++) { // two keys in different, known ranges
      String key = "pair-" + i;
      if (a == null) {
        a = key;
      } else if (!map().lookup(key).rangeId().equals(map().lookup(a).rangeId())) {
        b = key;
      }
    }
    String body = "{\"operations\": [{\"op\": \"get\", \"key\": \"" + a + "\"}, {\"op\": \"get\", \"key\": \"" + b + "\"}]}";
    for (int i = 0; i < 30; i++) {
      assertEquals(200, send(request("/v1/kv:batch").POST(BodyPublishers.ofString(body))).statusCode());
    }
    java.util.List<String> expected = java.util.stream.Stream.of(map().lookup(a).rangeId(), map().lookup(b).rangeId()).sorted().toList();
    Instant deadline = Instant.now().plusSeconds(15);
    java.util.List<String> top = java.util.List.of();
    while (!top.equals(expected)) {
      assertTrue(Instant.now().isBefore(deadline), "top pair " + top + ", expected " + expected);
      JsonNode pairs = json(send(get("/v1/admin/correlations"))).get("pairs");
      top = pairs.isEmpty() ? java.util.List.of()
          : java.util.stream.Stream.of(pairs.get(0).get("a").asText(), pairs.get(0).get("b").asText()).sorted().toList();
      Thread.sleep(100);
    }
  }

  private static dev.logshard.core.ShardMap map() {
    return node.store().shardMap();
  }

  @Test
  void healthEndpointsAnswer() throws Exception {
    assertEquals(200, send(get("/health/alive")).statusCode());
    assertEquals("ready", json(send(get("/health/ready"))).get("status").asText());
  }
}
