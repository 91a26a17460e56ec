package dev.logshard.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
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
  void everyJournaledEventTypeRoundTripsThroughJacksonCbor() {
    SerializationWarmUp.run(testKit.system()); // throws if one does not come back as itself
    Set<String> serializers = new HashSet<>();
    for (Object sample : SerializationWarmUp.samples()) {
      serializers.add(SerializationExtension.get(testKit.system()).findSerializerFor(sample).getClass().getSimpleName());
    }
    assertEquals(Set.of("JacksonCborSerializer"), serializers);
  }

  @Test
  void itHasASampleOfEveryEventTypeOfTheRangeShardsAndTheCoordinator() {
    Set<Class<?>> sampled = new HashSet<>();
    SerializationWarmUp.samples().forEach(s -> sampled.add(s.getClass()));
    for (Class<?> type : RangeShardEvent.class.getPermittedSubclasses()) {
      assertEquals(true, sampled.contains(type), type + " has no sample");
    }
    for (Class<?> type : CoordinatorEvent.class.getPermittedSubclasses()) {
      if (type != CoordinatorEvent.TransferEnded.class) { // written once a transfer ended: off the fence's path
        assertEquals(true, sampled.contains(type), type + " has no sample");
      }
    }
  }
}
