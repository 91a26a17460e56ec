package dev.logshard.core.profile;

import dev.logshard.core.KeyRange;
import java.util.Arrays;
import java.util.List;

/**
 * Spreads one tick's exact per-range access counts over the ring's cells: inside a range, in
 * proportion to where that tick's sampled accesses fell, or evenly over the range when none was
 * sampled. The totals stay exact; only their placement inside a range comes from the samples. Used
 * once per tick by the profiler; not thread-safe.
 */
public final class LoadSpread {

  private final RingCells ring;
  private final int[] sampledPerRange;
  private int[] sampleRange = new int[256];
  private int[] sampleCell = new int[256];
  private int samples;

  public LoadSpread(RingCells ring, int rangeCount) {
    this.ring = ring;
    this.sampledPerRange = new int[rangeCount];
  }

  /** One sampled access of range {@code rangeIndex} at {@code hash}. */
  public void sample(int rangeIndex, long hash) {
    if (samples == sampleRange.length) {
      sampleRange = Arrays.copyOf(sampleRange, samples * 2);
      sampleCell = Arrays.copyOf(sampleCell, samples * 2);
    }
    sampleRange[samples] = rangeIndex;
    sampleCell[samples++] = ring.cell(hash);
    sampledPerRange[rangeIndex]++;
  }

  /** The accesses per cell, given each range's exact count ({@code accesses[i]} for {@code ranges.get(i)}). */
  public CellCounts spread(List<KeyRange> ranges, long[] accesses) {
    double[] dense = new double[ring.count()];
    for (int s = 0; s < samples; s++) {
      int range = sampleRange[s];
      dense[sampleCell[s]] += (double) accesses[range] / sampledPerRange[range];
    }
    for (int i = 0; i < ranges.size(); i++) {
      if (sampledPerRange[i] == 0 && accesses[i] > 0) {
        KeyRange range = ranges.get(i);
        double width = ring.width(range);
        for (int c = ring.first(range); c <= ring.last(range); c++) {
          dense[c] += accesses[i] * ring.overlap(range, c) / width;
        }
      }
    }
    return CellCounts.of(dense);
  }
}
