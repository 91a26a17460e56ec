package dev.logshard.bench;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import site.ycsb.generator.NumberGenerator;
import site.ycsb.generator.ScrambledZipfianGenerator;
import site.ycsb.generator.UniformLongGenerator;

/**
 * Drives a running node over HTTP with a YCSB-like mix (A = 50/50, B = 95/5, C = 100/0
 * read/update), Zipfian (0.99) or uniform keys and fixed-size values, and reports throughput and
 * latency percentiles from HdrHistogram.
 *
 * <p>Closed loop: {@code --clients} workers, each sending its next request when the last one
 * answered. Open loop: requests are scheduled at {@code --rate} per second whatever the answers,
 * and latency is measured from each request's scheduled time, so a stall is charged to every
 * request it delayed (no coordinated omission).
 */
@Command(name = "load", mixinStandardHelpOptions = true, description = "Run a load against a LogShard node.")
public final class LoadGenerator implements Callable<Integer> {

  enum Mix {
    A(0.50), B(0.95), C(1.00), W(0.00);

    final double readFraction;

    Mix(double readFraction) {
      this.readFraction = readFraction;
    }
  }

  enum Distribution { zipfian, uniform }

  enum Mode { closed, open }

  @Mixin
  TargetOptions target = new TargetOptions();

  @Option(names = "--mix", description = "A, B, C or W (writes only) (default: ${DEFAULT-VALUE}).")
  Mix mix = Mix.A;

  @Option(names = "--distribution", description = "zipfian or uniform (default: ${DEFAULT-VALUE}).")
  Distribution distribution = Distribution.zipfian;

  @Option(names = "--mode", description = "closed or open loop (default: ${DEFAULT-VALUE}).")
  Mode mode = Mode.closed;

  @Option(names = "--clients", description = "Concurrent clients, closed loop (default: ${DEFAULT-VALUE}).")
  int clients = 16;

  @Option(names = "--rate", description = "Requests per second, open loop.")
  int rate = 1000;

  @Option(names = "--max-in-flight", description = "Open loop: most requests outstanding, one worker thread each"
      + " (default: ${DEFAULT-VALUE}).")
  int maxInFlight = 128;

  @Option(names = "--seconds", description = "Measured time (default: ${DEFAULT-VALUE}).")
  int seconds = 20;

  @Option(names = "--warmup-seconds", description = "Unmeasured warm-up (default: ${DEFAULT-VALUE}).")
  int warmupSeconds = 5;

  @Option(names = "--preload", description = "Write every key once before the run.")
  boolean preload;

  @Option(names = "--label", description = "Name for the result line.")
  String label = "run";

  @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  private final Recorder reads = new Recorder(3);
  private final Recorder updates = new Recorder(3);
  private final AtomicLong errors = new AtomicLong();
  /** Requests answered 2xx, and those refused with 503 (overload: not applied), apart. */
  private final Recorder accepted = new Recorder(3);
  private final Recorder refused = new Recorder(3);
  /** The accepted requests' latency from when each was sent (open loop: without the wait for a free worker). */
  private final Recorder acceptedFromSend = new Recorder(3);
  /** Requests that got no answer, by the exception's class. */
  private final java.util.concurrent.ConcurrentHashMap<String, AtomicLong> unanswered = new java.util.concurrent.ConcurrentHashMap<>();
  private HttpClient client;
  private HttpTarget http;

  @Override
  public Integer call() throws Exception {
    http = new HttpTarget(target.url);
    client = http.client();
    try {
      if (preload) {
        preload();
      }
      run(warmupSeconds);
      reads.getIntervalHistogram();
      updates.getIntervalHistogram();
      accepted.getIntervalHistogram();
      refused.getIntervalHistogram();
      acceptedFromSend.getIntervalHistogram();
      unanswered.clear();
      errors.set(0);
      long start = System.nanoTime();
      run(seconds);
      double elapsed = (System.nanoTime() - start) / 1e9;
      report(reads.getIntervalHistogram(), updates.getIntervalHistogram(), elapsed);
      return 0;
    } finally {
      http.close();
    }
  }

  private void preload() throws InterruptedException {
    List<String> keys = new ArrayList<>(target.records);
    for (int i = 0; i < target.records; i++) {
      keys.add(key(i));
    }
    http.preload(keys, value(new Random(seed)));
  }

