package dev.logshard.core;

/** The RangeShard entity id {@code rangeId.generation}, and its parts. */
public record EntityId(String rangeId, long generation) {

  public static String of(String rangeId, long generation) {
    return rangeId + "." + generation;
  }

  /** Parses {@code rangeId.generation}; throws IllegalArgumentException for any other shape. */
  public static EntityId parse(String entityId) {
    int dot = entityId.lastIndexOf('.');
    if (dot <= 0 || dot == entityId.length() - 1) {
      throw new IllegalArgumentException("entity id is not rangeId.generation: " + entityId);
    }
    try {
      return new EntityId(entityId.substring(0, dot), Long.parseLong(entityId.substring(dot + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("entity id is not rangeId.generation: " + entityId, e);
    }
  }

  @Override
  public String toString() {
    return of(rangeId, generation);
  }
}
