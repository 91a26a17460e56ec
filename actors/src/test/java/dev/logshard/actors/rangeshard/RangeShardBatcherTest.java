package dev.logshard.actors.rangeshard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.logshard.core.Expectation;
import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.shard.TransferStep;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.JournalOperation;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.ProcessingPolicy;
import org.apache.pekko.persistence.testkit.ProcessingResult;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Group commit in front of a RangeShard: batched, yet every sender sees its own order. */
class RangeShardBatcherTest {

  private static final Config CONFIG = EventSourcedBehaviorTestKit.config()
      .withFallback(PersistenceTestKitSnapshotPlugin.config())
      .withFallback(ConfigFactory.load());

  private static final ActorTestKit testKit = ActorTestKit.create("RangeShardBatcherTest", CONFIG);
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final ShardMap MAP = ShardMap.initial(4, "standard");
  private static int generation;

  /** Sizes of the atomic writes the journal received. */
  private final List<Integer> writes = new CopyOnWriteArrayList<>();
  /** Holds the journal's writes until a test has sent all its commands (then they must queue). */
  private final CountDownLatch journalOpen = new CountDownLatch(1);

  @BeforeEach
  void recordWrites() {
    journal.clearAll();
    journal.withPolicy(new ProcessingPolicy<JournalOperation>() {
      @Override
      public ProcessingResult tryProcess(String persistenceId, JournalOperation operation) {
        if (operation instanceof WriteEvents write) {
          try {
            journalOpen.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          writes.add(write.getBatch().size());
        }
        return ProcessingSuccess.getInstance();
      }
    });
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** A fresh range generation (its own persistence id) behind a batcher. */
  private static ActorRef<RangeShardCommand> spawn(String settingsOverrides) {
    RangePlacement r1 = MAP.byRangeId("r1").orElseThrow();
    RangePlacement placement = new RangePlacement("r1", r1.range(), ++generation, "standard");
    LogShardSettings settings = LogShardSettings.create(ConfigFactory.parseString(settingsOverrides).withFallback(CONFIG));
    return testKit.spawn(RangeShard.createBatched(placement, settings));
  }

  private static List<String> keysInR1(int n) {
    RangePlacement r1 = MAP.byRangeId("r1").orElseThrow();
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < n; i++) {
      if (r1.range().contains(KeyHash.of("k" + i))) {
        keys.add("k" + i);
      }
    }
    return keys;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void commandsSentWithoutWaitingAreAppliedInOrderAndReadsSeeTheWriteBeforeThem() {
    ActorRef<RangeShardCommand> shard = spawn("");
    // Writes are answered in the order they were sent. Reads may be answered in any order (a read
    // with nothing queued ahead skips the batch queue), so they are checked by content: every
    // value is written once, and the read sent right after it must return exactly it.
    TestProbe<KvReply> writes = testKit.createTestProbe();
    TestProbe<KvReply> reads = testKit.createTestProbe();
    List<String> keys = keysInR1(10);
    int rounds = 30;
    for (int round = 0; round < rounds; round++) {
      for (String key : keys) {
        shard.tell(new RangeShardCommand.Put(key, bytes(key + "@" + round), Expectation.any(), writes.getRef()));
        shard.tell(new RangeShardCommand.Get(key, reads.getRef()));
      }
    }
    journalOpen.countDown();
    java.util.Map<String, Long> versionOfValue = new java.util.HashMap<>();
    long version = 0;
    for (int round = 0; round < rounds; round++) {
      for (String key : keys) {
        KvReply.Written written = assertInstanceOf(KvReply.Written.class, writes.receiveMessage());
        assertEquals(++version, written.version(), "versions follow the order the writes were sent in");
        assertEquals(round == 0, written.created());
        versionOfValue.put(key + "@" + round, version);
      }
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < rounds * keys.size(); i++) {
      KvReply.Value read = assertInstanceOf(KvReply.Value.class, reads.receiveMessage());
      String value = new String(read.value(), StandardCharsets.UTF_8);
      assertEquals(versionOfValue.get(value), read.version(), "value and version belong together: " + value);
      assertTrue(seen.add(value), "each read returns the write sent just before it, so no value twice: " + value);
    }
    assertEquals(versionOfValue.keySet(), seen);
    assertEquals(rounds * keys.size(), this.writes.stream().mapToInt(Integer::intValue).sum());
    assertTrue(this.writes.size() < rounds * keys.size(), "writes were grouped: " + this.writes);
  }

  @Test
  void aClientBatchAndSingleCommandsShareAJournalWriteYetGetTheirOwnReplies() {
    ActorRef<RangeShardCommand> shard = spawn("");
    TestProbe<KvReply> probe = testKit.createTestProbe();
    List<String> keys = keysInR1(3);
    shard.tell(new RangeShardCommand.Put(keys.get(0), bytes("a"), Expectation.absent(), probe.getRef()));
    shard.tell(new RangeShardCommand.ApplyBatch(List.of(
        Operation.put(keys.get(1), bytes("b"), Expectation.any()),
        Operation.get(keys.get(0)),
        Operation.put(keys.get(0), bytes("a2"), Expectation.version(1))), probe.getRef()));
    shard.tell(new RangeShardCommand.Put(keys.get(0), bytes("a3"), Expectation.version(1), probe.getRef()));
    shard.tell(new RangeShardCommand.Delete(keys.get(2), Expectation.any(), probe.getRef()));
    journalOpen.countDown();

    assertEquals(new KvReply.Written(1, true), probe.receiveMessage());
    KvReply.Batch batch = assertInstanceOf(KvReply.Batch.class, probe.receiveMessage());
    assertEquals(3, batch.results().size());
    assertEquals(new KvReply.Written(2, true), batch.results().get(0));
    assertEquals(1, ((KvReply.Value) batch.results().get(1)).version());
    assertEquals(new KvReply.Written(3, false), batch.results().get(2));
    assertEquals(new KvReply.PreconditionFailed(3), probe.receiveMessage());
    assertInstanceOf(KvReply.NotFound.class, probe.receiveMessage());
  }

  @Test
  void aBatchStaysWithinItsByteLimit() {
    ActorRef<RangeShardCommand> shard = spawn("logshard.batching.max-bytes = 3 KiB");
    TestProbe<KvReply> probe = testKit.createTestProbe();
    String key = keysInR1(1).get(0);
    for (int i = 0; i < 20; i++) {
      shard.tell(new RangeShardCommand.Put(key, new byte[1024], Expectation.any(), probe.getRef()));
    }
    journalOpen.countDown();
    for (int i = 1; i <= 20; i++) {
      assertEquals(i, assertInstanceOf(KvReply.Written.class, probe.receiveMessage()).version());
    }
    assertEquals(20, writes.stream().mapToInt(Integer::intValue).sum());
    assertTrue(writes.stream().allMatch(n -> n <= 3), "at most 3 KiB of values per write: " + writes);
    assertTrue(writes.stream().anyMatch(n -> n == 3), "queued writes were grouped up to the limit: " + writes);
  }

  @Test
  void pastItsQueueBoundsACommandIsRefusedAtOnceAndTheQueuedOnesAreApplied() {
    ActorRef<RangeShardCommand> shard = spawn("logshard.batching.max-queued-operations = 5\n"
        + "logshard.batching.max-queued-bytes = 2 KiB");
    TestProbe<KvReply> probe = testKit.createTestProbe();
    String key = keysInR1(1).get(0);
    // One in flight (held by the journal), then five queued; the sixth and seventh are refused.
    for (int i = 0; i < 8; i++) {
      shard.tell(new RangeShardCommand.Put(key, bytes("v" + i), Expectation.any(), probe.getRef()));
    }
    assertInstanceOf(KvReply.Overloaded.class, probe.receiveMessage());
    assertInstanceOf(KvReply.Overloaded.class, probe.receiveMessage());
    // A batch whose operations would pass the bound is refused whole.
    shard.tell(new RangeShardCommand.ApplyBatch(List.of(Operation.get(key)), probe.getRef()));
    assertInstanceOf(KvReply.Overloaded.class, probe.receiveMessage());
    journalOpen.countDown();
    for (int version = 1; version <= 6; version++) {
      assertEquals(version, assertInstanceOf(KvReply.Written.class, probe.receiveMessage()).version());
    }
    // The queue drained: it takes commands again.
    shard.tell(new RangeShardCommand.Get(key, probe.getRef()));
    assertEquals(6, assertInstanceOf(KvReply.Value.class, probe.receiveMessage()).version());
  }

  @Test
  void aCommandQueuedLongerThanTheAskTimeoutIsNeverAppliedLate() {
    ActorRef<RangeShardCommand> shard = spawn("logshard.ask-timeout = 300ms");
    TestProbe<KvReply> probe = testKit.createTestProbe();
    String key = keysInR1(1).get(0);
    for (int i = 0; i < 3; i++) { // one in flight (held by the journal), two queued
      shard.tell(new RangeShardCommand.Put(key, bytes("v" + i), Expectation.any(), probe.getRef()));
    }
    probe.expectNoMessage(java.time.Duration.ofMillis(500)); // their askers would have given up by now
    journalOpen.countDown();
    assertEquals(1, assertInstanceOf(KvReply.Written.class, probe.receiveMessage()).version());
    probe.expectNoMessage(java.time.Duration.ofMillis(200));
    shard.tell(new RangeShardCommand.Get(key, probe.getRef()));
    KvReply.Value value = assertInstanceOf(KvReply.Value.class, probe.receiveMessage());
    assertEquals("v0", new String(value.value(), StandardCharsets.UTF_8), "the two expired writes were dropped");
    assertEquals(List.of(1), writes);
  }

  @Test
  void theQueueIsBoundedByBytesToo() {
    ActorRef<RangeShardCommand> shard = spawn("logshard.batching.max-queued-bytes = 2 KiB");
    TestProbe<KvReply> probe = testKit.createTestProbe();
    String key = keysInR1(1).get(0);
    for (int i = 0; i < 4; i++) { // one in flight, two queued (2 KiB), the fourth refused
      shard.tell(new RangeShardCommand.Put(key, new byte[1024], Expectation.any(), probe.getRef()));
    }
    assertInstanceOf(KvReply.Overloaded.class, probe.receiveMessage());
    journalOpen.countDown();
    for (int version = 1; version <= 3; version++) {
      assertEquals(version, assertInstanceOf(KvReply.Written.class, probe.receiveMessage()).version());
    }
  }

  @Test
  void aDiscardedRangeSendsQueuedAndLaterCommandsBackAndAnswersTheBatchInFlight() {
    ActorRef<RangeShardCommand> shard = spawn("");
    TestProbe<KvReply> probe = testKit.createTestProbe();
    TestProbe<TransferReply> steps = testKit.createTestProbe();
    List<String> keys = keysInR1(3);
    shard.tell(new RangeShardCommand.Put(keys.get(0), bytes("a"), Expectation.any(), probe.getRef())); // in flight
    shard.tell(new RangeShardCommand.Put(keys.get(1), bytes("b"), Expectation.any(), probe.getRef())); // queued
    shard.tell(new RangeShardCommand.Step(new TransferStep.Discard("t1"), steps.getRef()));
    assertInstanceOf(KvReply.WrongRange.class, probe.receiveMessage());
    shard.tell(new RangeShardCommand.Put(keys.get(2), bytes("c"), Expectation.any(), probe.getRef()));
    assertInstanceOf(KvReply.WrongRange.class, probe.receiveMessage());
    journalOpen.countDown();
    assertInstanceOf(KvReply.Written.class, probe.receiveMessage());
    assertInstanceOf(TransferReply.Done.class, steps.receiveMessage());
    assertEquals(List.of(1), writes);
  }

  /**
   * Sharding's stop message (a hand-off to another node): the batch in flight is written and
   * answered, queued and later commands are answered HandedOff (never applied: routers send them
   * again), then the generation stops; a new incarnation recovers exactly the one write.
   */
  @Test
  void aHandOffAnswersTheBatchInFlightSendsTheRestBackUnappliedAndStops() {
    RangePlacement r1 = MAP.byRangeId("r1").orElseThrow();
    RangePlacement placement = new RangePlacement("r1", r1.range(), ++generation, "standard");
    LogShardSettings settings = LogShardSettings.create(CONFIG);
    ActorRef<RangeShardCommand> shard = testKit.spawn(RangeShard.createBatched(placement, settings));
    TestProbe<KvReply> probe = testKit.createTestProbe();
    TestProbe<Object> watcher = testKit.createTestProbe();
    List<String> keys = keysInR1(3);
    shard.tell(new RangeShardCommand.Put(keys.get(0), bytes("a"), Expectation.any(), probe.getRef())); // in flight
    shard.tell(new RangeShardCommand.Put(keys.get(1), bytes("b"), Expectation.any(), probe.getRef())); // queued
    shard.tell(RangeShardCommand.HandOff.INSTANCE);
    assertInstanceOf(KvReply.HandedOff.class, probe.receiveMessage());
    shard.tell(new RangeShardCommand.Put(keys.get(2), bytes("c"), Expectation.any(), probe.getRef()));
    assertInstanceOf(KvReply.HandedOff.class, probe.receiveMessage());
    journalOpen.countDown();
    assertInstanceOf(KvReply.Written.class, probe.receiveMessage());
    watcher.expectTerminated(shard, java.time.Duration.ofSeconds(5));
    assertEquals(List.of(1), writes);

    ActorRef<RangeShardCommand> next = testKit.spawn(RangeShard.createBatched(placement, settings));
    for (int i = 0; i < keys.size(); i++) {
      next.tell(new RangeShardCommand.Get(keys.get(i), probe.getRef()));
      KvReply read = probe.receiveMessage();
      if (i == 0) {
        assertArrayEquals(bytes("a"), assertInstanceOf(KvReply.Value.class, read).value());
      } else {
        assertInstanceOf(KvReply.NotFound.class, read, "handed back, never applied: " + keys.get(i));
      }
    }
  }
}
