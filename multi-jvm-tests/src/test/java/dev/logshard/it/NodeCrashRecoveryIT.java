package dev.logshard.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real node process: what it acknowledged survives a kill -9. */
class NodeCrashRecoveryIT {

  private static final int KEYS = 10_000;
  private static final int IN_FLIGHT = 32;

  @TempDir
  Path work;

  private static String key(int i) {
    return "user:" + i;
  }

  private static byte[] value(int i, int round) {
    return ("value of " + key(i) + " in round " + round + " " + "x".repeat(i % 200)).getBytes(StandardCharsets.UTF_8);
  }

  /** Runs {@code request(i)} for every i with at most IN_FLIGHT at once; returns the responses. */
  private static List<HttpResponse<byte[]>> run(int n, IntFunction<CompletableFuture<HttpResponse<byte[]>>> request)
      throws Exception {
    Semaphore slots = new Semaphore(IN_FLIGHT);
    List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      slots.acquire();
      all.add(request.apply(i).whenComplete((r, e) -> slots.release()));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
    return all.stream().map(CompletableFuture::join).toList();
  }

  @Test
  void everyAcknowledgedWriteSurvivesAKillMinus9() throws Exception {
    Path dataDir = work.resolve("data");
    long[] versions = new long[KEYS];
    int[] rounds = new int[KEYS];
    try (NodeProcess node = NodeProcess.start(dataDir); HttpKv kv = new HttpKv(node.url())) {
      kv.awaitReady(Duration.ofSeconds(60));
      List<HttpResponse<byte[]>> created = run(KEYS, i -> kv.put(key(i), value(i, 0)));
      for (int i = 0; i < KEYS; i++) {
        assertEquals(201, created.get(i).statusCode(), key(i));
        versions[i] = etag(created.get(i));
      }
      // A second round on every third key, so versions differ from key to key.
      List<HttpResponse<byte[]>> updated = run(KEYS / 3, j -> kv.put(key(3 * j), value(3 * j, 1)));
      for (int j = 0; j < KEYS / 3; j++) {
        assertEquals(200, updated.get(j).statusCode());
        versions[3 * j] = etag(updated.get(j));
        rounds[3 * j] = 1;
      }
      // Killed right after the last acknowledgement: no shutdown hook runs.
      node.kill();
    }

    try (NodeProcess node = NodeProcess.start(dataDir); HttpKv kv = new HttpKv(node.url())) {
      kv.awaitReady(Duration.ofSeconds(60));
      List<HttpResponse<byte[]>> read = run(KEYS, i -> kv.get(key(i)));
      int wrong = 0;
      for (int i = 0; i < KEYS; i++) {
        HttpResponse<byte[]> r = read.get(i);
        if (r.statusCode() != 200 || etag(r) != versions[i]) {
          wrong++;
          continue;
        }
        assertArrayEquals(value(i, rounds[i]), r.body(), key(i));
      }
      assertEquals(0, wrong, "keys lost or at the wrong version after kill -9 and restart");
      assertTrue(node.stop(Duration.ofSeconds(60)), "a SIGTERM'd node exits within 60 s");
    }
  }

  private static long etag(HttpResponse<?> response) {
    String tag = response.headers().firstValue("ETag").orElseThrow();
    return Long.parseLong(tag.replace("\"", ""));
  }
}
