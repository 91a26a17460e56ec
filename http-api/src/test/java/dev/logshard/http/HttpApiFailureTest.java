package dev.logshard.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.logshard.actors.rangeshard.LogShardSettings;
import dev.logshard.actors.routing.KeyValueStore;
import dev.logshard.core.Expectation;
import dev.logshard.core.ShardMap;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the API answers when the data path fails: a RangeShard that does not reply in time (the
 * Router's ask fails with a TimeoutException, as {@link KeyValueStore} documents), an internal
 * failure, a range that moved, and a node that is not ready. Those states cannot be produced on
 * demand in a real node, so the store here fails that way on purpose.
 */
class HttpApiFailureTest {

  private static final ActorTestKit testKit = ActorTestKit.create("HttpApiFailureTest");
  private static final HttpClient client = HttpClient.newHttpClient();
  private static String base;

  /** The write to "held": answered when a test says so (its body stays in flight until then). */
  private static final CompletableFuture<KvReply> HELD = new CompletableFuture<>();
  private static final CompletableFuture<Void> HELD_ARRIVED = new CompletableFuture<>();
  /** The same for the node that serves one data request at a time. */
  private static final CompletableFuture<KvReply> HELD_SLOT = new CompletableFuture<>();
  private static final CompletableFuture<Void> HELD_SLOT_ARRIVED = new CompletableFuture<>();

  /** Fails every call as a RangeShard that never answers would. */
  private static final class FailingStore implements KeyValueStore {
    @Override
    public CompletionStage<KvReply> get(String key, int clientId) {
      if (key.equals("moving")) {
        return CompletableFuture.completedFuture(new KvReply.WrongRange("r1.1", 0));
      }
      if (key.equals("busy")) {
        return CompletableFuture.completedFuture(new KvReply.Overloaded());
      }
      if (key.equals("cut-off")) {
        return CompletableFuture.completedFuture(new KvReply.Unreachable());
      }
      if (key.equals("broken")) {
        return CompletableFuture.failedFuture(new IllegalStateException("journal exploded"));
      }
      return CompletableFuture.failedFuture(new TimeoutException("Ask timed out on [RangeShard r3.1] after [5000 ms]"));
    }

    @Override
    public CompletionStage<KvReply> put(String key, byte[] value, Expectation expect, int clientId) {
      if (key.equals("held")) {
        HELD_ARRIVED.complete(null);
        return HELD;
      }
      if (key.equals("held-slot")) {
        HELD_SLOT_ARRIVED.complete(null);
        return HELD_SLOT;
      }
      if (key.equals("fine")) {
        return CompletableFuture.completedFuture(new KvReply.Written(1, true));
      }
      return get(key);
    }

    @Override
    public CompletionStage<KvReply> delete(String key, Expectation expect, int clientId) {
      return get(key);
    }

    @Override
    public CompletionStage<List<KvReply>> batch(List<Operation> operations, int clientId) {
      if (operations.get(0).key().equals("mixed")) {
        // As the router answers when one range applied its part, one timed out and one was full.
        return CompletableFuture.completedFuture(List.of(new KvReply.Written(3, true), new KvReply.NoReply(),
            new KvReply.NoReply(), new KvReply.Overloaded(), new KvReply.Unreachable()));
      }
      return CompletableFuture.failedFuture(new TimeoutException("Ask timed out"));
    }

    @Override
    public ShardMap shardMap() {
      return ShardMap.initial(2, "standard");
    }
  }

  @BeforeAll
  static void start() throws Exception {
    var config = ConfigFactory.load();
    // 1 MiB of request bodies in flight at most.
    HttpSettings settings = new HttpSettings("127.0.0.1", 0, 1024 * 1024, 1024 * 1024, 0, 60, AccessTokens.NONE);
    HttpApi api = new HttpApi(new FailingStore(), LogShardSettings.create(config), settings, () -> false);
    ServerBinding binding = HttpServer.start(testKit.system(), api.routes(), settings).toCompletableFuture().get();
    base = "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertProblem(HttpResponse<String> response, int status, String detailPart) {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
    assertTrue(response.body().contains(detailPart), response.body());
    assertTrue(!response.body().contains("Exception"), "no stack trace or exception name: " + response.body());
  }

  @Test
  void aWriteThatTimedOutIs504OutcomeUnknown() throws Exception {
    for (var request : List.of(
        HttpRequest.newBuilder(URI.create(base + "/v1/kv/slow")).PUT(HttpRequest.BodyPublishers.ofString("v")),
        HttpRequest.newBuilder(URI.create(base + "/v1/kv/slow")).DELETE())) {
      var response = send(request);
      assertProblem(response, 504, "may or may not have been applied");
      assertTrue(response.body().contains("urn:logshard:problem:outcome-unknown"), response.body());
    }
  }

  @Test
  void aFullQueueIs503NotAppliedWithRetryAfter() throws Exception {
    for (var request : List.of(HttpRequest.newBuilder(URI.create(base + "/v1/kv/busy")).GET(),
        HttpRequest.newBuilder(URI.create(base + "/v1/kv/busy")).PUT(HttpRequest.BodyPublishers.ofString("v")))) {
      var response = send(request);
      assertProblem(response, 503, "not applied");
      assertTrue(response.body().contains("urn:logshard:problem:overloaded"), response.body());
      assertEquals("1", response.headers().firstValue("Retry-After").orElse(""));
    }
  }

  @Test
  void aBatchSaysPerOperationWhatWasAppliedAndWhatIsUnknown() throws Exception {
    var response = send(HttpRequest.newBuilder(URI.create(base + "/v1/kv:batch")).POST(HttpRequest.BodyPublishers.ofString(
        "{\"operations\":[{\"op\":\"put\",\"key\":\"mixed\",\"value\":\"dg==\"},"
            + "{\"op\":\"put\",\"key\":\"b\",\"value\":\"dg==\"},{\"op\":\"get\",\"key\":\"c\"},"
            + "{\"op\":\"delete\",\"key\":\"d\"},{\"op\":\"put\",\"key\":\"e\",\"value\":\"dg==\"}]}")));
    assertEquals(200, response.statusCode(), response.body());
    var results = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body()).get("results");
    assertEquals(201, results.get(0).get("status").asInt());
    assertEquals(504, results.get(1).get("status").asInt(), "a write of the range that timed out: unknown");
    assertEquals("urn:logshard:problem:outcome-unknown", results.get(1).get("type").asText());
    assertEquals(503, results.get(2).get("status").asInt(), "a read that timed out: retry");
    assertEquals(503, results.get(3).get("status").asInt());
    assertEquals("urn:logshard:problem:overloaded", results.get(3).get("type").asText());
    assertEquals(503, results.get(4).get("status").asInt(), "held while its node was unreachable: not applied");
    assertEquals("urn:logshard:problem:unavailable", results.get(4).get("type").asText());
    assertTrue(results.get(4).get("detail").asText().startsWith("not applied"), results.get(4).toString());
  }

  @Test
  void aRequestHeldWhileItsRangesNodeWasUnreachableIs503NotApplied() throws Exception {
    for (var request : List.of(HttpRequest.newBuilder(URI.create(base + "/v1/kv/cut-off")).GET(),
        HttpRequest.newBuilder(URI.create(base + "/v1/kv/cut-off")).PUT(HttpRequest.BodyPublishers.ofString("v")))) {
      var response = send(request);
      assertProblem(response, 503, "not applied");
      assertTrue(response.body().contains("urn:logshard:problem:unavailable"), response.body());
      assertTrue(response.body().contains("unreachable"), response.body());
      assertEquals("1", response.headers().firstValue("Retry-After").orElse(""));
    }
  }

  @Test
  void aTimedOutReadIs503WithRetryAfter() throws Exception {
    for (var request : List.of(
        HttpRequest.newBuilder(URI.create(base + "/v1/kv/slow")).GET(),
        HttpRequest.newBuilder(URI.create(base + "/v1/kv:batch"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"operations\":[{\"op\":\"get\",\"key\":\"a\"}]}")))) {
      var response = send(request);
      assertProblem(response, 503, "in time");
      assertEquals("1", response.headers().firstValue("Retry-After").orElse(""));
    }
  }

  @Test
  void bodiesBeyondTheNodesBudgetInFlightAreRefusedAtOnceAndItIsGivenBack() throws Exception {
    byte[] value = new byte[600 * 1024];
    var held = client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/kv/held"))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build(), HttpResponse.BodyHandlers.ofString());
    HELD_ARRIVED.get(10, java.util.concurrent.TimeUnit.SECONDS);
    // 600 KiB are in flight: another 600 KiB do not fit in 1 MiB.
    var refused = send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/fine")).PUT(HttpRequest.BodyPublishers.ofByteArray(value)));
    assertProblem(refused, 503, "max-body-bytes-in-flight");
    assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
    HELD.complete(new KvReply.Written(7, true));
    assertEquals(201, held.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode());
    // Answered, its bytes are given back: the same body now goes through.
    assertEquals(201, send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/fine"))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(value))).statusCode());
  }

  @Test
  void requestsBeyondTheNodesBoundInFlightAreRefusedAtOnceAndTheSlotIsGivenBack() throws Exception {
    // A node that serves one data request at a time.
    HttpSettings one = new HttpSettings("127.0.0.1", 0, 1024 * 1024, 1024 * 1024, 1, 60, AccessTokens.NONE);
    HttpApi api = new HttpApi(new FailingStore(), LogShardSettings.create(ConfigFactory.load()), one, () -> true);
    ServerBinding binding = HttpServer.start(testKit.system(), api.routes(), one).toCompletableFuture().get();
    String node = "http://127.0.0.1:" + binding.localAddress().getPort();
    try {
      var held = client.sendAsync(HttpRequest.newBuilder(URI.create(node + "/v1/kv/held-slot"))
          .PUT(HttpRequest.BodyPublishers.ofString("v")).build(), HttpResponse.BodyHandlers.ofString());
      HELD_SLOT_ARRIVED.get(10, java.util.concurrent.TimeUnit.SECONDS);
      for (var request : List.of(
          HttpRequest.newBuilder(URI.create(node + "/v1/kv/fine")).PUT(HttpRequest.BodyPublishers.ofString("v")),
          HttpRequest.newBuilder(URI.create(node + "/v1/kv/fine")).GET(),
          HttpRequest.newBuilder(URI.create(node + "/v1/kv:batch"))
              .POST(HttpRequest.BodyPublishers.ofString("{\"operations\":[{\"op\":\"get\",\"key\":\"a\"}]}")))) {
        var refused = send(request);
        assertProblem(refused, 503, "max-requests-in-flight");
        assertTrue(refused.body().contains("not applied"), refused.body());
        assertTrue(refused.body().contains("urn:logshard:problem:overloaded"), refused.body());
        assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
      }
      // Health, the map and the admin API are not data requests: an operator still reaches them.
      assertEquals(200, send(HttpRequest.newBuilder(URI.create(node + "/health/ready")).GET()).statusCode());
      assertEquals(200, send(HttpRequest.newBuilder(URI.create(node + "/v1/ranges")).GET()).statusCode());
      HELD_SLOT.complete(new KvReply.Written(2, true));
      assertEquals(201, held.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode());
      // Answered, whatever the answer, its slot is given back: a failure, then a write, go through.
      assertProblem(send(HttpRequest.newBuilder(URI.create(node + "/v1/kv/broken")).GET()), 500, "node log");
      assertEquals(201, send(HttpRequest.newBuilder(URI.create(node + "/v1/kv/fine"))
          .PUT(HttpRequest.BodyPublishers.ofString("v"))).statusCode());
    } finally {
      binding.unbind().toCompletableFuture().get();
    }
  }

  @Test
  void aRangeThatMovedIs503WithRetryAfter() throws Exception {
    var response = send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/moving")).GET());
    assertProblem(response, 503, "moving");
    assertEquals("1", response.headers().firstValue("Retry-After").orElse(""));
  }

  @Test
  void anInternalFailureIs500WithoutItsStackTrace() throws Exception {
    assertProblem(send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/broken")).GET()), 500, "node log");
  }

  @Test
  void theAdminViewsSay404WhenTheProfilerIsOff() throws Exception {
    assertProblem(send(HttpRequest.newBuilder(URI.create(base + "/v1/admin/load")).GET()), 404, "profiler is off");
  }

  @Test
  void aNodeThatIsNotReadySays503() throws Exception {
    assertProblem(send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).GET()), 503, "joined");
    assertEquals(200, send(HttpRequest.newBuilder(URI.create(base + "/health/alive")).GET()).statusCode());
  }
}
