package dev.logshard.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.HdrHistogram.Recorder;
import site.ycsb.generator.NumberGenerator;
import site.ycsb.generator.ScrambledZipfianGenerator;

/**
 * YCSB-A against one node for the transfer bench (50 % reads, 50 % writes, one value for every
 * write): its closed-loop maximum, and an open loop at a fixed rate. Successes and failures are
 * counted apart; a failed request's latency counts at its time to failure.
 */
final class YcsbALoad {

  private final HttpTarget http;
  private final HttpClient client;
  private final int records;

  YcsbALoad(HttpTarget http, int records) {
    this.http = http;
    this.client = http.client();
    this.records = records;
  }

  /** Closed loop, 64 clients, 10 s of YCSB-A: the node's maximum here, in successful requests per second. */
  int calibrate(byte[] value) throws InterruptedException {
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < 64; c++) {
      Random random = new Random(c);
      NumberGenerator keys = new ScrambledZipfianGenerator(records);
      Thread t = new Thread(() -> {
        while (System.nanoTime() < end) {
          String key = "user:" + keys.nextValue().intValue();
          try {
            int status = client.send(random.nextBoolean() ? get(key) : put(key, value),
                HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status / 100 == 2) {
              done.incrementAndGet(); // only successes count: a node that fails fast is not faster
            }
          } catch (Exception e) {
            return;
          }
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    int max = (int) (done.get() / 10);
    System.out.printf(Locale.ROOT, "RESULT calibration closed-loop 64 clients YCSB-A max_ops_per_s=%d%n", max);
    return max;
  }

  /**
   * Open loop at {@code perSecond} from {@code workers} threads ({@link OpenLoop}): 50 % reads,
   * 50 % writes; latency from each request's due time (no coordinated omission). Keys from
   * {@code zipf} (prefixed; one generator per worker) or round-robin over {@code keys}. Every
   * request's latency goes to {@code latencies}, a write's also to {@code writeLatencies} (either may be null).
   */
  void openLoop(AtomicBoolean running, int perSecond, int workers, Supplier<NumberGenerator> zipf, String prefix,
      List<String> keys, byte[] value, Recorder latencies, Recorder writeLatencies, AtomicLong errors, AtomicLong lastWrite,
      AtomicLong longestGap, AtomicBoolean measuringGap) {
    AtomicInteger worker = new AtomicInteger();
    try {
      OpenLoop.run(perSecond, workers, running::get, () -> {
        Random random = new Random(perSecond * 1000L + worker.getAndIncrement());
        NumberGenerator generator = zipf != null ? zipf.get() : null;
        return (k, due) -> {
          boolean read = random.nextBoolean();
          String key = generator != null ? prefix + generator.nextValue().intValue() : keys.get((int) (k % keys.size()));
          int status;
          try {
            status = client.send(read ? get(key) : put(key, value), HttpResponse.BodyHandlers.discarding()).statusCode();
          } catch (IOException e) {
            status = 0;
          }
          long now = System.nanoTime();
          // A failed request counts at its time to failure: failing fast must not improve "p99 during".
          long micros = Math.max(1, (now - due) / 1000);
          if (latencies != null) {
            latencies.recordValue(micros);
          }
          if (!read && writeLatencies != null) {
            writeLatencies.recordValue(micros);
          }
          if (status / 100 != 2) {
            errors.incrementAndGet();
            return;
          }
          if (!read && lastWrite != null) {
            long previous = lastWrite.getAndAccumulate(now, Math::max);
            if (measuringGap.get() && now > previous) {
              longestGap.accumulateAndGet(now - previous, Math::max);
            }
          }
        };
      });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private HttpRequest get(String key) {
    return http.get(key);
  }

  private HttpRequest put(String key, byte[] value) {
    return http.put(key, value);
  }
}
