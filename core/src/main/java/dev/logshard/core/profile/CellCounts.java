package dev.logshard.core.profile;

import dev.logshard.core.CborSerializable;

/**
 * Accesses per {@link RingCells} cell, sparse: only the cells that saw any. What a node's profiler
 * reports each tick and what the load history journals.
 *
 * @param cells cell indexes, ascending
 * @param counts accesses of each of those cells
 */
public record CellCounts(int[] cells, double[] counts) implements CborSerializable {

  public CellCounts {
    if (cells.length != counts.length) {
      throw new IllegalArgumentException("cells and counts differ in length");
    }
  }

  public static CellCounts none() {
    return new CellCounts(new int[0], new double[0]);
  }

  /** The non-zero entries of a dense array (one entry per cell). */
  public static CellCounts of(double[] dense) {
    int n = 0;
    for (double v : dense) {
      if (v != 0) {
        n++;
      }
    }
    int[] cells = new int[n];
    double[] counts = new double[n];
    int i = 0;
    for (int c = 0; c < dense.length; c++) {
      if (dense[c] != 0) {
        cells[i] = c;
        counts[i++] = dense[c];
      }
    }
    return new CellCounts(cells, counts);
  }

  /** Adds these counts to a dense array; returns their sum. Cells beyond its length are ignored. */
  public double addTo(double[] dense) {
    double sum = 0;
    for (int i = 0; i < cells.length; i++) {
      if (cells[i] >= 0 && cells[i] < dense.length) {
        dense[cells[i]] += counts[i];
        sum += counts[i];
      }
    }
    return sum;
  }
}
