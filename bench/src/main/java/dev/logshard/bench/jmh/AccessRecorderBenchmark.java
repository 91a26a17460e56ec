package dev.logshard.bench.jmh;

import com.typesafe.config.ConfigFactory;
import dev.logshard.core.KeyHash;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.AccessKind;
import dev.logshard.core.profile.AccessLog;
import dev.logshard.core.profile.AccessRecorder;
import dev.logshard.core.profile.ProfilerSettings;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * The profiler's cost on the request path, everything the Router does for one request when
 * recording is on: the recording check, {@link AccessRecorder#record} (count for the range +
 * every Nth access appended to the AccessLog), the two clock reads around the request and
 * {@link AccessRecorder#recordLatency}; on one thread and on two contending threads. {@code
 * sampleEvery=default} is {@code logshard.profiler.sample-every} as shipped.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AccessRecorderBenchmark {

  /** One recorder shared by all benchmark threads, as on a node. */
  @State(Scope.Benchmark)
  public static class Shared {
    @Param({"default", "1"})
    String sampleEvery;

    AccessRecorder recorder;

    @Setup(Level.Trial)
    public void setUp() {
      int every = sampleEvery.equals("default")
          ? ProfilerSettings.create(ConfigFactory.load()).sampleEvery() : Integer.parseInt(sampleEvery);
      recorder = new AccessRecorder(ShardMap.initial(16, "standard"), new AccessLog(1 << 16), every,
          System::currentTimeMillis);
    }
  }

  /** Each thread's own keys, with their hashes computed once (the router computes them anyway). */
  @State(Scope.Thread)
  public static class Keys {
    String[] keys = new String[1024];
    long[] hashes = new long[1024];
    int next;

    @Setup(Level.Trial)
    public void setUp() {
      Random random = new Random(Thread.currentThread().getId());
      for (int i = 0; i < keys.length; i++) {
        keys[i] = "user:" + random.nextInt(1_000_000);
        hashes[i] = KeyHash.of(keys[i]);
      }
    }
  }

  @Benchmark
  @Threads(1)
  public void requestPathOneThread(Shared shared, Keys keys) {
    recordRequest(shared.recorder, keys);
  }

  @Benchmark
  @Threads(2)
  public void requestPathTwoThreads(Shared shared, Keys keys) {
    recordRequest(shared.recorder, keys);
  }

  /** What {@code Router.ask} adds to a request when recording (the request itself is not measured). */
  private static void recordRequest(AccessRecorder recorder, Keys keys) {
    int i = keys.next++ & 1023;
    if (recorder.recording()) {
      recorder.record(keys.keys[i], keys.hashes[i], (i & 1) == 0 ? AccessKind.READ : AccessKind.WRITE, 1024, 1);
      long start = System.nanoTime();
      recorder.recordLatency(keys.hashes[i], (System.nanoTime() - start) / 1_000);
    }
  }
}
