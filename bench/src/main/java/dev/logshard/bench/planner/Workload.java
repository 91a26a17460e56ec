package dev.logshard.bench.planner;

import dev.logshard.core.KeyHash;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * A seeded load over keys on the hash ring: each key's requests per second at a time. The keys are
 * real {@link KeyHash} positions; their popularity is Zipf 0.99 over a random order of ranks. The
 * shapes: a {@code shifting} hotspot (the ranks are dealt again every half hour), a {@code diurnal}
 * cycle (10x peak to trough, two regions of keys 8 hours apart, noise), and a {@code flash}
 * crowd (a steady load, then one narrow slice of the ring (1/64) adds 80 % to it for twenty minutes),
 * a steady load for {@code grow} (a log instance is added), {@code drain} (one is drained) and
 * {@code node-added} (a node joins), {@code node-drain} (one is drained), and {@code correlated}: 60 % of the load as above, 40 % in batches, each of
 * {@link #FAMILIES} families always reading the same {@link #FAMILY_KEYS} keys together (spread over the ring).
 */
final class Workload {

  static final double DAY_SECONDS = 86_400;
  static final int FAMILIES = 8;
  static final int FAMILY_KEYS = 3;

  /** Batches reading {@code keys} (indexes in ring order) together, {@code rate} per second. */
  record Batch(int[] keys, double rate) {}

  final String shape;
  final long[] hashes;
  private final double[] zipf;
  private final int[] rankOf;
  private final Random random;
  private final double total;
  private long dealtAt = -1;
  private long noiseBlock = -1;
  private final double[] slowNoise = {1, 1};
  private final List<Batch> batches;

  Workload(String shape, int keys, double total, long seed) {
    this.shape = shape;
    this.total = total;
    this.random = new Random(seed);
    Integer[] order = IntStream.range(0, keys).boxed().toArray(Integer[]::new);
    long[] raw = new long[keys];
    for (int i = 0; i < keys; i++) {
      raw[i] = KeyHash.of("user:" + i);
    }
    Arrays.sort(order, Comparator.comparing(i -> raw[i], Long::compareUnsigned));
    hashes = new long[keys];
    for (int i = 0; i < keys; i++) {
      hashes[i] = raw[order[i]];
    }
    zipf = new double[keys];
    double sum = 0;
    for (int r = 0; r < keys; r++) {
      zipf[r] = 1 / Math.pow(r + 1, 0.99);
      sum += zipf[r];
    }
    for (int r = 0; r < keys; r++) {
      zipf[r] /= sum;
    }
    rankOf = new int[keys];
    deal();
    List<Batch> families = new ArrayList<>();
    if (shape.equals("correlated")) {
      for (int f = 0; f < FAMILIES; f++) {
        int[] family = random.ints(0, keys).distinct().limit(FAMILY_KEYS).toArray();
        families.add(new Batch(family, 0.4 * total / (FAMILIES * FAMILY_KEYS)));
      }
    }
    batches = List.copyOf(families);
  }

  List<Batch> batches() {
    return batches;
  }

  private void deal() {
    for (int i = 0; i < rankOf.length; i++) {
      rankOf[i] = i;
    }
    for (int i = rankOf.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = rankOf[i];
      rankOf[i] = rankOf[j];
      rankOf[j] = t;
    }
  }

  /** Each key's requests per second at {@code seconds} (keys in ring order). */
  double[] rates(double seconds) {
    double[] rates = new double[hashes.length];
    switch (shape) {
      case "shifting" -> {
        long deal = (long) (seconds / 1800);
        if (deal != dealtAt) {
          if (dealtAt >= 0) {
            deal();
          }
          dealtAt = deal;
        }
        for (int i = 0; i < rates.length; i++) {
          rates[i] = total * zipf[rankOf[i]];
        }
      }
      case "diurnal" -> {
        long block = (long) (seconds / 300);
        if (block != noiseBlock) {
          noiseBlock = block;
          for (int r = 0; r < 2; r++) {
            slowNoise[r] = 1 + 0.05 * random.nextGaussian();
          }
        }
        double tickNoise = 1 + 0.05 * random.nextGaussian();
        for (int i = 0; i < rates.length; i++) {
          // Two regions, by the hash's top bit, peaking 8 hours apart; 10x between peak and trough;
          // 5 % noise per region every 5 minutes, and 5 % more every tick.
          int region = hashes[i] < 0 ? 1 : 0;
          double cycle = 1 + (9.0 / 11) * Math.sin(2 * Math.PI * (seconds / DAY_SECONDS + region / 3.0));
          rates[i] = total * zipf[rankOf[i]] * cycle * slowNoise[region] * tickNoise;
        }
      }
      case "flash" -> {
        boolean crowd = seconds >= 7_200 && seconds < 7_200 + 1_200;
        int from = rates.length / 3;
        int to = from + rates.length / 64;
        for (int i = 0; i < rates.length; i++) {
          rates[i] = total * zipf[rankOf[i]] + (crowd && i >= from && i < to ? 0.8 * total / (to - from) : 0);
        }
      }
      case "grow", "drain", "node-added", "node-drain" -> {
        for (int i = 0; i < rates.length; i++) {
          rates[i] = total * zipf[rankOf[i]];
        }
      }
      case "correlated" -> {
        for (int i = 0; i < rates.length; i++) {
          rates[i] = 0.6 * total * zipf[rankOf[i]];
        }
        for (Batch b : batches) {
          for (int key : b.keys()) {
            rates[key] += b.rate();
          }
        }
      }
      default -> throw new IllegalArgumentException("no workload '" + shape + "'");
    }
    return rates;
  }

  /** Whether the hotspot moved at {@code seconds} (a new deal of the ranks, or the crowd's arrival). */
  boolean shiftsAt(double seconds, double step) {
    return switch (shape) {
      case "shifting" -> seconds > 0 && Math.floor(seconds / 1800) != Math.floor((seconds - step) / 1800);
      case "flash" -> seconds >= 7_200 && seconds - step < 7_200;
      default -> false;
    };
  }
}
