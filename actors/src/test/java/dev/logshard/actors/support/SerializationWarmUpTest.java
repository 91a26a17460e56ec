package dev.logshard.actors.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logshard.core.coordinator.CoordinatorEvent;
import dev.logshard.core.shard.RangeShardEvent;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class SerializationWarmUpTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void everySampleRoundTripsThroughTheSerializerTheJournalUses() {
    SerializationWarmUp.run(testKit.system()); // throws if one does not come back as itself
    Set<String> serializers = new HashSet<>();
    for (Object sample : SerializationWarmUp.samples()) {
      serializers.add(SerializationExtension.get(testKit.system()).findSerializerFor(sample).getClass().getSimpleName());
    }
    assertEquals(Set.of("JacksonCborSerializer"), serializers);
  }

  @Test
  void everyEventATransferWritesHasASample() {
    Set<Class<?>> sampled = new HashSet<>();
    SerializationWarmUp.samples().forEach(s -> sampled.add(s.getClass()));
    for (Class<?> type : List.of(RangeShardEvent.SourceFenced.class, RangeShardEvent.SourceUnfenced.class,
        RangeShardEvent.SourceHandedOff.class, RangeShardEvent.FollowingStarted.class, RangeShardEvent.ChangesApplied.class,
        CoordinatorEvent.TransferPlanned.class, CoordinatorEvent.TransferCommitted.class,
        CoordinatorEvent.TransferRollingBack.class)) {
      assertTrue(sampled.contains(type), type + " has no sample");
    }
  }
}
