package dev.logshard.core;

import java.util.Objects;

/**
 * Where one range lives: its id, hash interval, current generation and the log instance whose
 * journal holds its events. The RangeShard entity for it is {@code rangeId.generation}.
 */
public record RangePlacement(String rangeId, KeyRange range, long generation, String logInstance) {

  public RangePlacement {
    Objects.requireNonNull(rangeId, "rangeId");
    Objects.requireNonNull(range, "range");
    Objects.requireNonNull(logInstance, "logInstance");
    if (rangeId.isEmpty() || rangeId.indexOf('.') >= 0) {
      throw new IllegalArgumentException("range id must be non-empty and without '.': " + rangeId);
    }
    if (generation < 1) {
      throw new IllegalArgumentException("generation must be >= 1, was " + generation);
    }
  }

  public String entityId() {
    return EntityId.of(rangeId, generation);
  }
}
