package dev.logshard.core.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logshard.core.KeyHash;
import dev.logshard.core.KeyRange;
import dev.logshard.core.ShardMap;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LoadHistoryTest {

  private static final long HOUR = 3_600_000;
  private static final RingCells RING = new RingCells(1024);

  /** A trace where keys in the first eighth of the ring get 9 of every 10 accesses. */
  private static LoadHistory skewed(int ticks) {
    Random random = new Random(11);
    List<KeyRange> ranges = ShardMap.initial(8, "standard").placements().stream().map(p -> p.range()).toList();
    LoadHistory history = LoadHistory.empty(RING.count());
    for (int t = 0; t < ticks; t++) {
      LoadSpread spread = new LoadSpread(RING, ranges.size());
      long[] accesses = new long[ranges.size()];
      for (int i = 0; i < 1_000; i++) {
        long hash = random.nextInt(10) < 9 ? random.nextLong() >>> 3 : random.nextLong();
        int range = (int) (hash >>> 61);
        accesses[range]++;
        if (i % 10 == 0) {
          spread.sample(range, hash);
        }
      }
      history = history.add(60_000L * (t + 1), spread.spread(ranges, accesses), HOUR);
    }
    return history;
  }

  @Test
  void aSpreadKeepsEachRangesExactTotal() {
    List<KeyRange> ranges = KeyRange.equalSplit(4);
    LoadSpread spread = new LoadSpread(RING, 4);
    long hot = ranges.get(1).start() + 12_345;
    spread.sample(1, hot);
    spread.sample(1, hot);
    CellCounts cells = spread.spread(ranges, new long[] {100, 40, 0, 7});
    double[] dense = new double[RING.count()];
    assertEquals(147, cells.addTo(dense), 1e-9);
    // The sampled range's load sits where its samples fell; the unsampled one is spread evenly.
    assertEquals(40, dense[RING.cell(hot)], 1e-9);
    assertEquals(100.0 / 256, dense[0], 1e-9);
    assertEquals(0, dense[RING.cell(ranges.get(2).start())], 1e-9);
  }

  @Test
  void loadFadesWithItsHalfLife() {
    double[] one = new double[RING.count()];
    one[5] = 100;
    LoadHistory history = LoadHistory.empty(RING.count()).add(1_000, CellCounts.of(one), HOUR);
    LoadHistory later = history.add(1_000 + 2 * HOUR, CellCounts.none(), HOUR);
    assertEquals(100, history.totalLoad(), 1e-9);
    assertEquals(25, later.totalLoad(), 1e-9);
    assertEquals(100, later.accesses(), 1e-9);
  }

  @Test
  void theMedianDividesARangesLoadInTwo() {
    LoadHistory history = skewed(30);
    KeyRange whole = KeyRange.full();
    long median = history.median(whole).orElseThrow();
    // 90 % of the load is in the first eighth: the median is inside it, not at the ring's midpoint.
    assertTrue(Long.compareUnsigned(median, -1L >>> 3) < 0, Long.toUnsignedString(median));
    double lower = history.loadIn(new KeyRange(0, median - 1));
    double upper = history.loadIn(new KeyRange(median, -1L));
    assertEquals(lower, upper, history.totalLoad() * 0.01);
    // Inside one range too.
    KeyRange eighth = new KeyRange(0, (-1L >>> 3));
    long inside = history.median(eighth).orElseThrow();
    assertTrue(eighth.contains(inside) && inside != 0);
    assertEquals(history.loadIn(new KeyRange(0, inside - 1)), history.loadIn(new KeyRange(inside, eighth.last())),
        history.loadIn(eighth) * 0.02);
    assertTrue(LoadHistory.empty(RING.count()).median(whole).isEmpty());
  }

  @Test
  void anEqualLoadSplitTilesTheRingWithRangesOfAboutEqualLoad() {
    LoadHistory history = skewed(30);
    List<KeyRange> ranges = history.equalLoadSplit(16);
    assertEquals(16, ranges.size());
    assertEquals(0, ranges.get(0).start());
    assertEquals(-1L, ranges.get(15).last());
    for (int i = 1; i < ranges.size(); i++) {
      assertTrue(ranges.get(i - 1).isFollowedBy(ranges.get(i)));
    }
    double share = history.totalLoad() / 16;
    for (KeyRange range : ranges) {
      assertEquals(share, history.loadIn(range), share * 0.05, range.toString());
    }
    // Most ranges cut up the hot eighth; with no history the split is the equal one.
    assertTrue(ranges.stream().filter(r -> Long.compareUnsigned(r.last(), -1L >>> 3) <= 0).count() >= 12);
    assertEquals(KeyRange.equalSplit(16), LoadHistory.empty(RING.count()).equalLoadSplit(16));
  }

  @Test
  void aSingleHotCellStillGivesDistinctRanges() {
    double[] dense = new double[RING.count()];
    dense[RING.cell(KeyHash.of("hot"))] = 1_000;
    LoadHistory history = LoadHistory.empty(RING.count()).add(1, CellCounts.of(dense), HOUR);
    List<KeyRange> ranges = history.equalLoadSplit(64);
    assertEquals(64, ranges.size());
    for (int i = 1; i < ranges.size(); i++) {
      assertTrue(ranges.get(i - 1).isFollowedBy(ranges.get(i)));
    }
  }
}
