package dev.logshard.core.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logshard.core.KeyHash;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Synthetic, seeded traces with known truth. */
class RangeProfileTest {

  private static final RangePlacement R2 = ShardMap.initial(4, "standard").byRangeId("r2").orElseThrow();

  private static List<String> keysIn(KeyRange range, int n, String prefix) {
    List<String> keys = new ArrayList<>(n);
    for (int i = 0; keys.size() < n; i++) {
      String key = prefix + i;
      if (range.contains(KeyHash.of(key))) {
        keys.add(key);
      }
    }
    return keys;
  }

  private static AccessRecord access(String key) {
    return new AccessRecord(0, key, KeyHash.of(key), AccessKind.READ, 0, 0);
  }

  @Test
  void plantedHotKeysAreFoundWithPrecisionAndRecallOfAtLeast90Percent() {
    for (long seed = 1; seed <= 5; seed++) {
      Random random = new Random(seed);
      List<String> hot = keysIn(R2.range(), 20, "hot-" + seed + "-");
      List<String> cold = keysIn(R2.range(), 50_000, "cold-" + seed + "-");
      RangeProfile profile = new RangeProfile(R2.range(), 256, 64);
      // 20 hot keys take 40 % of the accesses (2 % each); 50,000 cold keys share the rest.
      for (int i = 0; i < 200_000; i++) {
        String key = random.nextDouble() < 0.4 ? hot.get(random.nextInt(hot.size())) : cold.get(random.nextInt(cold.size()));
        profile.add(access(key));
      }
      Set<String> found = new HashSet<>();
      profile.hotKeys(0.01).forEach(k -> found.add(k.key()));
      long truePositives = found.stream().filter(hot::contains).count();
      double precision = found.isEmpty() ? 0 : (double) truePositives / found.size();
      double recall = (double) truePositives / hot.size();
      assertTrue(precision >= 0.9, "precision " + precision + " seed " + seed);
      assertTrue(recall >= 0.9, "recall " + recall + " seed " + seed);
    }
  }

  @Test
  void theSplitPointIsTheLoadMedianNotTheMidpoint() {
    Random random = new Random(11);
    KeyRange range = R2.range();
    RangeProfile profile = new RangeProfile(range, 64, 64);
    // 80 % of the load on keys whose hash is in the first tenth of the range.
    long tenth = range.width().divide(java.math.BigInteger.TEN).longValue();
    long[] hashes = new long[100_000];
    for (int i = 0; i < hashes.length; i++) {
      long offset = random.nextDouble() < 0.8
          ? (long) (random.nextDouble() * tenth)
          : (long) (random.nextDouble() * (range.width().longValue() - 1));
      hashes[i] = range.start() + offset;
      profile.add(new AccessRecord(0, "k", hashes[i], AccessKind.WRITE, 0, 0));
    }
    long point = profile.loadMedian().orElseThrow();
    assertTrue(range.contains(point) && point != range.start());
    long below = Arrays.stream(hashes).filter(h -> Long.compareUnsigned(h, point) < 0).count();
    assertEquals(0.5, (double) below / hashes.length, 0.02, "the point divides the load in half");
    long midpoint = range.start() + range.width().longValue() / 2;
    long belowMidpoint = Arrays.stream(hashes).filter(h -> Long.compareUnsigned(h, midpoint) < 0).count();
    assertTrue((double) belowMidpoint / hashes.length > 0.85, "the midpoint would not");
  }

  @Test
  void theTopKeysShareSaysWhenOneKeyCarriesTheLoad() {
    List<String> keys = keysIn(R2.range(), 1000, "k");
    RangeProfile oneKey = new RangeProfile(R2.range(), 64, 16);
    RangeProfile spread = new RangeProfile(R2.range(), 64, 16);
    Random random = new Random(3);
    for (int i = 0; i < 10_000; i++) {
      oneKey.add(access(random.nextInt(10) < 9 ? keys.get(0) : keys.get(1 + random.nextInt(999))));
      spread.add(access(keys.get(random.nextInt(1000))));
    }
    assertTrue(oneKey.topKeyShare(100).getAsDouble() > 0.85, "" + oneKey.topKeyShare(100));
    assertTrue(spread.topKeyShare(100).getAsDouble() < 0.05, "" + spread.topKeyShare(100));
    RangeProfile few = new RangeProfile(R2.range(), 64, 16);
    for (int i = 0; i < 99; i++) {
      few.add(access(keys.get(0)));
    }
    assertTrue(few.topKeyShare(100).isEmpty(), "99 samples are too few to say");
  }

  @Test
  void noSamplesNoSplitPointAndForeignHashesAreIgnored() {
    RangeProfile profile = new RangeProfile(R2.range(), 64, 16);
    assertTrue(profile.loadMedian().isEmpty());
    profile.add(new AccessRecord(0, "x", R2.range().last() + 1, AccessKind.READ, 0, 0));
    assertEquals(0, profile.sampled());
  }

  @Test
  void memoryStaysBoundedUnderTenMillionDistinctKeys() {
    RangeProfile profile = new RangeProfile(KeyRange.full(), 1024, 64);
    StringBuilder key = new StringBuilder("key-");
    for (int i = 0; i < 10_000_000; i++) {
      key.setLength(4);
      String k = key.append(i).toString();
      profile.add(new AccessRecord(0, k, KeyHash.of(k), AccessKind.READ, 0, 0));
      assertTrue(i % 1_000_000 != 0 || profile.trackedKeys() <= profile.maxTrackedKeys());
    }
    assertEquals(10_000_000, profile.sampled());
    assertTrue(profile.trackedKeys() <= profile.maxTrackedKeys(), profile.trackedKeys() + " keys tracked");
    assertTrue(profile.maxTrackedKeys() <= 1024);
  }
}
