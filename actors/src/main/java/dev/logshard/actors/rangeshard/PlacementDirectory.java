package dev.logshard.actors.rangeshard;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.coordinator.CoordinatorState;
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

  /**
   * The answer: the placement, or null when the generation is not placed; the map's epoch; and when
   * its log instance was added at runtime, that instance (a node learns it so).
   */
  record Placement(RangePlacement placement, long epoch, CoordinatorState.AddedInstance addedInstance)
      implements CborSerializable {

    public Placement(RangePlacement placement, long epoch) {
      this(placement, epoch, null);
    }
  }
}
