package dev.logshard.core.transfer;

/** The three shapes of one migration mechanism: sources → destinations. */
public enum TransferKind {
  /** One range to a new generation, on another log instance and/or node (1 → 1). */
  MOVE,
  /** One range cut in two at a hash (1 → 2). */
  SPLIT,
  /** Two adjacent ranges joined (2 → 1). */
  MERGE
}
