package dev.logshard.it;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A small HTTP client of the key-value API for the tests, with its own bounded executor. */
final class HttpKv implements AutoCloseable {

  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private final HttpClient client = HttpClient.newBuilder()
      .executor(executor).connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  HttpKv(String base) {
    this.base = base;
  }

  static String path(String key) {
    return "/v1/kv/" + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
  }

  CompletableFuture<HttpResponse<byte[]>> put(String key, byte[] value) {
    return client.sendAsync(
        HttpRequest.newBuilder(URI.create(base + path(key))).timeout(Duration.ofSeconds(30))
            .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A compare-and-set: the write only happens if the key is still at {@code etag}'s version. */
  CompletableFuture<HttpResponse<byte[]>> putIfMatch(String key, byte[] value, String etag) {
    return client.sendAsync(
        HttpRequest.newBuilder(URI.create(base + path(key))).timeout(Duration.ofSeconds(30)).header("If-Match", etag)
            .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  CompletableFuture<HttpResponse<byte[]>> get(String key) {
    return client.sendAsync(
        HttpRequest.newBuilder(URI.create(base + path(key))).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Any request: {@code body} null for none. */
  CompletableFuture<HttpResponse<byte[]>> send(String method, String path, String body) {
    return client.sendAsync(
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Polls {@code /health/ready} until 200 or the deadline. */
  void awaitReady(Duration within) throws InterruptedException {
    Instant deadline = Instant.now().plus(within);
    while (Instant.now().isBefore(deadline)) {
      try {
        var response = client.send(
            HttpRequest.newBuilder(URI.create(base + "/health/ready")).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not accepting connections yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(base + " not ready within " + within);
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
