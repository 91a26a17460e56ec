package dev.logshard.bench.jmh;

import dev.logshard.core.KeyHash;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.AccessKind;
import dev.logshard.core.profile.AccessLog;
import dev.logshard.core.profile.AccessRecorder;
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
 * The profiler's cost on the request path: {@link AccessRecorder#record} per access (count for the
 * range + sampled append to the AccessLog), on one thread and on two contending threads.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AccessRecorderBenchmark {

  /** One recorder shared by all benchmark threads, as on a node. */
  @State(Scope.Benchmark)
  public static class Shared {
    @Param({"1", "64"})
    int sampleEvery;

    AccessRecorder recorder;

    @Setup(Level.Trial)
    public void setUp() {
      recorder = new AccessRecorder(ShardMap.initial(16, "standard"), new AccessLog(1 << 16), sampleEvery,
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
  public void recordOneThread(Shared shared, Keys keys) {
    int i = keys.next++ & 1023;
    shared.recorder.record(keys.keys[i], keys.hashes[i], (i & 1) == 0 ? AccessKind.READ : AccessKind.WRITE, 1024, 1);
  }

  @Benchmark
  @Threads(2)
  public void recordTwoThreads(Shared shared, Keys keys) {
    int i = keys.next++ & 1023;
    shared.recorder.record(keys.keys[i], keys.hashes[i], (i & 1) == 0 ? AccessKind.READ : AccessKind.WRITE, 1024, 1);
  }
}
