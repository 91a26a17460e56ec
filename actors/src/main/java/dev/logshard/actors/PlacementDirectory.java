package dev.logshard.actors;

import dev.logshard.core.RangePlacement;
import java.util.Optional;

/** Tells a starting RangeShard entity its range and log instance from its entity id. */
@FunctionalInterface
public interface PlacementDirectory {

  /** The placement of exactly this {@code rangeId.generation}, if it is placed. */
  Optional<RangePlacement> placementOf(String entityId);
}