  private void run(int runSeconds) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(runSeconds);
    if (mode == Mode.closed) {
      List<Thread> workers = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        long workerSeed = seed * 1000 + c;
        Thread t = new Thread(() -> closedLoop(end, workerSeed), "client-" + c);
        t.start();
        workers.add(t);
      }
      for (Thread t : workers) {
        t.join();
      }
    } else {
      openLoop(end);
    }
  }

  private void closedLoop(long end, long workerSeed) {
    Random random = new Random(workerSeed);
    NumberGenerator keys = keyGenerator();
    byte[] value = value(random);
    while (System.nanoTime() < end) {
      if (!request(random, keys, value, System.nanoTime())) {
        return;
      }
    }
  }

  /** Open loop: {@code rate} requests a second from {@code max-in-flight} workers (see {@link OpenLoop}). */
  private void openLoop(long end) throws InterruptedException {
    AtomicInteger worker = new AtomicInteger();
    OpenLoop.run(rate, maxInFlight, () -> System.nanoTime() < end, () -> {
      Random random = new Random(seed * 1000 + worker.getAndIncrement());
      NumberGenerator keys = keyGenerator();
      byte[] value = value(random);
      return (k, due) -> request(random, keys, value, due);
    });
  }

  /** One request, its latency counted from {@code startNanos}; false once interrupted. */
  private boolean request(Random random, NumberGenerator keys, byte[] value, long startNanos) {
    boolean read = random.nextDouble() < mix.readFraction;
    int key = keys.nextValue().intValue();
    long sent = System.nanoTime();
    try {
      HttpResponse<Void> response = client.send(read ? get(key) : put(key, value), HttpResponse.BodyHandlers.discarding());
      long now = System.nanoTime();
      record(read, response.statusCode(), now - startNanos);
      if (response.statusCode() / 100 == 2) {
        acceptedFromSend.recordValue(Math.max(1, (now - sent) / 1000));
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      record(read, 0, System.nanoTime() - startNanos);
      unanswered.computeIfAbsent(e.getClass().getSimpleName(), name -> new AtomicLong()).incrementAndGet();
      return true;
    }
  }

  /**
   * A request's latency; a failed one (not 2xx, or no answer: {@code status} 0) counts too, at its
   * time to failure, so failing fast cannot make the percentiles look better; it is also an error.
   */
  private void record(boolean read, int status, long nanos) {
    long micros = Math.max(1, nanos / 1000);
    if (status / 100 != 2) {
      errors.incrementAndGet();
    }
    if (status / 100 == 2) {
      accepted.recordValue(micros);
    } else if (status == 503) {
      refused.recordValue(micros);
    }
    (read ? reads : updates).recordValue(micros);
  }

  private NumberGenerator keyGenerator() {
    return distribution == Distribution.zipfian
        ? new ScrambledZipfianGenerator(target.records)
        : new UniformLongGenerator(0, target.records - 1);
  }

  private byte[] value(Random random) {
    byte[] value = new byte[target.valueBytes];
    random.nextBytes(value);
    return value;
  }

  private static String key(int i) {
    return "user:" + i;
  }

  private HttpRequest get(int key) {
    return http.get(key(key));
  }

  private HttpRequest put(int key, byte[] value) {
    return http.put(key(key), value);
  }

  private void report(Histogram readHistogram, Histogram updateHistogram, double elapsed) {
    Histogram all = readHistogram.copy();
    all.add(updateHistogram);
    String load = mode == Mode.closed ? "clients=" + clients : "rate=" + rate;
    System.out.printf(Locale.ROOT,
        // ops and ops_per_s count successful requests; the percentiles count every request, a failed
        // one at its time to failure (errors says how many failed).
        "RESULT label=%s mode=%s mix=%s dist=%s %s ops=%d ops_per_s=%.0f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f"
            + " read_p99_ms=%.2f update_p99_ms=%.2f errors=%d%n",
        label, mode, mix, distribution, load, all.getTotalCount() - errors.get(),
        (all.getTotalCount() - errors.get()) / elapsed,
        ms(all, 50), ms(all, 99), ms(all, 99.9), all.getMaxValue() / 1000.0,
        ms(readHistogram, 99), ms(updateHistogram, 99), errors.get());
    Histogram ok = accepted.getIntervalHistogram();
    Histogram no = refused.getIntervalHistogram();
    // Apart: the requests answered 2xx, and those refused with 503 (not applied), with their latency.
    Histogram service = acceptedFromSend.getIntervalHistogram();
    System.out.printf(Locale.ROOT, "RESULT label=%s accepted=%d accepted_p50_ms=%.2f accepted_p99_ms=%.2f"
            + " accepted_from_send_p50_ms=%.2f accepted_from_send_p99_ms=%.2f"
            + " refused_503=%d refused_p50_ms=%.2f refused_p99_ms=%.2f other_errors=%d unanswered=%s%n",
        label, ok.getTotalCount(), ms(ok, 50), ms(ok, 99), ms(service, 50), ms(service, 99),
        no.getTotalCount(), ms(no, 50), ms(no, 99), errors.get() - no.getTotalCount(), unanswered);
  }

  private static double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
  }
}
