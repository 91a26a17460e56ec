package dev.logshard.actors.support;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.logshard.actors.coordinator.ClusterLoad;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.coordinator.CoordinatorEvent;
import dev.logshard.core.profile.CellCounts;
import dev.logshard.core.shard.RangeShardEvent;
import dev.logshard.core.shard.RangeShardSnapshot;
import dev.logshard.core.transfer.TransferPhase;
import dev.logshard.core.transfer.saga.PhaseReached;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Journals written before the classes moved are read as the moved classes. */
class ClassRenamesTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** Serializes {@code value}, then reads the bytes back as if the manifest named {@code oldName}. */
  private static Object readAsJournaledUnder(Object value, String oldName) {
    Serialization serialization = SerializationExtension.get(testKit.system().classicSystem());
    var serializer = serialization.findSerializerFor(value);
    byte[] bytes = serializer.toBinary(value);
    assertEquals(value.getClass().getName(), Serializers.manifestFor(serializer, value), "new data is written under the new name");
    return serialization.deserialize(bytes, serializer.identifier(), oldName).get();
  }

  @Test
  void eventsJournaledUnderTheirOldNamesAreReadAsTheMovedClasses() {
    var put = new RangeShardEvent.ValuePut("k", "v".getBytes(StandardCharsets.UTF_8), 3);
    var read = (RangeShardEvent.ValuePut) readAsJournaledUnder(put, "dev.logshard.actors.RangeShardEvent$ValuePut");
    assertEquals("k", read.key());
    assertArrayEquals(put.value(), read.value());
    assertEquals(3, read.version());

    var fenced = new RangeShardEvent.SourceFenced("t1");
    assertEquals(fenced, readAsJournaledUnder(fenced, "dev.logshard.actors.RangeShardEvent$SourceFenced"));

    List<RangePlacement> placements = ShardMap.initial(2, "standard").placements();
    var init = new CoordinatorEvent.MapInitialized(1, placements);
    assertEquals(init, readAsJournaledUnder(init, "dev.logshard.actors.CoordinatorEvent$MapInitialized"));

    var phase = new PhaseReached(TransferPhase.FENCE, Map.of("r1.1", 4L), 0, 2, 20, null, 99, "c1");
    assertEquals(phase, readAsJournaledUnder(phase, "dev.logshard.actors.TransferSaga$PhaseReached"));

    var history = new ClusterLoad.HistoryRecorded(5, new CellCounts(new int[] {3}, new double[] {2.0}));
    var readHistory = (ClusterLoad.HistoryRecorded) readAsJournaledUnder(history, "dev.logshard.actors.ClusterLoad$HistoryRecorded");
    assertEquals(5, readHistory.timeMillis());

    var snapshot = new RangeShardSnapshot(List.of(), 7, null, 0, null, Map.of(), null);
    assertEquals(snapshot, readAsJournaledUnder(snapshot, "dev.logshard.actors.RangeShardSnapshot"));
  }
}
