package dev.logshard.core.profile;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The cluster's access history over the ring, as the Coordinator persists it: per {@link RingCells}
 * cell, the accesses seen, fading with a half-life so that the recent past weighs most. Kept per
 * hash cell, not per range, so it stays true through splits, merges and a map created anew; small
 * (one number per cell) so a snapshot of it is cheap.
 *
 * <p>It answers what placement needs after a full restart, before any new load is seen: the load of
 * a range, the hash that divides a range's load in two (a split point), and N ranges of equal load
 * (initial sharding). Immutable: {@link #add} returns a new history.
 *
 * @param asOfMillis when the weights were last faded to
 * @param weights faded accesses per cell
 * @param accesses every access ever recorded, not faded
 */
public record LoadHistory(long asOfMillis, double[] weights, double accesses) implements CborSerializable {

  public static LoadHistory empty(int cells) {
    new RingCells(cells); // validates the cell count
    return new LoadHistory(0, new double[cells], 0);
  }

  public RingCells ring() {
    return new RingCells(weights.length);
  }

  /**
   * This history faded to {@code timeMillis} with {@code halfLifeMillis}, plus {@code counts} (one
   * entry per cell, or sparse cells, see {@link CellCounts}) seen at that time.
   */
  public LoadHistory add(long timeMillis, CellCounts counts, long halfLifeMillis) {
    double[] next = new double[weights.length];
    double fade = asOfMillis == 0 || timeMillis <= asOfMillis
        ? 1.0
        : Math.pow(0.5, (timeMillis - asOfMillis) / (double) halfLifeMillis);
    for (int c = 0; c < next.length; c++) {
      next[c] = weights[c] * fade;
    }
    double added = counts.addTo(next);
    return new LoadHistory(Math.max(asOfMillis, timeMillis), next, accesses + added);
  }

  /** The faded load of {@code range}. */
  public double loadIn(KeyRange range) {
    RingCells ring = ring();
    double sum = 0;
    for (int c = ring.first(range); c <= ring.last(range); c++) {
      sum += weights[c] * ring.overlap(range, c);
    }
    return sum;
  }

  public double totalLoad() {
    double sum = 0;
    for (double w : weights) {
      sum += w;
    }
    return sum;
  }

  /**
   * The hash that divides the faded load of {@code range} in two (the lower part is
   * {@code [start, point)}), spreading a cell's load evenly over it. Empty when the range has no
   * load or is one hash wide.
   */
  public OptionalLong median(KeyRange range) {
    double total = loadIn(range);
    if (total <= 0 || range.start() == range.last()) {
      return OptionalLong.empty();
    }
    RingCells ring = ring();
    double half = total / 2;
    double before = 0;
    for (int c = ring.first(range); c <= ring.last(range); c++) {
      double load = weights[c] * ring.overlap(range, c);
      if (load > 0 && before + load >= half) {
        long point = ring.within(range, c, (half - before) / load);
        // Both halves hold at least one hash.
        return OptionalLong.of(Long.compareUnsigned(point, range.start()) <= 0 ? range.start() + 1 : point);
      }
      before += load;
    }
    return OptionalLong.of(range.last());
  }

  /**
   * The ring cut into {@code n} ranges of about equal faded load, in ring order; {@code n} equal
   * ranges when there is no load. Each range holds at least one hash.
   */
  public List<KeyRange> equalLoadSplit(int n) {
    double total = totalLoad();
    if (total <= 0 || n <= 1) {
      return KeyRange.equalSplit(n);
    }
    RingCells ring = ring();
    KeyRange full = KeyRange.full();
    List<KeyRange> ranges = new ArrayList<>(n);
    long start = 0;
    double before = 0;
    int c = 0;
    for (int k = 1; k < n; k++) {
      double target = total * k / n;
      while (c < weights.length - 1 && before + weights[c] < target) {
        before += weights[c];
        c++;
      }
      long cut = weights[c] > 0 ? ring.within(full, c, (target - before) / weights[c]) : ring.cellStart(c);
      // Cuts strictly increase and leave room for the ranges still to come.
      long earliest = start + 1;
      long latest = -1L - (n - k - 1);
      if (Long.compareUnsigned(cut, earliest) < 0) {
        cut = earliest;
      }
      if (Long.compareUnsigned(cut, latest) > 0) {
        cut = latest;
      }
      ranges.add(new KeyRange(start, cut - 1));
      start = cut;
    }
    ranges.add(new KeyRange(start, -1L));
    return ranges;
  }

  /** {@code seed}'s ranges, in order, re-cut so that each had about the same share of this past load. */
  public ShardMap recut(ShardMap seed) {
    List<KeyRange> ranges = equalLoadSplit(seed.size());
    List<RangePlacement> placements = new ArrayList<>();
    for (int i = 0; i < ranges.size(); i++) {
      RangePlacement p = seed.placements().get(i);
      placements.add(new RangePlacement(p.rangeId(), ranges.get(i), p.generation(), p.logInstance()));
    }
    return new ShardMap(seed.epoch(), placements);
  }
}
