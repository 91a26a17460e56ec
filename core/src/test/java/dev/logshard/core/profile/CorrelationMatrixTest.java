package dev.logshard.core.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Synthetic, seeded traces with planted co-access. */
class CorrelationMatrixTest {

  private static final int RANGES = 32;

  private static String r(int i) {
    return "r" + i;
  }

  @Test
  void plantedClientCoAccessPairsAreTheStrongest() {
    for (long seed = 1; seed <= 5; seed++) {
      Random random = new Random(seed);
      CorrelationMatrix matrix = new CorrelationMatrix(100, 10_000, 1_000, 8);
      long now = 0;
      for (int i = 0; i < 20_000; i++) {
        now += random.nextInt(5);
        int client = 1 + random.nextInt(200);
        int roll = random.nextInt(10);
        if (roll == 0) { // planted: r3 then r17 within a few ms, by the same client
          matrix.recordAccess(client, r(3), now);
          matrix.recordAccess(client, r(17), now + 2);
        } else if (roll == 1) { // planted: r8 then r25
          matrix.recordAccess(client, r(8), now);
          matrix.recordAccess(client, r(25), now + 3);
        } else { // noise: one access to a random range
          matrix.recordAccess(client, r(random.nextInt(RANGES)), now);
        }
      }
      Set<String> top = matrix.topPairs(2).stream().map(p -> p.a() + "-" + p.b()).collect(Collectors.toSet());
      assertEquals(Set.of("r17-r3", "r25-r8"), top, "seed " + seed + ": " + matrix.topPairs(5));
    }
  }

  @Test
  void batchesCountEveryPairOfTheirRanges() {
    CorrelationMatrix matrix = new CorrelationMatrix(100, 1000, 10, 8);
    for (int i = 0; i < 50; i++) {
      matrix.recordBatch(List.of(r(1), r(2), r(2), r(9)));
    }
    matrix.recordBatch(List.of(r(4), r(5)));
    List<CorrelationMatrix.Pair> top = matrix.topPairs(10);
    assertEquals(4, top.size());
    assertEquals(50, top.get(0).strength(), 1e-9);
    assertEquals(1, top.get(3).strength(), 1e-9);
    assertEquals("r4", top.get(3).a());
  }

  @Test
  void memoryIsBoundedAndStrongPairsSurviveFading() {
    Random random = new Random(5);
    CorrelationMatrix matrix = new CorrelationMatrix(100, 500, 50, 4);
    for (int i = 0; i < 100_000; i++) {
      matrix.recordBatch(List.of("a" + random.nextInt(5_000), "b" + random.nextInt(5_000)));
      if (i % 10 == 0) {
        matrix.recordBatch(List.of("hot-x", "hot-y"));
      }
      assertTrue(matrix.pairCount() <= 501);
    }
    assertEquals("hot-x", matrix.topPairs(1).get(0).a());
  }

  @Test
  void pearsonOfKnownSeries() {
    Random random = new Random(9);
    double[] base = new double[500];
    double[] follows = new double[500];
    double[] opposes = new double[500];
    double[] unrelated = new double[500];
    for (int i = 0; i < base.length; i++) {
      base[i] = 100 + 50 * Math.sin(i / 20.0) + random.nextGaussian() * 5;
      follows[i] = 2 * base[i] + random.nextGaussian() * 5;
      opposes[i] = 300 - base[i] + random.nextGaussian() * 5;
      unrelated[i] = random.nextGaussian();
    }
    assertTrue(CorrelationMatrix.pearson(base, follows) > 0.95);
    assertTrue(CorrelationMatrix.pearson(base, opposes) < -0.95);
    assertEquals(0, CorrelationMatrix.pearson(base, unrelated), 0.1);
    assertEquals(0, CorrelationMatrix.pearson(base, new double[500]), 0);
  }
}
