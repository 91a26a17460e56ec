package dev.logshard.actors;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.transfer.TransferKind;
import dev.logshard.core.transfer.TransferPhase;
import dev.logshard.core.transfer.TransferPlan;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;

/**
 * Serializes and reads back one event of every type a node journals, once, when it starts.
 *
 * <p>Jackson builds a type's (de)serializer the first time it meets the type. Measured on a loaded
 * 2-core node: the first transfer's fence took 73 ms against 11–28 ms for the next nine, and each
 * step that persisted an event type for the first time ({@code SourceFenced}, the Coordinator's
 * {@code TransferCommitted}, {@code SourceHandedOff}) was 15–20 ms slower than later. Events a
 * node writes only during a transfer would otherwise pay that inside the first write fence.
 */
public final class SerializationWarmUp {

  private SerializationWarmUp() {}

  /** The events, one of each type; their content does not matter. */
  static List<Object> samples() {
    ShardMap map = ShardMap.initial(2, "standard");
    RangePlacement source = map.placements().get(0);
    RangePlacement destination = new RangePlacement(source.rangeId(), source.range(), 2, "standard");
    TransferPlan plan = new TransferPlan("t0", TransferKind.MOVE, List.of(source), List.of(destination));
    RangeShardEvent.Change change = new RangeShardEvent.Change("k", new byte[] {1}, 1, 1);
    return List.of(
        new RangeShardEvent.ValuePut("k", new byte[] {1}, 1),
        new RangeShardEvent.ValueDeleted("k", 2),
        new RangeShardEvent.SourceFenced("t0"),
        new RangeShardEvent.SourceUnfenced("t0"),
        new RangeShardEvent.SourceHandedOff("t0", 2),
        new RangeShardEvent.FollowingStarted("t0", List.of(source.entityId()), "c0"),
        new RangeShardEvent.ChangesApplied(source.entityId(), 1, List.of(change), 1),
        new CoordinatorEvent.MapInitialized(1, map.placements()),
        new CoordinatorEvent.TransferPlanned(plan),
        new CoordinatorEvent.TransferCommitted("t0", 2),
        new CoordinatorEvent.TransferRollingBack("t0"),
        new TransferSaga.PhaseReached(TransferPhase.FENCE, Map.of(source.entityId(), 1L), 2, 1, 1, null, 0, "c0"));
  }

  /** Runs every sample through the serializer Pekko picks for it, and back. */
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
