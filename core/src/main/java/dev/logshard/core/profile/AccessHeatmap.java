package dev.logshard.core.profile;

import dev.logshard.core.KeyRange;
import java.util.List;

/**
 * Access frequency over ranges × time buckets, kept at several resolutions (say 1 s for 10 min
 * and 1 min for 24 h), in memory fixed at construction.
 *
 * <p>Counts are stored per <em>cell of the ring</em> (the ring cut into {@code cells} equal parts),
 * not per range id: a range's count is spread over the cells it covers, in proportion to the
 * overlap, and a range's heat is read back the same way. So the history follows the hash
 * interval: after a split, each half reads its share of the old range's past; after a merge, the
 * merged range reads the sum; any tiling of the ring reads the same totals. Not thread-safe: one
 * writer (the profiler's tick).
 */
public final class AccessHeatmap {

  /** One time resolution: {@code buckets} buckets of {@code bucketMillis} each. */
  public record Resolution(String name, long bucketMillis, int buckets) {}

  private final RingCells ring;
  private final List<Resolution> resolutions;
  private final double[][][] counts; // [resolution][bucket slot][cell]
  private final long[][] bucketIds; // which bucket (time / bucketMillis) a slot holds

  /** {@code cells} must be a power of two. */
  public AccessHeatmap(int cells, List<Resolution> resolutions) {
    this.ring = new RingCells(cells);
    this.resolutions = List.copyOf(resolutions);
    this.counts = new double[resolutions.size()][][];
    this.bucketIds = new long[resolutions.size()][];
    for (int r = 0; r < resolutions.size(); r++) {
      counts[r] = new double[resolutions.get(r).buckets()][cells];
      bucketIds[r] = new long[resolutions.get(r).buckets()];
      java.util.Arrays.fill(bucketIds[r], Long.MIN_VALUE);
    }
  }

  public List<Resolution> resolutions() {
    return resolutions;
  }

  /** Adds {@code count} accesses of {@code range} at {@code timeMillis} to every resolution. */
  public void record(long timeMillis, KeyRange range, double count) {
    double width = ring.width(range);
    int first = ring.first(range);
    int last = ring.last(range);
    for (int r = 0; r < resolutions.size(); r++) {
      double[] row = slot(r, timeMillis, true);
      for (int c = first; c <= last; c++) {
        row[c] += count * ring.overlap(range, c) / width;
      }
    }
  }

  /**
   * The heat of {@code range} in the bucket of resolution {@code resolution} that holds
   * {@code timeMillis}; 0 for a bucket that has rolled out of the window.
   */
  public double heat(int resolution, KeyRange range, long timeMillis) {
    double[] row = slot(resolution, timeMillis, false);
    if (row == null) {
      return 0;
    }
    double sum = 0;
    for (int c = ring.first(range); c <= ring.last(range); c++) {
      sum += row[c] * ring.overlap(range, c);
    }
    return sum;
  }

  /** Heat of each range (rows) in each bucket from {@code fromMillis} to {@code toMillis} (columns). */
  public double[][] matrix(int resolution, List<KeyRange> ranges, long fromMillis, long toMillis) {
    long step = resolutions.get(resolution).bucketMillis();
    int columns = (int) Math.max(0, Math.floorDiv(toMillis, step) - Math.floorDiv(fromMillis, step) + 1);
    double[][] m = new double[ranges.size()][columns];
    for (int i = 0; i < ranges.size(); i++) {
      for (int j = 0; j < columns; j++) {
        m[i][j] = heat(resolution, ranges.get(i), (Math.floorDiv(fromMillis, step) + j) * step);
      }
    }
    return m;
  }

  private double[] slot(int resolution, long timeMillis, boolean forWrite) {
    Resolution res = resolutions.get(resolution);
    long bucket = Math.floorDiv(timeMillis, res.bucketMillis());
    int slot = (int) Math.floorMod(bucket, (long) res.buckets());
    if (bucketIds[resolution][slot] != bucket) {
      if (!forWrite) {
        return null;
      }
      java.util.Arrays.fill(counts[resolution][slot], 0);
      bucketIds[resolution][slot] = bucket;
    }
    return counts[resolution][slot];
  }
}
