package dev.logshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logshard.core.KeyRange;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import site.ycsb.generator.ScrambledZipfianGenerator;

/**
 * Moves one loaded range between log instances while an open-loop YCSB-A load runs over the whole
 * ring, and a probe reads and writes the moving range's own keys; reports failed requests, the
 * longest gap between successful probe writes, throughput and p99 before vs during the transfer,
 * the saga's fence window, duration and MB/s. Runs the live protocol and the naive stop-and-copy
 * baseline side by side in one run.
 */
@Command(name = "transfer", mixinStandardHelpOptions = true,
    description = "Move a loaded range under load, live and stop-and-copy, and report the disruption.")
public final class TransferBench implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Worker threads (blocking requests, one connection each) of the open-loop load and of the probe. */
  private static final int LOAD_WORKERS = 128;
  private static final int PROBE_WORKERS = 16;

  @Mixin
  TargetOptions target = new TargetOptions();

  @Option(names = "--range", description = "Range to move (default: ${DEFAULT-VALUE}).")
  String range = "r3";

  @Option(names = "--range-keys", description = "Keys preloaded into the range (default: ${DEFAULT-VALUE}).")
  int rangeKeys = 100_000;

  @Option(names = "--rate", description = "Load in requests/s; 0: fractions of the closed-loop maximum measured first (default: ${DEFAULT-VALUE}).")
  int rate = 0;

  @Option(names = "--rate-fractions", split = ",", description = "With --rate 0: fractions of the measured maximum, one run each (default: ${DEFAULT-VALUE}).")
  List<Double> rateFractions = List.of(0.5);

  @Option(names = "--probe-rate", description = "Probe requests/s on the moving range, half writes (default: ${DEFAULT-VALUE}).")
  int probeRate = 200;

  @Option(names = "--before-seconds", description = "Load before each transfer starts (default: ${DEFAULT-VALUE}).")
  int beforeSeconds = 10;

  @Option(names = "--after-seconds", description = "Load after each transfer ends (default: ${DEFAULT-VALUE}).")
  int afterSeconds = 3;

  @Option(names = "--modes", split = ",", description = "live and/or stop-and-copy (default: ${DEFAULT-VALUE}).")
  List<String> modes = List.of("live", "stop-and-copy");

  @Option(names = "--repeat", description = "Moves per load and mode, back and forth between the log instances;"
      + " with more than one, a summary of their fence and write gap (default: ${DEFAULT-VALUE}).")
  int repeat = 1;

  @Option(names = "--skip-preload", description = "The range keys are already there.")
  boolean skipPreload;

  @Option(names = "--warmup-seconds", description = "Load at the first rate before the first move, not measured"
      + " (a node that just started still compiles its request path; default: ${DEFAULT-VALUE}).")
  int warmupSeconds = 0;

  @Option(names = "--across-nodes", description = "In a cluster: each move also names another node than the"
      + " one running the range (toNode), so the range moves between nodes.")
  boolean acrossNodes;

  private HttpClient client;
  private HttpTarget http;
  private YcsbALoad ycsb;

  @Override
  public Integer call() throws Exception {
    http = new HttpTarget(target.url);
    client = http.client();
    ycsb = new YcsbALoad(http, target.records);
    // The moves here are the bench's own: the planner would start others on the same load.
    String plannerMode = setPlannerMode("off");
    System.out.printf(Locale.ROOT, "planner off for the bench's own moves (it was %s)%n", plannerMode);
    try {
      KeyRange keyRange = http.bounds(range);
      List<String> moving = HttpTarget.keysIn(keyRange, "moving:", rangeKeys);
      byte[] value = new byte[target.valueBytes];
      new Random(7).nextBytes(value);
      if (!skipPreload) {
        long t0 = System.nanoTime();
        http.preload(moving, value);
        List<String> ring = new ArrayList<>();
        for (int i = 0; i < target.records; i++) {
          ring.add("user:" + i);
        }
        http.preload(ring, value);
        System.out.printf(Locale.ROOT, "preloaded %d keys into %s and %d over the ring in %.1f s%n",
            moving.size(), range, target.records, (System.nanoTime() - t0) / 1e9);
      }
      List<Integer> rates = new ArrayList<>();
      if (rate > 0) {
        rates.add(rate);
      } else {
        int max = ycsb.calibrate(value);
        rateFractions.forEach(f -> rates.add((int) (max * f)));
      }
      if (warmupSeconds > 0) {
        warmUp(rates.get(0), value);
      }
      for (int loadRate : rates) {
        for (String mode : modes) {
          Histogram fences = new Histogram(3);
          Histogram gaps = new Histogram(3);
          Histogram gapsBefore = new Histogram(3);
          Map<String, Histogram> steps = new LinkedHashMap<>();
          Histogram ordinaryWrites = new Histogram(3); // the load's writes in the seconds before each move
          Histogram windowWriteP99s = new Histogram(3);
          long failed = 0;
          for (int i = 0; i < repeat; i++) {
            String to = instanceOf(range).equals("fast") ? "standard" : "fast";
            Move move = runOne(mode, to, loadRate, moving, value);
            fences.recordValue(move.fenceMillis());
            gaps.recordValue(move.longestWriteGapMillis());
            gapsBefore.recordValue(move.longestWriteGapBeforeMillis());
            move.fenceSteps().forEach((step, millis) -> steps.computeIfAbsent(step, s -> new Histogram(3)).recordValue(millis));
            failed += move.failedRequests();
            ordinaryWrites.add(move.writesBefore());
            windowWriteP99s.recordValue(move.writesBefore().getValueAtPercentile(99));
          }
          if (repeat > 1) {
            System.out.printf(Locale.ROOT,
                // The headline: how long the range took no writes, as its clients saw it (the longest gap
                // between acknowledged probe writes: from the fence until the destination accepted the
                // held writes re-sent to it), beside the same gap without a move; then the saga's fence
                // (fence start to every source handed off) and its steps.
                "RESULT moves mode=%s rate=%d moves=%d write_unavailable_ms_p50=%d write_unavailable_ms_p90=%d"
                    + " write_unavailable_ms_max=%d write_gap_without_move_ms_p50=%d write_gap_without_move_ms_max=%d"
                    + " fence_to_handoff_ms_p50=%d fence_to_handoff_ms_p90=%d fence_to_handoff_ms_max=%d"
                    + " failed_requests=%d ordinary_write_p99_ms=%.1f ordinary_write_p99_ms_per_window_p50=%.1f"
                    + " ordinary_write_p99_ms_per_window_min=%.1f%n",
                mode, loadRate, repeat, gaps.getValueAtPercentile(50), gaps.getValueAtPercentile(90), gaps.getMaxValue(),
                gapsBefore.getValueAtPercentile(50), gapsBefore.getMaxValue(), fences.getValueAtPercentile(50),
                fences.getValueAtPercentile(90), fences.getMaxValue(), failed,
                // Ordinary writes: the load's writes in the seconds before the moves, all windows together,
                // then the median and least of each window's own p99.
                ordinaryWrites.getValueAtPercentile(99) / 1000.0, windowWriteP99s.getValueAtPercentile(50) / 1000.0,
                windowWriteP99s.getMinValue() / 1000.0);
            StringBuilder line = new StringBuilder("RESULT fence-steps mode=" + mode + " rate=" + loadRate);
            steps.forEach((step, h) -> line.append(String.format(Locale.ROOT, " %s_ms_p50=%d %s_ms_p90=%d %s_ms_max=%d",
                step, h.getValueAtPercentile(50), step, h.getValueAtPercentile(90), step, h.getMaxValue())));
            System.out.println(line);
          }
        }
      }
      return 0;
    } finally {
      setPlannerMode(plannerMode);
      http.close();
    }
  }

  /** Sets the planner's mode; answers the mode it had. */
  private String setPlannerMode(String mode) throws Exception {
    String before = http.getJson("/v1/admin/planner").get("mode").asText();
    http.putJson("/v1/admin/planner", "{\"mode\":\"" + mode + "\"}");
    return before;
  }

  private void warmUp(int loadRate, byte[] value) throws InterruptedException {
    AtomicBoolean running = new AtomicBoolean(true);
    Thread loadThread = new Thread(() -> ycsb.openLoop(running, loadRate, LOAD_WORKERS,
        () -> new ScrambledZipfianGenerator(target.records), "user:", null, value, new Recorder(3), null,
        new AtomicLong(), null, null, null), "warm-up");
    loadThread.start();
    Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));
    running.set(false);
    loadThread.join();
    System.out.printf(Locale.ROOT, "warmed up for %d s at %d requests/s%n", warmupSeconds, loadRate);
  }

  /** What one move showed: its fence, the longest gap between successful writes to the range, failed requests. */
  private record Move(long fenceMillis, Map<String, Long> fenceSteps, long longestWriteGapMillis,
      long longestWriteGapBeforeMillis, long failedRequests, Histogram writesBefore) {}

  private Move runOne(String mode, String toInstance, int loadRate, List<String> moving, byte[] value) throws Exception {
    Recorder load = new Recorder(3);
    Recorder loadWrites = new Recorder(3);
    AtomicLong loadErrors = new AtomicLong();
    AtomicLong probeErrors = new AtomicLong();
    AtomicLong lastProbeWrite = new AtomicLong(System.nanoTime());
    AtomicLong longestWriteGap = new AtomicLong();
    AtomicBoolean measuringGap = new AtomicBoolean(false);
    AtomicBoolean running = new AtomicBoolean(true);
    Thread loadThread = new Thread(() -> ycsb.openLoop(running, loadRate, LOAD_WORKERS,
        () -> new ScrambledZipfianGenerator(target.records), "user:", null, value, load, loadWrites, loadErrors, null, null,
        null),
        "load");
    Thread probeThread = new Thread(() -> ycsb.openLoop(running, probeRate, PROBE_WORKERS, null, null, moving, value, null,
        null, probeErrors, lastProbeWrite, longestWriteGap, measuringGap), "probe");
    loadThread.start();
    probeThread.start();

    List<double[]> seconds = new ArrayList<>(); // {elapsed s, ops/s, p99 ms}
    long t0 = System.nanoTime();
    // The longest gap between probe writes before the transfer too: what the node's ordinary stalls give.
    lastProbeWrite.set(System.nanoTime());
    measuringGap.set(true);
    Histogram before = sample(load, seconds, t0, beforeSeconds);
    Histogram writesBefore = loadWrites.getIntervalHistogram();
    long longestWriteGapBefore = longestWriteGap.getAndSet(0);
    lastProbeWrite.set(System.nanoTime());
    String body = "{\"kind\":\"move\",\"range\":\"" + range + "\",\"toInstance\":\"" + toInstance + "\""
        + (acrossNodes ? ",\"toNode\":\"" + otherNode() + "\"" : "")
        + (mode.equals("live") ? "" : ",\"mode\":\"" + mode + "\"") + "}";
    HttpResponse<byte[]> started = client.send(NodeRequests.to(URI.create(target.url + "/v1/admin/transfers"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    if (started.statusCode() != 202) {
      throw new IllegalStateException("transfer refused: " + new String(started.body()));
    }
    String id = JSON.readTree(started.body()).get("id").asText();
    long transferStart = System.nanoTime();
    long loadErrorsBefore = loadErrors.get();
    long probeErrorsBefore = probeErrors.get();
    Histogram during = new Histogram(3);
    JsonNode progress;
    load.getIntervalHistogram(); // the interval so far belongs to "before"
    while (true) {
      Thread.sleep(1000);
      Histogram second = load.getIntervalHistogram();
      during.add(second);
      seconds.add(new double[] {(System.nanoTime() - t0) / 1e9, second.getTotalCount(), second.getValueAtPercentile(99) / 1000.0});
      progress = progress(id);
      String phase = progress.get("phase").asText();
      if (phase.equals("DONE") || phase.equals("ROLLED_BACK") || phase.equals("COMMITTED")) {
        break;
      }
    }
    double transferSeconds = (System.nanoTime() - transferStart) / 1e9;
    long loadErrorsDuring = loadErrors.get() - loadErrorsBefore;
    long probeErrorsDuring = probeErrors.get() - probeErrorsBefore;
    measuringGap.set(false);
    sample(load, seconds, t0, afterSeconds);
    running.set(false);
    loadThread.join();
    probeThread.join();
    // Each move is measured alone: the next waits for this one's cleanup (logshard.transfer.cleanup-after).
    // Its progress then has every fence step: at COMMITTED the hand-off may not be done yet.
    for (long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5); ; ) {
      JsonNode now = progress(id);
      if (now.get("phase").asText().equals("DONE") || now.get("phase").asText().equals("ROLLED_BACK")
          || System.nanoTime() > deadline) {
        progress = now;
        break;
      }
      Thread.sleep(200);
    }

    // Throughput counts successes; the latency histograms count every request (failures at their time to failure).
    double beforeRate = (before.getTotalCount() - loadErrorsBefore) / (double) beforeSeconds;
    double duringRate = (during.getTotalCount() - loadErrorsDuring) / transferSeconds;
    double mb = progress.get("bytesCopied").asLong() / 1e6;
    double copyMillis = progress.get("phaseMillis").path("SNAPSHOT").asDouble();
    System.out.printf(Locale.ROOT,
        "RESULT transfer mode=%s range=%s to=%s outcome=%s rate=%d keys_copied=%d mb_copied=%.1f duration_s=%.1f"
            + " snapshot_mb_per_s=%.1f write_unavailable_ms=%.0f (without a move: %.0f) fence_to_handoff_ms=%d errors_before=%d/%d"
            + " errors_during=%d/%d"
            + " ops_per_s_before=%.0f ops_per_s_during=%.0f dip_pct=%.1f p99_ms_before=%.1f p99_ms_during=%.1f phases=%s"
            + " fence_steps=%s write_p99_ms_before=%.1f%n",
        mode, range, toInstance, progress.get("phase").asText(), loadRate, progress.get("keysCopied").asLong(), mb,
        transferSeconds, copyMillis > 0 ? mb / (copyMillis / 1000.0) : 0,
        longestWriteGap.get() / 1e6, longestWriteGapBefore / 1e6, progress.get("fenceMillis").asLong(), loadErrorsBefore, probeErrorsBefore, loadErrorsDuring, probeErrorsDuring,
        beforeRate, duringRate,
        100.0 * (beforeRate - duringRate) / beforeRate, before.getValueAtPercentile(99) / 1000.0,
        during.getValueAtPercentile(99) / 1000.0, progress.get("phaseMillis"), progress.get("fenceStepMillis"),
        writesBefore.getValueAtPercentile(99) / 1000.0);
    for (double[] s : seconds) {
      System.out.printf(Locale.ROOT, "SECOND mode=%s t=%.0f ops=%.0f p99_ms=%.1f%n", mode, s[0], s[1], s[2]);
    }
    Map<String, Long> fenceSteps = new LinkedHashMap<>();
    progress.path("fenceStepMillis").fields().forEachRemaining(e -> fenceSteps.put(e.getKey(), e.getValue().asLong()));
    return new Move(progress.get("fenceMillis").asLong(), fenceSteps, longestWriteGap.get() / 1_000_000,
        longestWriteGapBefore / 1_000_000, loadErrorsDuring + probeErrorsDuring, writesBefore);
  }

  /** The transfer's progress; an overloaded node may not answer at once, so it asks until it does (2 min). */
  private JsonNode progress(String id) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (true) {
      try {
        HttpResponse<byte[]> response = client.send(NodeRequests.to(URI.create(target.url + "/v1/admin/transfers/" + id))
            .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 200) {
          return JSON.readTree(response.body());
        }
      } catch (java.io.IOException e) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no progress of transfer " + id + " for 2 minutes", e);
        }
      }
      Thread.sleep(200);
    }
  }

  private static Histogram sample(Recorder load, List<double[]> seconds, long t0, int n) throws InterruptedException {
    Histogram total = new Histogram(3);
    load.getIntervalHistogram();
    for (int i = 0; i < n; i++) {
      Thread.sleep(1000);
      Histogram second = load.getIntervalHistogram();
      total.add(second);
      seconds.add(new double[] {(System.nanoTime() - t0) / 1e9, second.getTotalCount(), second.getValueAtPercentile(99) / 1000.0});
    }
    return total;
  }

  /** An up node other than the one running the range now (from {@code /v1/admin/nodes}). */
  private String otherNode() throws Exception {
    String entityId = http.range(range).get("entityId").asText();
    HttpResponse<byte[]> response = client.send(NodeRequests.to(URI.create(target.url + "/v1/admin/nodes")).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    String other = null;
    for (JsonNode node : JSON.readTree(response.body()).get("nodes")) {
      boolean runsIt = false;
      for (JsonNode hosted : node.path("ranges")) {
        runsIt |= hosted.asText().equals(entityId);
      }
      if (!runsIt && node.get("status").asText().equals("Up") && other == null) {
        other = node.get("address").asText();
      }
    }
    if (other == null) {
      throw new IllegalStateException("no other node is up to move " + range + " to: " + new String(response.body()));
    }
    System.out.printf(Locale.ROOT, "moving %s (%s) to node %s%n", range, entityId, other);
    return other;
  }

  private String instanceOf(String id) throws Exception {
    return http.range(id).get("logInstance").asText();
  }
}
