package dev.logshard.core.profile;

import dev.logshard.core.KeyRange;

/**
 * The hash ring cut into a power-of-two number of equal cells: the grid on which the heatmap and
 * the load history keep their counts, so that what they remember follows hash intervals, not
 * range ids. A range covers whole cells and at most two partial ones; {@link #overlap} says how
 * much of a cell it covers.
 */
public final class RingCells {

  private final int cells;
  private final int shift;
  private final double cellWidth;

  /** {@code cells} must be a power of two, at least 2. */
  public RingCells(int cells) {
    if (Integer.bitCount(cells) != 1 || cells < 2) {
      throw new IllegalArgumentException("cells must be a power of two >= 2, was " + cells);
    }
    this.cells = cells;
    this.shift = 64 - Integer.numberOfTrailingZeros(cells);
    this.cellWidth = Math.scalb(1.0, shift);
  }

  public int count() {
    return cells;
  }

  /** The cell that holds {@code hash}. */
  public int cell(long hash) {
    return (int) (hash >>> shift);
  }

  public int first(KeyRange range) {
    return cell(range.start());
  }

  public int last(KeyRange range) {
    return cell(range.last());
  }

  public long cellStart(int c) {
    return (long) c << shift;
  }

  public long cellLast(int c) {
    return c == cells - 1 ? -1L : ((long) (c + 1) << shift) - 1;
  }

  /** How much of cell {@code c} the range covers, as a fraction of the cell (0 to 1). */
  public double overlap(KeyRange range, int c) {
    long cellStart = cellStart(c);
    long cellLast = cellLast(c);
    if (Long.compareUnsigned(range.last(), cellStart) < 0 || Long.compareUnsigned(range.start(), cellLast) > 0) {
      return 0;
    }
    long from = Long.compareUnsigned(range.start(), cellStart) > 0 ? range.start() : cellStart;
    long to = Long.compareUnsigned(range.last(), cellLast) < 0 ? range.last() : cellLast;
    return (unsigned(to - from) + 1.0) / cellWidth;
  }

  /** The range's width in cells. */
  public double width(KeyRange range) {
    double width = 0;
    for (int c = first(range); c <= last(range); c++) {
      width += overlap(range, c);
    }
    return width;
  }

  /**
   * The hash {@code fraction} (0 to 1) of the way through the part of cell {@code c} that
   * {@code range} covers.
   */
  public long within(KeyRange range, int c, double fraction) {
    long from = Long.compareUnsigned(range.start(), cellStart(c)) > 0 ? range.start() : cellStart(c);
    long to = Long.compareUnsigned(range.last(), cellLast(c)) < 0 ? range.last() : cellLast(c);
    double span = unsigned(to - from) + 1.0;
    long offset = (long) Math.min(span - 1, Math.max(0, Math.floor(fraction * span)));
    return from + offset;
  }

  static double unsigned(long x) {
    return x >= 0 ? x : (x >>> 1) * 2.0 + (x & 1);
  }
}
