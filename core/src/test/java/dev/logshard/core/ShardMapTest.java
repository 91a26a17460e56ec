package dev.logshard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShardMapTest {

  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 16, 100, 1000})
  void equalSplitTilesTheWholeRing(int n) {
    ShardMap map = ShardMap.initial(n, "standard");
    assertEquals(n, map.size());
    BigInteger covered = BigInteger.ZERO;
    for (RangePlacement p : map.placements()) {
      covered = covered.add(p.range().width());
    }
    assertEquals(TWO_64, covered);
    assertEquals(0L, map.placements().get(0).range().start());
    assertEquals(-1L, map.placements().get(n - 1).range().last());
  }

  @Test
  void ringBoundariesMapToTheFirstAndLastRange() {
    ShardMap map = ShardMap.initial(16, "standard");
    assertEquals("r0", map.lookup(0L).rangeId());
    assertEquals("r15", map.lookup(-1L).rangeId()); // 2^64 - 1
    assertEquals("r7", map.lookup(Long.MAX_VALUE).rangeId()); // 2^63 - 1
    assertEquals("r8", map.lookup(Long.MIN_VALUE).rangeId()); // 2^63: unsigned order, not signed
  }

  @Test
  void everyRangeBoundaryBelongsToExactlyOneSide() {
    ShardMap map = ShardMap.initial(16, "standard");
    for (RangePlacement p : map.placements()) {
      assertSame(p, map.lookup(p.range().start()));
      assertSame(p, map.lookup(p.range().last()));
      if (p.range().start() != 0L) {
        assertFalse(p.range().contains(p.range().start() - 1));
      }
    }
  }

  @Test
  void lookupAgreesWithALinearScanOnRandomMaps() {
    Random random = new Random(20261125L);
    for (int round = 0; round < 200; round++) {
      ShardMap map = randomMap(random, 1 + random.nextInt(64));
      for (int i = 0; i < 500; i++) {
        long hash = random.nextInt(10) == 0 ? cutNear(map, random) : random.nextLong();
        RangePlacement expected = null;
        for (RangePlacement p : map.placements()) {
          if (p.range().contains(hash)) {
            assertTrue(expected == null, "two ranges contain " + Long.toUnsignedString(hash));
            expected = p;
          }
        }
        assertSame(expected, map.lookup(hash), "hash " + Long.toUnsignedString(hash));
      }
    }
  }

  @Test
  void placementsComeOutInUnsignedRingOrderWhateverTheInputOrder() {
    Random random = new Random(42L);
    ShardMap map = randomMap(random, 40);
    List<RangePlacement> shuffled = new ArrayList<>(map.placements());
    Collections.shuffle(shuffled, random);
    ShardMap again = new ShardMap(map.epoch(), shuffled);
    assertEquals(map, again);
    for (int i = 1; i < again.size(); i++) {
      assertTrue(again.placements().get(i - 1).range().isFollowedBy(again.placements().get(i).range()));
    }
  }

  @Test
  void aGapIsRejected() {
    List<RangePlacement> placements = new ArrayList<>(ShardMap.initial(4, "standard").placements());
    placements.remove(2);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new ShardMap(1, placements));
    assertTrue(e.getMessage().startsWith("gap"), e.getMessage());
  }

  @Test
  void anOverlapIsRejected() {
    List<RangePlacement> placements = new ArrayList<>(ShardMap.initial(4, "standard").placements());
    KeyRange second = placements.get(1).range();
    placements.set(1, new RangePlacement("r1", new KeyRange(second.start() - 1, second.last()), 1, "standard"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new ShardMap(1, placements));
    assertTrue(e.getMessage().startsWith("overlap"), e.getMessage());
  }

  @Test
  void aMissingRingEndIsRejected() {
    List<RangePlacement> placements = new ArrayList<>(ShardMap.initial(4, "standard").placements());
    placements.remove(3);
    assertThrows(IllegalArgumentException.class, () -> new ShardMap(1, placements));
    placements.add(new RangePlacement("r3", new KeyRange(1, -1L), 1, "standard"));
    assertThrows(IllegalArgumentException.class, () -> new ShardMap(1, placements)); // overlaps r0
  }

  @Test
  void duplicateRangeIdsAreRejected() {
    List<KeyRange> ranges = KeyRange.equalSplit(2);
    assertThrows(
        IllegalArgumentException.class,
        () -> new ShardMap(1, List.of(
            new RangePlacement("a", ranges.get(0), 1, "fast"),
            new RangePlacement("a", ranges.get(1), 1, "fast"))));
  }

  @Test
  void entityIdFindsOnlyTheCurrentGeneration() {
    ShardMap map = ShardMap.initial(4, "standard");
    assertEquals("r2", map.byEntityId("r2.1").orElseThrow().rangeId());
    assertTrue(map.byEntityId("r2.2").isEmpty());
    assertTrue(map.byEntityId("r9.1").isEmpty());
    assertThrows(IllegalArgumentException.class, () -> map.byEntityId("r2"));
  }

  /** A random tiling: sorted distinct random cut points, plus 0. */
  private static ShardMap randomMap(Random random, int n) {
    TreeSet<Long> cuts = new TreeSet<>(Long::compareUnsigned);
    cuts.add(0L);
    while (cuts.size() < n) {
      long cut = random.nextLong();
      // Sometimes cut right next to the signed/unsigned boundary or the ring end.
      switch (random.nextInt(8)) {
        case 0 -> cut = Long.MIN_VALUE + random.nextInt(3) - 1;
        case 1 -> cut = -1L - random.nextInt(3);
        default -> { }
      }
      cuts.add(cut);
    }
    List<Long> starts = new ArrayList<>(cuts);
    List<RangePlacement> placements = new ArrayList<>();
    for (int i = 0; i < starts.size(); i++) {
      long last = i == starts.size() - 1 ? -1L : starts.get(i + 1) - 1;
      placements.add(new RangePlacement("r" + i, new KeyRange(starts.get(i), last), 1 + random.nextInt(3), "standard"));
    }
    return new ShardMap(1 + random.nextInt(100), placements);
  }

  private static long cutNear(ShardMap map, Random random) {
    RangePlacement p = map.placements().get(random.nextInt(map.size()));
    return p.range().start() + random.nextInt(3) - 1;
  }
}
