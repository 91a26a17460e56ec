package dev.logshard.bench.jmh;

import com.typesafe.config.ConfigFactory;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.planner.Decision;
import dev.logshard.core.planner.PlanRound;
import dev.logshard.core.planner.Planner;
import dev.logshard.core.planner.PlannerInput;
import dev.logshard.core.planner.PlannerSettings;
import dev.logshard.core.transfer.TransferKind;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One planning round at the default settings over a large map: {@code ranges} ranges over four log
 * instances (two fast), a Zipf-0.99 load over the ranges (so some split, some go to the fast tier,
 * some leave it, cold neighbours merge), 1 % of the ranges in a transfer and the 100 latest
 * decisions. The goal: under 100 ms for 100,000 ranges.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PlannerBenchmark {

  @Param({"1000", "100000"})
  int ranges;

  private Planner planner;
  private PlannerInput input;

  @Setup
  public void setUp() {
    PlannerSettings settings = PlannerSettings.create(ConfigFactory.load());
    planner = new Planner(settings);
    Random random = new Random(1);
    List<String> instances = List.of("fast-1", "fast-2", "standard-1", "standard-2");
    ShardMap initial = ShardMap.initial(ranges, "standard-1");
    List<RangePlacement> placements = new ArrayList<>();
    for (RangePlacement p : initial.placements()) {
      placements.add(new RangePlacement(p.rangeId(), p.range(), p.generation(), instances.get(random.nextInt(4))));
    }
    ShardMap map = new ShardMap(2, placements);
    // Zipf 0.99 over the ranges in a random order: a total of 100,000 requests/s.
    double[] weights = new double[ranges];
    double sum = 0;
    for (int i = 0; i < ranges; i++) {
      weights[i] = 1 / Math.pow(i + 1, 0.99);
      sum += weights[i];
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < ranges; i++) {
      order.add(i);
    }
    java.util.Collections.shuffle(order, random);
    Map<String, PlannerInput.RangeLoad> loads = new HashMap<>();
    Set<String> inTransfer = new HashSet<>();
    for (int i = 0; i < ranges; i++) {
      RangePlacement p = placements.get(i);
      double requests = 100_000 * weights[order.get(i)] / sum;
      BigInteger middle = new BigInteger(p.range().startString()).add(p.range().width().shiftRight(1));
      loads.put(p.rangeId(), new PlannerInput.RangeLoad(requests, requests * 1024, requests * 1.1,
          random.nextInt(64 << 20), middle.longValue()));
      if (random.nextInt(100) == 0) {
        inTransfer.add(p.rangeId());
      }
    }
    List<Decision> recent = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      RangePlacement p = placements.get(random.nextInt(ranges));
      recent.add(new Decision(TransferKind.MOVE, List.of(p.rangeId()), p.range().startString(), p.range().endString(),
          "fast-1", "hot", 1_000_000 - i * 1_000L));
    }
    List<PlannerInput.Instance> logInstances = instances.stream()
        .map(name -> new PlannerInput.Instance(name, name.startsWith("fast") ? "fast" : "standard", 64L << 30, 0))
        .toList();
    input = new PlannerInput(map, loads, logInstances, inTransfer, 2, recent, 1_000_000);
  }

  @Benchmark
  public PlanRound planningRound() {
    return planner.plan(input);
  }
}
