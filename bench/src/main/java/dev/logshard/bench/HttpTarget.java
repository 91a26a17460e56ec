package dev.logshard.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node's key-value API as the benchmark tools call it: an HTTP client on its own small executor
 * (closed with the target), requests, and preloading keys.
 */
final class HttpTarget implements AutoCloseable {

  private static final int PRELOAD_IN_FLIGHT = 64;

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
    return HttpRequest.newBuilder(URI.create(url + "/v1/kv/" + key)).timeout(Duration.ofSeconds(30)).GET().build();
  }

  HttpRequest put(String key, byte[] value) {
    return HttpRequest.newBuilder(URI.create(url + "/v1/kv/" + key)).timeout(Duration.ofSeconds(30))
        .PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build();
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
