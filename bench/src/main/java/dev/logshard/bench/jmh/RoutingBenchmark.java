package dev.logshard.bench.jmh;

import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** The routing cost on the request path: hash a key, find its range. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RoutingBenchmark {

  @Param({"16", "1024"})
  int ranges;

  private ShardMap map;
  private String[] keys;
  private long[] hashes;
  private int next;

  @Setup
  public void setUp() {
    map = ShardMap.initial(ranges, "standard");
    Random random = new Random(1);
    keys = new String[1024];
    hashes = new long[keys.length];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = "user:" + random.nextInt(1_000_000);
      hashes[i] = random.nextLong();
    }
  }

  @Benchmark
  public long hashKey() {
    return KeyHash.of(keys[next++ & 1023]);
  }

  @Benchmark
  public RangePlacement lookupHash() {
    return map.lookup(hashes[next++ & 1023]);
  }

  @Benchmark
  public RangePlacement routeKey() {
    return map.lookup(keys[next++ & 1023]);
  }
}
