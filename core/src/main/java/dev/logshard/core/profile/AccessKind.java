package dev.logshard.core.profile;

/** Whether an access read or wrote its key. */
public enum AccessKind {
  READ,
  WRITE
}
