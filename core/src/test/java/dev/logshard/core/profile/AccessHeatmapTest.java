package dev.logshard.core.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AccessHeatmapTest {

  private static final List<AccessHeatmap.Resolution> RESOLUTIONS = List.of(
      new AccessHeatmap.Resolution("1s", 1_000, 600), new AccessHeatmap.Resolution("1m", 60_000, 1440));

  private static List<KeyRange> ranges(ShardMap map) {
    return map.placements().stream().map(RangePlacement::range).toList();
  }

  @Test
  void totalsSurviveASplitAndAMerge() {
    Random random = new Random(3);
    AccessHeatmap heatmap = new AccessHeatmap(1024, RESOLUTIONS);
    List<KeyRange> before = ranges(ShardMap.initial(8, "standard"));
    double[] recorded = new double[30];
    // Ticks 0-9 on 8 ranges.
    recordTicks(heatmap, before, 0, 10, random, recorded);
    // Split range 3 at an arbitrary, unaligned point; ticks 10-19 on 9 ranges.
    List<KeyRange> split = new ArrayList<>(before);
    KeyRange r3 = split.remove(3);
    long cut = r3.start() + 123_456_789_012_345L;
    split.add(3, new KeyRange(r3.start(), cut - 1));
    split.add(4, new KeyRange(cut, r3.last()));
    recordTicks(heatmap, split, 10, 20, random, recorded);
    // Merge ranges 0 and 1; ticks 20-29 on 8 ranges.
    List<KeyRange> merged = new ArrayList<>(split);
    KeyRange r0 = merged.remove(0);
    KeyRange r1 = merged.remove(0);
    merged.add(0, new KeyRange(r0.start(), r1.last()));
    recordTicks(heatmap, merged, 20, 30, random, recorded);
    // Whatever tiling reads it, every second's total is what was recorded...
    for (List<KeyRange> tiling : List.of(before, split, merged)) {
      double[][] m = heatmap.matrix(0, tiling, 0, 29_000);
      for (int t = 0; t < 30; t++) {
        double total = 0;
        for (double[] row : m) {
          total += row[t];
        }
        assertEquals(recorded[t], total, 1e-6 * Math.max(1, recorded[t]), "tick " + t);
      }
    }
    // ... the halves of a split read the old range's past, the merged range the sum of its parts ...
    for (int t = 0; t < 30; t++) {
      assertEquals(heatmap.heat(0, r3, t * 1000L),
          heatmap.heat(0, split.get(3), t * 1000L) + heatmap.heat(0, split.get(4), t * 1000L), 1e-6);
      assertEquals(heatmap.heat(0, merged.get(0), t * 1000L),
          heatmap.heat(0, r0, t * 1000L) + heatmap.heat(0, r1, t * 1000L), 1e-6);
    }
    // ... and the minute resolution holds all 30 seconds in its first bucket.
    double minute = 0;
    for (double n : recorded) {
      minute += n;
    }
    assertEquals(minute, heatmap.heat(1, KeyRange.full(), 0), 1e-6 * minute);
  }

  /** Records a random count for every range of {@code tiling} in ticks {@code from} to {@code to - 1}. */
  private static void recordTicks(AccessHeatmap heatmap, List<KeyRange> tiling, int from, int to, Random random,
      double[] recorded) {
    for (int t = from; t < to; t++) {
      for (KeyRange r : tiling) {
        double n = random.nextInt(1000);
        heatmap.record(t * 1000L, r, n);
        recorded[t] += n;
      }
    }
  }

  @Test
  void oldBucketsRollOutOfTheWindowAndMemoryIsFixed() {
    AccessHeatmap heatmap = new AccessHeatmap(64, List.of(new AccessHeatmap.Resolution("1s", 1_000, 10)));
    KeyRange all = KeyRange.full();
    heatmap.record(0, all, 5);
    assertEquals(5, heatmap.heat(0, all, 0), 1e-9);
    heatmap.record(10_000, all, 7); // same slot, ten seconds later
    assertEquals(0, heatmap.heat(0, all, 0), 1e-9);
    assertEquals(7, heatmap.heat(0, all, 10_000), 1e-9);
  }
}
