package dev.logshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logshard.core.KeyHash;
import dev.logshard.core.KeyRange;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node's API as the benchmark tools call it: an HTTP client on its own small executor (closed
 * with the target), key-value requests, preloading keys, the map's ranges and the admin API's JSON.
 */
final class HttpTarget implements AutoCloseable {

  private static final int PRELOAD_IN_FLIGHT = 64;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String url;
  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private final HttpClient client =
      HttpClient.newBuilder().executor(executor).connectTimeout(Duration.ofSeconds(5)).build();

  HttpTarget(String url) {
    this.url = url;
  }

  HttpClient client() {
    return client;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  HttpRequest get(String key) {
    return NodeRequests.to(URI.create(url + "/v1/kv/" + key)).timeout(Duration.ofSeconds(30)).GET().build();
  }

  HttpRequest put(String key, byte[] value) {
    return NodeRequests.to(URI.create(url + "/v1/kv/" + key)).timeout(Duration.ofSeconds(30))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build();
  }

  /** The JSON at {@code path} (e.g. {@code /v1/ranges}); fails unless 200. */
  JsonNode getJson(String path) throws IOException, InterruptedException {
    HttpResponse<byte[]> response = client.send(NodeRequests.to(URI.create(url + path))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("GET " + path + ": " + response.statusCode() + " " + new String(response.body()));
    }
    return JSON.readTree(response.body());
  }

  /** PUTs {@code json} to {@code path}; answers the JSON; fails unless 200. */
  JsonNode putJson(String path, String json) throws IOException, InterruptedException {
    HttpResponse<byte[]> response = client.send(NodeRequests.to(URI.create(url + path))
        .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("PUT " + path + ": " + response.statusCode() + " " + new String(response.body()));
    }
    return JSON.readTree(response.body());
  }

  /** The range {@code id} as {@code /v1/ranges} shows it. */
  JsonNode range(String id) throws IOException, InterruptedException {
    for (JsonNode r : getJson("/v1/ranges").get("ranges")) {
      if (r.get("id").asText().equals(id)) {
        return r;
      }
    }
    throw new IllegalArgumentException("no range " + id);
  }

  /** The hashes of range {@code id}. */
  KeyRange bounds(String id) throws IOException, InterruptedException {
    JsonNode r = range(id);
    return new KeyRange(Long.parseUnsignedLong(r.get("start").asText()),
        new BigInteger(r.get("end").asText()).subtract(BigInteger.ONE).longValue());
  }

  /** The first {@code n} keys {@code prefix0, prefix1, …} that hash into {@code range}. */
  static List<String> keysIn(KeyRange range, String prefix, int n) {
    List<String> keys = new ArrayList<>(n);
    for (long i = 0; keys.size() < n; i++) {
      String key = prefix + i;
      if (range.contains(KeyHash.of(key))) {
        keys.add(key);
      }
    }
    return keys;
  }

  /** Writes {@code value} under every key, 64 at a time; fails if any write failed. */
  void preload(Iterable<String> keys, byte[] value) throws InterruptedException {
    Semaphore slots = new Semaphore(PRELOAD_IN_FLIGHT);
    AtomicLong failed = new AtomicLong();
    for (String key : keys) {
      slots.acquire();
      client.sendAsync(put(key, value), HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
        if (e != null || r.statusCode() / 100 != 2) {
          failed.incrementAndGet();
        }
        slots.release();
      });
    }
    slots.acquire(PRELOAD_IN_FLIGHT);
    slots.release(PRELOAD_IN_FLIGHT);
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " preload writes failed");
    }
  }
}
