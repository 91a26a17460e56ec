package dev.logshard.core.profile;

import dev.logshard.core.KeyRange;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.ItemsSketch;

/**
 * What the profiler learns about one range from the sampled accesses: its hot keys (Apache
 * DataSketches' frequent-items sketch, a fixed-size map whatever the number of distinct keys) and
 * a histogram of key hashes over the range, whose load median is where a split divides the
 * range's load in two (not its midpoint). Fed off the request path, from drained
 * {@link AccessLog} records; not thread-safe.
 */
public final class RangeProfile {

  /** A key that takes a large share of its range's sampled accesses. */
  public record HotKey(String key, long estimate, long lowerBound, long upperBound) {}

  /** Keys below this share are not looked at for the top key's share. */
  private static final double TOP_KEY_FLOOR = 0.05;

  private final KeyRange range;
  private final ItemsSketch<String> hotKeys;
  private final long[] buckets;
  private final long bucketWidth;
  private long sampled;

  /**
   * @param hotKeyMapSize the sketch's map size (a power of two); memory and accuracy grow with it
   * @param hashBuckets how finely the range's hashes are counted
   */
  public RangeProfile(KeyRange range, int hotKeyMapSize, int hashBuckets) {
    this.range = range;
    this.hotKeys = new ItemsSketch<>(hotKeyMapSize);
    this.buckets = new long[hashBuckets];
    BigInteger[] qr = range.width().divideAndRemainder(BigInteger.valueOf(hashBuckets));
    this.bucketWidth = qr[0].add(qr[1].signum() == 0 ? BigInteger.ZERO : BigInteger.ONE).longValue();
  }

  public KeyRange range() {
    return range;
  }

  /** Counts one sampled access; ignored if its hash is not in the range (the map moved on). */
  public void add(AccessRecord access) {
    if (!range.contains(access.keyHash())) {
      return;
    }
    sampled++;
    hotKeys.update(access.key());
    buckets[bucket(access.keyHash())]++;
  }

  private int bucket(long hash) {
    long offset = hash - range.start();
    return (int) Math.min(buckets.length - 1, Long.divideUnsigned(offset, bucketWidth));
  }

  public long sampled() {
    return sampled;
  }

  /** Keys with at least {@code minShare} of the sampled accesses, most frequent first. */
  public List<HotKey> hotKeys(double minShare) {
    long threshold = Math.max(1, (long) Math.ceil(minShare * sampled));
    List<HotKey> result = new ArrayList<>();
    for (ItemsSketch.Row<String> row : hotKeys.getFrequentItems(threshold, ErrorType.NO_FALSE_POSITIVES)) {
      result.add(new HotKey(row.getItem(), row.getEstimate(), row.getLowerBound(), row.getUpperBound()));
    }
    return result;
  }

  /**
   * The hash that splits the sampled load in half: the lower part is {@code [start, point)}.
   * Interpolated within a bucket, so as precise as the bucket count allows. Empty without samples
   * or for a range of one hash.
   */
  public OptionalLong loadMedian() {
    if (sampled == 0 || range.start() == range.last()) {
      return OptionalLong.empty();
    }
    double half = sampled / 2.0;
    long before = 0;
    for (int i = 0; i < buckets.length; i++) {
      if (before + buckets[i] >= half && buckets[i] > 0) {
        double fraction = (half - before) / buckets[i];
        long point = range.start() + (long) i * bucketWidth + (long) (fraction * bucketWidth);
        // Both halves must hold at least one hash.
        if (Long.compareUnsigned(point, range.start()) <= 0) {
          point = range.start() + 1;
        }
        if (Long.compareUnsigned(point, range.last()) > 0) {
          point = range.last();
        }
        return OptionalLong.of(point);
      }
      before += buckets[i];
    }
    return OptionalLong.of(range.last());
  }

  /**
   * The share of the sampled accesses that went to the most accessed key (a lower bound), or empty
   * with fewer than {@code minSamples} samples.
   */
  public java.util.OptionalDouble topKeyShare(long minSamples) {
    if (sampled < Math.max(1, minSamples)) {
      return java.util.OptionalDouble.empty();
    }
    long top = 0;
    for (HotKey k : hotKeys(TOP_KEY_FLOOR)) {
      top = Math.max(top, k.lowerBound());
    }
    return java.util.OptionalDouble.of((double) top / sampled);
  }

  /** Keys the sketch holds now; at most {@link #maxTrackedKeys()}. */
  public int trackedKeys() {
    return hotKeys.getNumActiveItems();
  }

  public int maxTrackedKeys() {
    return hotKeys.getMaximumMapCapacity();
  }

  /** Starts a new window. */
  public void reset() {
    hotKeys.reset();
    java.util.Arrays.fill(buckets, 0);
    sampled = 0;
  }
}
