package dev.logshard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.logshard.core.KeyHash;
import dev.logshard.core.KeyRange;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
import site.ycsb.generator.NumberGenerator;
import site.ycsb.generator.ScrambledZipfianGenerator;

/**
 * A hotspot on a live node, and what the planner does about it: YCSB-A (half reads, half writes)
 * from closed-loop clients, {@code --hot-share} of the requests to Zipfian keys of one range
 * ({@code --range}), the rest to Zipfian keys over the ring. The planner is off while the keys are
 * written and for a warm-up under the load; then its mode is set ({@code --planner}) and the bench
 * reports, every 10 s and for the first and last windows, the hot
 * range's successful requests per second and p99 (failures count at their time to failure), the
 * failures, and the map; at the end, the planner's decisions with their reasons.
 */
@Command(name = "planner", mixinStandardHelpOptions = true,
    description = "A hotspot under YCSB-A on a live node, with the planner in a given mode.")
final class PlannerBench implements Callable<Integer> {

  private static final int WINDOW_SECONDS = 10;

  @Mixin
  TargetOptions target = new TargetOptions();

  @Option(names = "--planner", description = "The planner's mode for the run (default: ${DEFAULT-VALUE}).")
  String planner = "predictive";

  @Option(names = "--range", description = "The range that gets hot (default: ${DEFAULT-VALUE}).")
  String range = "r3";

  @Option(names = "--hot-keys", description = "Keys of the hot range (default: ${DEFAULT-VALUE}).")
  int hotKeys = 1_000;

  @Option(names = "--hot-share", description = "Share of requests to the hot range (default: ${DEFAULT-VALUE}).")
  double hotShare = 0.8;

  @Option(names = "--clients", description = "Closed-loop clients (default: ${DEFAULT-VALUE}).")
  int clients = 16;

  @Option(names = "--seconds", description = "Measured load time, after the planner is set (default: ${DEFAULT-VALUE}).")
  int seconds = 120;

  @Option(names = "--warmup-seconds", description = "Load before, with the planner off, not measured (default: "
      + "${DEFAULT-VALUE}).")
  int warmupSeconds = 30;

  @Option(names = "--label", description = "Name for the result lines (default: the planner's mode).")
  String label;

  @Override
  public Integer call() throws Exception {
    String name = label != null ? label : planner;
    try (HttpTarget http = new HttpTarget(target.url)) {
      KeyRange hotRange = http.bounds(range);
      // Off while the keys are written and the node warms up: a preload into one range is a hotspot too.
      http.putJson("/v1/admin/planner", "{\"mode\":\"off\"}");
      List<String> hot = HttpTarget.keysIn(hotRange, "hot:", hotKeys);
      byte[] value = new byte[target.valueBytes];
      new Random(7).nextBytes(value);
      List<String> ring = new ArrayList<>();
      for (int i = 0; i < target.records; i++) {
        ring.add("user:" + i);
      }
      http.preload(hot, value);
      http.preload(ring, value);

      Recorder hotLatency = new Recorder(3);
      AtomicLong failures = new AtomicLong();
      AtomicLong hotSuccesses = new AtomicLong();
      AtomicBoolean running = new AtomicBoolean(true);
      List<Thread> threads = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        Random random = new Random(c);
        NumberGenerator hotRank = new ScrambledZipfianGenerator(hot.size());
        NumberGenerator ringRank = new ScrambledZipfianGenerator(target.records);
        Thread t = new Thread(() -> {
          while (running.get()) {
            boolean toHot = random.nextDouble() < hotShare;
            String key = toHot ? hot.get(hotRank.nextValue().intValue()) : ring.get(ringRank.nextValue().intValue());
            long start = System.nanoTime();
            int status;
            try {
              status = http.client().send(random.nextBoolean() ? http.get(key) : http.put(key, value),
                  HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
              status = 0;
            }
            boolean inHot = hotRange.contains(KeyHash.of(key));
            if (inHot) {
              // A failure counts at its time to failure in the latency, and not in the throughput.
              hotLatency.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
            }
            if (status / 100 != 2) {
              failures.incrementAndGet();
            } else if (inHot) {
              hotSuccesses.incrementAndGet();
            }
          }
        }, "client-" + c);
        t.start();
        threads.add(t);
      }
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmupSeconds));
      long failedInWarmUp = failures.get();
      http.putJson("/v1/admin/planner", "{\"mode\":\"" + planner + "\"}");
      List<double[]> windows = new ArrayList<>(); // {hot successes per s, hot p99 ms}
      hotLatency.getIntervalHistogram();
      for (int w = 0; w < seconds / WINDOW_SECONDS; w++) {
        long failedBefore = failures.get();
        long okBefore = hotSuccesses.get();
        Thread.sleep(TimeUnit.SECONDS.toMillis(WINDOW_SECONDS));
        Histogram h = hotLatency.getIntervalHistogram();
        long failed = failures.get() - failedBefore;
        double perSecond = (double) (hotSuccesses.get() - okBefore) / WINDOW_SECONDS;
        double p99 = h.getValueAtPercentile(99) / 1000.0;
        windows.add(new double[] {perSecond, p99});
        JsonNode map = http.getJson("/v1/ranges");
        System.out.printf(Locale.ROOT, "WINDOW planner=%s t=%d hot_requests_per_s=%.0f hot_p99_ms=%.1f failed=%d ranges=%d%n",
            name, (w + 1) * WINDOW_SECONDS, perSecond, p99, failed, map.get("ranges").size());
      }
      running.set(false);
      for (Thread t : threads) {
        t.join();
      }
      double[] first = windows.get(0);
      double[] last = windows.get(windows.size() - 1);
      System.out.printf(Locale.ROOT, "RESULT planner=%s hot_requests_per_s_first=%.0f hot_requests_per_s_last=%.0f "
          + "hot_p99_ms_first=%.1f hot_p99_ms_last=%.1f failed=%d failed_in_warmup=%d ranges=%d%n", name, first[0],
          last[0], first[1], last[1], failures.get() - failedInWarmUp, failedInWarmUp,
          http.getJson("/v1/ranges").get("ranges").size());
      for (JsonNode d : http.getJson("/v1/admin/plan").get("decisions")) {
        System.out.printf(Locale.ROOT, "DECISION planner=%s %s %s%s: %s%n", name, d.get("kind").asText(),
            d.get("rangeIds"), d.path("toInstance").isTextual() ? " to " + d.get("toInstance").asText() : "",
            d.get("reason").asText());
      }
    }
    return 0;
  }
}
