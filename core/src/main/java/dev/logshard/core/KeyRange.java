package dev.logshard.core;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * A contiguous interval of the unsigned 64-bit ring. Held as {@code [start, last]} with both ends
 * inclusive so that the end of the ring (2^64) needs no special value; {@link #end()} gives the
 * half-open form {@code [start, end)} used in the API and the design.
 */
public record KeyRange(long start, long last) {

  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

  public KeyRange {
    if (Long.compareUnsigned(start, last) > 0) {
      throw new IllegalArgumentException(
          "range start " + Long.toUnsignedString(start) + " is after its last hash "
              + Long.toUnsignedString(last));
    }
  }

  /** The whole ring, {@code [0, 2^64)}. */
  public static KeyRange full() {
    return new KeyRange(0L, -1L);
  }

  /** Splits the whole ring into {@code n} ranges of equal size (the last takes the remainder). */
  public static List<KeyRange> equalSplit(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("range count must be at least 1, was " + n);
    }
    BigInteger width = TWO_64.divide(BigInteger.valueOf(n));
    List<KeyRange> ranges = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long start = width.multiply(BigInteger.valueOf(i)).longValue();
      long last = i == n - 1 ? -1L : width.multiply(BigInteger.valueOf(i + 1L)).longValue() - 1;
      ranges.add(new KeyRange(start, last));
    }
    return ranges;
  }

  public boolean contains(long hash) {
    return Long.compareUnsigned(hash, start) >= 0 && Long.compareUnsigned(hash, last) <= 0;
  }

  public boolean contains(String key) {
    return contains(KeyHash.of(key));
  }

  /** Exclusive end, as an unsigned number that may be 2^64. */
  public BigInteger end() {
    return new BigInteger(Long.toUnsignedString(last)).add(BigInteger.ONE);
  }

  /** Number of hashes in the range, 1 to 2^64. */
  public BigInteger width() {
    return end().subtract(new BigInteger(Long.toUnsignedString(start)));
  }

  /** Whether {@code next} starts right after this range ends. */
  public boolean isFollowedBy(KeyRange next) {
    return last != -1L && next.start == last + 1;
  }

  public String startString() {
    return Long.toUnsignedString(start);
  }

  public String endString() {
    return end().toString();
  }

  @Override
  public String toString() {
    return "[" + startString() + ", " + endString() + ")";
  }
}
