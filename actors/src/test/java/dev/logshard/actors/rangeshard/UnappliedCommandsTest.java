package dev.logshard.actors.rangeshard;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.logshard.core.Expectation;
import dev.logshard.core.shard.KvReply;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A key-value command that ends undelivered is answered "handed off, not applied", so it is sent again. */
class UnappliedCommandsTest {

  private static final ActorTestKit testKit = ActorTestKit.create("UnappliedCommandsTest");

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aCommandSentToAStoppedEntityOrDroppedInItsEnvelopeIsAnsweredHandedOffAndOtherMessagesAreLeftAlone() {
    testKit.spawn(UnappliedCommands.create());
    TestProbe<KvReply> client = testKit.createTestProbe();
    ActorRef<Object> gone = testKit.spawn(Behaviors.stopped());
    TestProbe<Object> watcher = testKit.createTestProbe();
    watcher.expectTerminated(gone, Duration.ofSeconds(3));

    // Its subscription to the event stream is made asynchronously: sent again until it answers.
    KvReply first = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (first == null && System.nanoTime() < deadline) {
      gone.tell(new RangeShardCommand.Put("k", new byte[] {1}, Expectation.any(), client.getRef()));
      first = pollOne(client);
    }
    assertInstanceOf(KvReply.HandedOff.class, first);
    client.expectNoMessage(Duration.ofMillis(200));

    gone.tell(new ShardingEnvelope<>("r1.1", new RangeShardCommand.Get("k", client.getRef())));
    assertInstanceOf(KvReply.HandedOff.class, client.receiveMessage());

    // What a region drops at a hand-off goes to dead letters as Dropped, which wraps it once more.
    testKit.system().deadLetters().tell(new org.apache.pekko.actor.Dropped(
        new RangeShardCommand.Delete("k", Expectation.any(), client.getRef()), "hand-off",
        org.apache.pekko.actor.ActorRef.noSender(), org.apache.pekko.actor.ActorRef.noSender()));
    assertInstanceOf(KvReply.HandedOff.class, client.receiveMessage());

    gone.tell("not a command");
    gone.tell(RangeShardCommand.HandOff.INSTANCE);
    client.expectNoMessage(Duration.ofMillis(300));
  }

  private static KvReply pollOne(TestProbe<KvReply> probe) {
    try {
      return probe.receiveMessage(Duration.ofMillis(200));
    } catch (AssertionError timedOut) {
      return null;
    }
  }
}
