package dev.logshard.actors.support;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.coordinator.CoordinatorEvent;
import dev.logshard.core.shard.Change;
import dev.logshard.core.shard.RangeShardEvent;
import dev.logshard.core.transfer.TransferKind;
import dev.logshard.core.transfer.TransferPhase;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.saga.PhaseReached;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;

/**
 * Serializes and reads back one of each event a transfer journals, once, when the node starts.
 *
 * <p>Jackson builds a type's serializer the first time it meets the type. On RocksDB (a journal
 * write well under a millisecond), measured on a 2-core node: the first move after a start held
 * writes 26–67 ms against 2–9 ms for the next ones, each of its fence steps persisting an event
 * type for the first time ({@code SourceFenced}, the Coordinator's {@code TransferCommitted},
 * {@code SourceHandedOff}) 8–15 ms slower than later. Writes (the load's events) are warm anyway.
 */
public final class SerializationWarmUp {

  private SerializationWarmUp() {}

  /** The events a transfer writes, one of each type; their content does not matter. */
  static List<Object> samples() {
    ShardMap map = ShardMap.initial(2, "standard");
    RangePlacement source = map.placements().get(0);
    RangePlacement destination = new RangePlacement(source.rangeId(), source.range(), 2, "standard");
    TransferPlan plan = new TransferPlan("t0", TransferKind.MOVE, List.of(source), List.of(destination));
    return List.of(
        new RangeShardEvent.SourceFenced("t0"),
        new RangeShardEvent.SourceUnfenced("t0"),
        new RangeShardEvent.SourceHandedOff("t0", 2),
        new RangeShardEvent.FollowingStarted("t0", List.of(source.entityId()), "c0"),
        new RangeShardEvent.ChangesApplied(source.entityId(), 1, List.of(new Change("k", new byte[] {1}, 1, 1)), 1),
        new CoordinatorEvent.TransferPlanned(plan),
        new CoordinatorEvent.TransferCommitted("t0", 2),
        new CoordinatorEvent.TransferRollingBack("t0"),
        new PhaseReached(TransferPhase.FENCE, Map.of(source.entityId(), 1L), 2, 1, 1, null, 0, "c0"));
  }

  /** Runs every sample through the serializer Pekko picks for it, and back; throws if one does not come back. */
  public static void run(ActorSystem<?> system) {
    Serialization serialization = SerializationExtension.get(system);
    for (Object sample : samples()) {
      var serializer = serialization.findSerializerFor(sample);
      byte[] bytes = serialization.serialize(sample).get();
      Object back = serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, sample)).get();
      if (!back.getClass().equals(sample.getClass())) {
        throw new IllegalStateException("serialization changed " + sample.getClass() + " into " + back.getClass());
      }
    }
  }
}
