package dev.logshard.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logshard.core.KeyHash;
import dev.logshard.core.KeyRange;
import java.math.BigInteger;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A node process dies in the middle of a transfer while a client writes to the moving range; after
 * a restart the transfer ends (resumed or rolled back) and every acknowledged write is readable.
 */
class TransferCrashIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int KEYS = 300;

  @TempDir
  Path work;

  private static List<String> options(String... more) {
    List<String> options = new ArrayList<>(List.of(
        "-Dlogshard.transfer.fault-injection=on",
        // The transfers here are started by hand; the planner would start its own on the test's load.
        "-Dlogshard.planner.mode=off",
        "-Dlogshard.transfer.cleanup-after=0s",
        "-Dlogshard.transfer.chunk-bytes=32KiB"));
    options.addAll(List.of(more));
    return options;
  }

  /** The JVM halts on entering the phase (no shutdown hook runs: what kill -9 does). */
  @ParameterizedTest
  @ValueSource(strings = {"SNAPSHOT", "CATCH_UP", "REDIRECT", "FENCE", "COMMITTED"})
  void aTransferInterruptedByACrashEndsAndLosesNoAcknowledgedWrite(String phase) throws Exception {
    crashAndRecover(options("-Dlogshard.transfer.redirect.step=0.25", "-Dlogshard.transfer.redirect.interval=20ms"),
        "{\"kind\":\"move\",\"range\":\"r3\",\"toInstance\":\"fast\",\"fault\":\"crash:" + phase + "\"}",
        (node, kv) -> assertTrue(node.awaitExit(Duration.ofSeconds(60)) == 137, "the node halted at " + phase));
  }

  /** A real SIGKILL from outside, while the transfer ramps reads over (a slow ramp, so it is caught there). */
  @Test
  void aSigkillDuringTheReadRampLosesNoAcknowledgedWrite() throws Exception {
    crashAndRecover(options("-Dlogshard.transfer.redirect.step=0.05", "-Dlogshard.transfer.redirect.interval=100ms"),
        "{\"kind\":\"split\",\"range\":\"r3\"}",
        (node, kv) -> {
          Instant deadline = Instant.now().plusSeconds(60);
          while (!phaseOf(kv, "t1").equals("REDIRECT")) {
            assertTrue(Instant.now().isBefore(deadline), "the transfer never reached REDIRECT");
            Thread.sleep(20);
          }
          node.kill();
        });
  }

  private interface Crash {
    void run(NodeProcess node, HttpKv kv) throws Exception;
  }

  private void crashAndRecover(List<String> options, String transfer, Crash crash) throws Exception {
    Path dataDir = work.resolve("data");
    List<String> keys = new ArrayList<>();
    long[] acknowledged = new long[KEYS];
    byte[][] values = new byte[KEYS][];
    try (NodeProcess node = NodeProcess.start(dataDir, options); HttpKv kv = new HttpKv(node.url())) {
      kv.awaitReady(Duration.ofSeconds(60));
      KeyRange r3 = rangeOf(kv, "r3");
      for (int i = 0; keys.size() < KEYS; i++) {
        if (r3.contains(KeyHash.of("user:" + i))) {
          keys.add("user:" + i);
        }
      }
      for (int i = 0; i < KEYS; i++) {
        write(kv, keys, acknowledged, values, i, 0);
        assertTrue(acknowledged[i] > 0);
      }
      // A writer that keeps going until the node dies; only acknowledged writes are recorded.
      AtomicBoolean writing = new AtomicBoolean(true);
      Thread writer = new Thread(() -> {
        for (int round = 1; writing.get(); round++) {
          for (int i = 0; i < KEYS && writing.get(); i++) {
            write(kv, keys, acknowledged, values, i, round);
          }
        }
      });
      writer.start();
      var started = kv.send("POST", "/v1/admin/transfers", transfer).get(30, TimeUnit.SECONDS);
      assertEquals(202, started.statusCode(), new String(started.body(), StandardCharsets.UTF_8));
      crash.run(node, kv);
      writing.set(false);
      writer.join(60_000);
    }
    try (NodeProcess node = NodeProcess.start(dataDir, options()); HttpKv kv = new HttpKv(node.url())) {
      kv.awaitReady(Duration.ofSeconds(60));
      Instant deadline = Instant.now().plusSeconds(90);
      String phase;
      while (!(phase = phaseOf(kv, "t1")).equals("DONE") && !phase.equals("ROLLED_BACK")) {
        assertTrue(Instant.now().isBefore(deadline), "the transfer did not end after the restart: " + phase);
        Thread.sleep(50);
      }
      for (int i = 0; i < KEYS; i++) {
        HttpResponse<byte[]> read = kv.get(keys.get(i)).get(30, TimeUnit.SECONDS);
        assertEquals(200, read.statusCode(), keys.get(i));
        long version = Long.parseLong(read.headers().firstValue("ETag").orElseThrow().replace("\"", ""));
        // A write the client never heard back from may have landed after the acknowledged one.
        assertTrue(version >= acknowledged[i], keys.get(i) + " went back from version " + acknowledged[i] + " to " + version);
        if (version == acknowledged[i]) {
          assertArrayEquals(values[i], read.body(), keys.get(i));
        }
      }
      var ranges = kv.send("GET", "/v1/ranges", null).get(30, TimeUnit.SECONDS);
      assertEquals(200, ranges.statusCode());
    }
  }

  private static void write(HttpKv kv, List<String> keys, long[] acknowledged, byte[][] values, int i, int round) {
    byte[] value = ("round " + round + " of " + keys.get(i) + " " + "x".repeat(900)).getBytes(StandardCharsets.UTF_8);
    try {
      HttpResponse<byte[]> response = kv.put(keys.get(i), value).get(30, TimeUnit.SECONDS);
      if (response.statusCode() == 200 || response.statusCode() == 201) {
        acknowledged[i] = Long.parseLong(response.headers().firstValue("ETag").orElseThrow().replace("\"", ""));
        values[i] = value;
      }
    } catch (Exception e) {
      // the node is gone: not acknowledged
    }
  }

  private static KeyRange rangeOf(HttpKv kv, String rangeId) throws Exception {
    JsonNode map = JSON.readTree(kv.send("GET", "/v1/ranges", null).get(30, TimeUnit.SECONDS).body());
    for (JsonNode range : map.get("ranges")) {
      if (range.get("id").asText().equals(rangeId)) {
        long start = Long.parseUnsignedLong(range.get("start").asText());
        long last = new BigInteger(range.get("end").asText()).subtract(BigInteger.ONE).longValue();
        return new KeyRange(start, last);
      }
    }
    throw new AssertionError("no range " + rangeId);
  }

  private static String phaseOf(HttpKv kv, String id) throws Exception {
    HttpResponse<byte[]> response = kv.send("GET", "/v1/admin/transfers/" + id, null).get(30, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
    return JSON.readTree(response.body()).get("phase").asText();
  }
}
