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

  private final int shift;
  private final int cells;
  private final List<Resolution> resolutions;
  private final double[][][] counts; // [resolution][bucket slot][cell]
  private final long[][] bucketIds; // which bucket (time / bucketMillis) a slot holds

  /** {@code cells} must be a power of two. */
  public AccessHeatmap(int cells, List<Resolution> resolutions) {
    if (Integer.bitCount(cells) != 1 || cells < 2) {
      throw new IllegalArgumentException("cells must be a power of two >= 2, was " + cells);
    }
    this.cells = cells;
    this.shift = 64 - Integer.numberOfTrailingZeros(cells);
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
    double width = cellWidth(range);
    int first = cell(range.start());
    int last = cell(range.last());
    for (int r = 0; r < resolutions.size(); r++) {
      double[] row = slot(r, timeMillis, true);
      for (int c = first; c <= last; c++) {
        row[c] += count * overlap(range, c) / width;
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
    for (int c = cell(range.start()); c <= cell(range.last()); c++) {
      sum += row[c] * overlap(range, c);
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

  private int cell(long hash) {
    return (int) (hash >>> shift);
  }

  /** How much of cell {@code c} the range covers, as a fraction of the cell (0 to 1). */
  private double overlap(KeyRange range, int c) {
    long cellStart = (long) c << shift;
    long cellLast = c == cells - 1 ? -1L : ((long) (c + 1) << shift) - 1;
    long from = Long.compareUnsigned(range.start(), cellStart) > 0 ? range.start() : cellStart;
    long to = Long.compareUnsigned(range.last(), cellLast) < 0 ? range.last() : cellLast;
    return (unsigned(to - from) + 1.0) / (unsigned(cellLast - cellStart) + 1.0);
  }

  /** The range's width in cells. */
  private double cellWidth(KeyRange range) {
    double width = 0;
    for (int c = cell(range.start()); c <= cell(range.last()); c++) {
      width += overlap(range, c);
    }
    return width;
  }

  private static double unsigned(long x) {
    return x >= 0 ? x : (x >>> 1) * 2.0 + (x & 1);
  }
}
