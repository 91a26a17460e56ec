package dev.logshard.actors.rangeshard;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.RangePlacement;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Tells a starting RangeShard entity its range and log instance from its entity id. The node's
 * directory asks the Coordinator, which places the generations of its ShardMap and the
 * destinations of running Transfers, and nothing else: a retired generation never writes again.
 */
@FunctionalInterface
public interface PlacementDirectory {

  /** Answers {@code replyTo} with the placement of exactly this {@code rangeId.generation}. */
  void resolve(String entityId, ActorRef<Placement> replyTo);

  /** The answer: the placement, or null when the generation is not placed; and the map's epoch. */
  record Placement(RangePlacement placement, long epoch) implements CborSerializable {}
}
