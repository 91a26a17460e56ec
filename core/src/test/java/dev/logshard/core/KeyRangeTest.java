package dev.logshard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyRangeTest {

  @Test
  void fullRingEndsAtTwoToThe64() {
    KeyRange full = KeyRange.full();
    assertEquals(BigInteger.ONE.shiftLeft(64), full.end());
    assertEquals("18446744073709551616", full.endString());
    assertTrue(full.contains(0L));
    assertTrue(full.contains(-1L));
  }

  @Test
  void containsUsesUnsignedOrder() {
    KeyRange upperHalf = new KeyRange(Long.MIN_VALUE, -1L); // [2^63, 2^64)
    assertTrue(upperHalf.contains(Long.MIN_VALUE));
    assertTrue(upperHalf.contains(-1L));
    assertFalse(upperHalf.contains(Long.MAX_VALUE));
    assertFalse(upperHalf.contains(0L));
  }

  @Test
  void startAfterLastIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> new KeyRange(-1L, 0L));
    assertThrows(IllegalArgumentException.class, () -> KeyRange.equalSplit(0));
  }

  @Test
  void keyHashIsStableAndSpreadsKeys() {
    assertEquals(KeyHash.of("user:42"), KeyHash.of("user:42"));
    assertNotEquals(KeyHash.of("user:42"), KeyHash.of("user:43"));
    // 16 equal ranges, 16k sequential keys: every range gets a fair share (a weak but real check
    // that the hash is not, say, the identity on a prefix).
    ShardMap map = ShardMap.initial(16, "standard");
    int[] counts = new int[16];
    for (int i = 0; i < 16_384; i++) {
      counts[Integer.parseInt(map.lookup("key-" + i).rangeId().substring(1))]++;
    }
    for (int c : counts) {
      assertTrue(c > 800 && c < 1250, "uneven spread: " + java.util.Arrays.toString(counts));
    }
  }

  @Test
  void entityIdRoundTrips() {
    Random random = new Random(7L);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String rangeId = "r" + random.nextInt(100);
      long generation = 1 + random.nextInt(1000);
      String id = EntityId.of(rangeId, generation);
      seen.add(id);
      assertEquals(new EntityId(rangeId, generation), EntityId.parse(id));
    }
    assertThrows(IllegalArgumentException.class, () -> EntityId.parse("r1.x"));
    assertThrows(IllegalArgumentException.class, () -> EntityId.parse(".1"));
  }

  @Test
  void expectationMatchesVersions() {
    assertTrue(Expectation.any().matches(0));
    assertTrue(Expectation.any().matches(9));
    assertTrue(Expectation.absent().matches(0));
    assertFalse(Expectation.absent().matches(1));
    assertTrue(Expectation.present().matches(3));
    assertFalse(Expectation.present().matches(0));
    assertTrue(Expectation.version(3).matches(3));
    assertFalse(Expectation.version(3).matches(4));
    assertThrows(IllegalArgumentException.class, () -> Expectation.version(0));
  }
}
