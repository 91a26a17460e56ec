package dev.logshard.actors.rangeshard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.logshard.core.Expectation;
import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.shard.Change;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import dev.logshard.core.shard.RangeShardEvent;
import dev.logshard.core.shard.RangeShardSnapshot;
import dev.logshard.core.shard.RangeShardState;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.shard.TransferStep;
import dev.logshard.persistence.LogInstances;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RangeShardTest {

  private static final Config CONFIG = ConfigFactory.parseString("""
          # Events are checked by the serialization settings below; snapshots only by the plugin.
          pekko.persistence.testkit.snapshots.serialize = on
          """)
      .withFallback(EventSourcedBehaviorTestKit.config())
      .withFallback(PersistenceTestKitSnapshotPlugin.config())
      .withFallback(ConfigFactory.load());

  private static final ShardMap MAP = ShardMap.initial(4, "standard");
  private static final RangePlacement R1 = MAP.byRangeId("r1").orElseThrow();

  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("RangeShardTest", CONFIG);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static EventSourcedBehaviorTestKit<RangeShardCommand, RangeShardEvent, RangeShardState> shard(
      RangePlacement placement, String settingsOverrides) {
    LogShardSettings settings = LogShardSettings.create(
        ConfigFactory.parseString(settingsOverrides).withFallback(CONFIG));
    var kit = EventSourcedBehaviorTestKit.<RangeShardCommand, RangeShardEvent, RangeShardState>create(
        testKit.system(),
        RangeShard.create(placement, settings),
        // Commands and events go through Jackson CBOR; the live state is never serialized (its
        // snapshot form is, see the snapshot tests).
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
    kit.clear();
    return kit;
  }

  private static EventSourcedBehaviorTestKit<RangeShardCommand, RangeShardEvent, RangeShardState> shard() {
    return shard(R1, "");
  }

  /** Keys that hash into {@code placement}'s range, deterministic. */
  private static List<String> keysIn(RangePlacement placement, int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < n; i++) {
      String key = "key-" + i;
      if (placement.range().contains(KeyHash.of(key))) {
        keys.add(key);
      }
    }
    return keys;
  }

  private static String keyOutside(RangePlacement placement) {
    for (int i = 0; ; i++) {
      String key = "other-" + i;
      if (!placement.range().contains(KeyHash.of(key))) {
        return key;
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static KvReply put(
      EventSourcedBehaviorTestKit<RangeShardCommand, RangeShardEvent, RangeShardState> kit,
      String key, String value, Expectation expect) {
    return kit.<KvReply>runCommand(r -> new RangeShardCommand.Put(key, bytes(value), expect, r)).reply();
  }

  private static KvReply get(
      EventSourcedBehaviorTestKit<RangeShardCommand, RangeShardEvent, RangeShardState> kit, String key) {
    return kit.<KvReply>runCommand(r -> new RangeShardCommand.Get(key, r)).reply();
  }

  @Test
  void putThenGetReturnsTheValueAndItsVersion() {
    var kit = shard();
    String key = keysIn(R1, 1).get(0);
    assertInstanceOf(KvReply.NotFound.class, get(kit, key));
    CommandResultWithReply<RangeShardCommand, RangeShardEvent, RangeShardState, KvReply> result =
        kit.runCommand(r -> new RangeShardCommand.Put(key, bytes("v1"), Expectation.any(), r));
    assertEquals(new KvReply.Written(1, true), result.reply());
    RangeShardEvent.ValuePut event = result.eventOfType(RangeShardEvent.ValuePut.class);
    assertEquals(key, event.key());
    assertEquals(1, event.version());
    assertEquals(new KvReply.Written(2, false), put(kit, key, "v2", Expectation.any()));
    KvReply.Value value = assertInstanceOf(KvReply.Value.class, get(kit, key));
    assertArrayEquals(bytes("v2"), value.value());
    assertEquals(2, value.version());
  }

  @Test
  void compareAndSetConflictReportsTheCurrentVersionAndStoresNothing() {
    var kit = shard();
    String key = keysIn(R1, 1).get(0);
    assertEquals(new KvReply.Written(1, true), put(kit, key, "a", Expectation.absent()));
    assertEquals(new KvReply.PreconditionFailed(1), put(kit, key, "b", Expectation.absent()));
    var conflict = kit.<KvReply>runCommand(r -> new RangeShardCommand.Put(key, bytes("c"), Expectation.version(7), r));
    assertEquals(new KvReply.PreconditionFailed(1), conflict.reply());
    assertTrue(conflict.hasNoEvents());
    assertEquals(new KvReply.Written(2, false), put(kit, key, "d", Expectation.version(1)));
    // If-Match: * on a missing key fails with current version 0.
    assertEquals(new KvReply.PreconditionFailed(0), put(kit, keysIn(R1, 2).get(1), "e", Expectation.present()));
  }

  @Test
  void deleteRemovesTheKeyAndVersionsKeepGrowing() {
    var kit = shard();
    String key = keysIn(R1, 1).get(0);
    put(kit, key, "a", Expectation.any());
    var deleted = kit.<KvReply>runCommand(r -> new RangeShardCommand.Delete(key, Expectation.version(1), r));
    assertEquals(new KvReply.Deleted(2), deleted.reply());
    assertInstanceOf(KvReply.NotFound.class, get(kit, key));
    var again = kit.<KvReply>runCommand(r -> new RangeShardCommand.Delete(key, Expectation.any(), r));
    assertInstanceOf(KvReply.NotFound.class, again.reply());
    assertTrue(again.hasNoEvents());
    // A recreated key never reuses an old version, so a stale If-Match cannot succeed (no ABA).
    assertEquals(new KvReply.Written(3, true), put(kit, key, "b", Expectation.any()));
    assertEquals(new KvReply.PreconditionFailed(3), put(kit, key, "c", Expectation.version(1)));
  }

  @Test
  void aKeyOutsideTheRangeIsRejectedAndNotStored() {
    var kit = shard();
    String outside = keyOutside(R1);
    var result = kit.<KvReply>runCommand(r -> new RangeShardCommand.Put(outside, bytes("x"), Expectation.any(), r));
    assertEquals(new KvReply.WrongRange("r1.1", 0), result.reply());
    assertTrue(result.hasNoEvents());
    assertEquals(new KvReply.WrongRange("r1.1", 0), get(kit, outside));
    assertEquals(0, kit.getState().keyCount());
  }

  @Test
  void aBatchSeesItsOwnEarlierOperationsAndPersistsTogether() {
    var kit = shard();
    List<String> keys = keysIn(R1, 2);
    String a = keys.get(0);
    String b = keys.get(1);
    put(kit, b, "old", Expectation.any());
    var result = kit.<KvReply>runCommand(r -> new RangeShardCommand.ApplyBatch(List.of(
        Operation.put(a, bytes("1"), Expectation.absent()),
        Operation.get(a),
        Operation.put(a, bytes("2"), Expectation.version(2)),
        Operation.delete(b, Expectation.version(1)),
        Operation.get(b),
        Operation.put(keyOutside(R1), bytes("z"), Expectation.any())), r));
    KvReply.Batch batch = assertInstanceOf(KvReply.Batch.class, result.reply());
    assertEquals(new KvReply.Written(2, true), batch.results().get(0));
    assertEquals(2, ((KvReply.Value) batch.results().get(1)).version());
    assertEquals(new KvReply.Written(3, false), batch.results().get(2));
    assertEquals(new KvReply.Deleted(4), batch.results().get(3));
    assertInstanceOf(KvReply.NotFound.class, batch.results().get(4));
    assertInstanceOf(KvReply.WrongRange.class, batch.results().get(5));
    assertEquals(3, result.events().size());
    assertTrue(kit.getState().holds(a, "2", 3));
  }

  @Test
  void restartRecoversEveryKeyWithItsVersion() {
    var kit = shard();
    List<String> keys = keysIn(R1, 50);
    for (int round = 0; round < 3; round++) {
      for (String key : keys) {
        put(kit, key, key + "@" + round, Expectation.any());
      }
    }
    kit.<KvReply>runCommand(r -> new RangeShardCommand.Delete(keys.get(0), Expectation.any(), r));
    var restarted = kit.restart();
    RangeShardState state = restarted.state();
    assertEquals(49, state.keyCount());
    assertEquals(151, state.lastVersion());
    for (int i = 1; i < keys.size(); i++) {
      assertTrue(state.holds(keys.get(i), keys.get(i) + "@2", 100 + i + 1), keys.get(i));
    }
    assertEquals(new KvReply.Written(152, true), put(kit, keys.get(0), "back", Expectation.absent()));
  }

  @Test
  void itReportsItsSizeAfterWritesAndAfterRecovery() {
    dev.logshard.core.profile.RangeSizes sizes = new dev.logshard.core.profile.RangeSizes();
    LogShardSettings settings = LogShardSettings.create(CONFIG);
    var kit = EventSourcedBehaviorTestKit.<RangeShardCommand, RangeShardEvent, RangeShardState>create(
        testKit.system(), RangeShard.create(R1, null, settings, sizes),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
    kit.clear();
    List<String> keys = keysIn(R1, 3);
    for (String key : keys) {
      put(kit, key, "0123456789", Expectation.any());
    }
    var size = sizes.find("r1.1");
    assertEquals(3, size.keys());
    assertEquals(keys.stream().mapToLong(k -> k.length() + 10).sum(), size.bytes());
    size.update(0, 0);
    kit.restart();
    assertEquals(3, sizes.find("r1.1").keys(), "recovery reports the size again");
  }

  @Test
  void onlyTheTwoLatestSnapshotsAreKept() throws Exception {
    var kit = shard(R1, "logshard.snapshot.every-events = 5");
    for (String key : keysIn(R1, 30)) {
      put(kit, key, "v", Expectation.any());
    }
    // Taken at 5 and 10 (every 5 events), then 18 (8 events, 17 keys held); 5 is deleted in the
    // background once 18 is written.
    awaitSnapshots(kit.snapshotTestKit().orElseThrow(), List.of(10L, 18L));
  }

  @Test
  void aDestinationTakesNoSnapshotUntilItsSnapshotCopyIsComplete() throws Exception {
    var kit = shard(R1, "logshard.snapshot.every-events = 5");
    kit.<TransferReply>runCommand(r -> new RangeShardCommand.Step(new TransferStep.Follow("t1", "c1", List.of("r9.1")), r));
    List<String> keys = keysIn(R1, 40);
    for (int chunk = 0; chunk < 4; chunk++) {
      List<Change> changes = new ArrayList<>();
      for (String key : keys.subList(chunk * 10, chunk * 10 + 10)) {
        changes.add(new Change(key, bytes("v"), 7, 0));
      }
      long upTo = chunk == 3 ? 42 : 0; // the last chunk marks the source's sequence number applied
      var applied = kit.<TransferReply>runCommand(r -> new RangeShardCommand.Step(new TransferStep.ApplyChanges("t1", "c1", "r9.1", upTo, changes, 9, 0), r));
      assertEquals(upTo, ((TransferReply.Applied) applied.reply()).seqNr());
    }
    // 5 events, 40 keys: without the rule, snapshots would have been taken along the way.
    awaitSnapshots(kit.snapshotTestKit().orElseThrow(), List.of(5L));
    assertEquals(40, kit.getState().keyCount());
    assertEquals(9, kit.getState().lastVersion());
  }

  @Test
  void aLargerRangeSnapshotsLessOften() throws Exception {
    // A snapshot waits for max(every-events = 10, half the keys held before the event) events.
    var kit = shard(R1, "logshard.snapshot.every-events = 10");
    List<String> keys = keysIn(R1, 40);
    for (String key : keys) {
      put(kit, key, "v", Expectation.any());
    }
    var snapshots = kit.snapshotTestKit().orElseThrow();
    // At 10 and 20 (every 10 events), then 38 (18 events, 37 keys held); 10 is deleted.
    awaitSnapshots(snapshots, List.of(20L, 38L));
    for (String key : keys.subList(0, 17)) {
      put(kit, key, "w", Expectation.any()); // up to 57: 19 events since 38, below 40 / 2
    }
    awaitSnapshots(snapshots, List.of(20L, 38L));
    put(kit, keys.get(17), "w", Expectation.any());
    awaitSnapshots(snapshots, List.of(38L, 58L));
  }

  private static void awaitSnapshots(org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit snapshots,
      List<Long> sequenceNrs) throws InterruptedException {
    java.time.Instant deadline = java.time.Instant.now().plusSeconds(10);
    List<Long> kept;
    while (!(kept = snapshots.persistedInStorage("RangeShard|r1.1").stream()
        .map(p -> p.first().sequenceNr()).sorted().toList()).equals(sequenceNrs)) {
      assertTrue(java.time.Instant.now().isBefore(deadline), "snapshots kept: " + kept + ", expected " + sequenceNrs);
      Thread.sleep(20);
    }
  }

  @Test
  void snapshotsByEventCountAreUsedOnRecovery() {
    var kit = shard(R1, "logshard.snapshot.every-events = 10");
    List<String> keys = keysIn(R1, 25);
    for (String key : keys) {
      put(kit, key, "v-" + key, Expectation.any());
    }
    var snapshots = kit.snapshotTestKit().orElseThrow();
    // Snapshots at seqNr 10 and 20; the snapshot form went through Jackson CBOR.
    RangeShardSnapshot latest = snapshots.expectNextPersistedClass("RangeShard|r1.1", RangeShardSnapshot.class);
    assertEquals(10, latest.lastVersion());
    latest = snapshots.expectNextPersistedClass("RangeShard|r1.1", RangeShardSnapshot.class);
    assertEquals(20, latest.entries().size());
    RangeShardState recovered = kit.restart().state();
    assertEquals(25, recovered.keyCount());
    assertEquals(25, recovered.lastVersion());
    for (int i = 0; i < keys.size(); i++) {
      assertTrue(recovered.holds(keys.get(i), "v-" + keys.get(i), i + 1));
    }
  }

  @Test
  void snapshotsByWrittenBytesBoundReplayOfLargeValues() {
    var kit = shard(R1, "logshard.snapshot.every-events = 100000\nlogshard.snapshot.after-bytes = 4 KiB");
    String key = keysIn(R1, 1).get(0);
    byte[] kib = new byte[1024];
    for (int i = 0; i < 5; i++) {
      kit.<KvReply>runCommand(r -> new RangeShardCommand.Put(key, kib, Expectation.any(), r));
    }
    var snapshots = kit.snapshotTestKit().orElseThrow();
    RangeShardSnapshot snapshot = snapshots.expectNextPersistedClass("RangeShard|r1.1", RangeShardSnapshot.class);
    assertEquals(4, snapshot.lastVersion());
    snapshots.expectNothingPersisted("RangeShard|r1.1");
    assertEquals(5, kit.restart().state().lastVersion());
  }

  @Test
  void aFencedSourceAnswersWithTheChangesTheDestinationsLackOnceATransferFollowsIt() {
    var kit = shard();
    List<String> keys = keysIn(R1, 3);
    put(kit, keys.get(0), "before", Expectation.any()); // seqNr 1: before any transfer followed
    TestProbe<TransferReply> answers = testKit.createTestProbe();
    kit.runCommand(new RangeShardCommand.Step(new TransferStep.Fence("t0", 1), answers.getRef()));
    // At once, while the fence is persisted (the destinations may apply meanwhile), then once it is.
    assertEquals(new TransferReply.Fenced(R1.entityId(), 1, null, false), answers.receiveMessage());
    assertEquals(new TransferReply.Fenced(R1.entityId(), 1, null, true), answers.receiveMessage()); // not kept: the stream brings it
    kit.<TransferReply>runCommand(r -> new RangeShardCommand.Step(new TransferStep.Unfence("t0"), r)); // seqNr 2, 3 (fence, unfence)
    kit.<TransferReply>runCommand(r -> new RangeShardCommand.Step(new TransferStep.DescribeLog(), r)); // a transfer follows from here
    put(kit, keys.get(1), "a", Expectation.any()); // seqNr 4
    put(kit, keys.get(2), "b", Expectation.any()); // seqNr 5
    kit.runCommand(new RangeShardCommand.Step(new TransferStep.Fence("t1", 5), answers.getRef()));
    var early = (TransferReply.Fenced) answers.receiveMessage();
    var fenced = (TransferReply.Fenced) answers.receiveMessage();
    assertTrue(!early.durable() && fenced.durable());
    assertEquals(new TransferReply.Fenced(R1.entityId(), fenced.seqNr(), fenced.tail(), false), early, "the same final sequence number and tail");
    // Final: the last write, not the fence's own event; the tail: what the destinations lack (from 5).
    assertEquals(5, fenced.seqNr());
    assertEquals(List.of(keys.get(2)), fenced.tail().stream().map(Change::key).toList());
    assertEquals(5, fenced.tail().get(0).sourceSeqNr());
    var older = (TransferReply.Fenced) kit.<TransferReply>runCommand(r -> new RangeShardCommand.Step(new TransferStep.Fence("t1", 2), r)).reply();
    assertNull(older.tail(), "seqNr 2 and 3 were persisted before it kept changes");
  }

  @Test
  void aHandedOffSourceSendsTheWritesItHeldBackAtOnceAndRefusesReads() {
    var kit = shard();
    String key = keysIn(R1, 1).get(0);
    put(kit, key, "v1", Expectation.any());
    assertInstanceOf(TransferReply.Fenced.class, kit.<TransferReply>runCommand(r -> new RangeShardCommand.Step(new TransferStep.Fence("t1", 1), r)).reply());
    TestProbe<KvReply> held = testKit.createTestProbe();
    kit.runCommand(new RangeShardCommand.Put(key, bytes("v2"), Expectation.any(), held.getRef()));
    held.expectNoMessage(java.time.Duration.ofMillis(100)); // fenced: held
    assertEquals(new TransferReply.Done(R1.entityId(), "HandOff"),
        kit.<TransferReply>runCommand(r -> new RangeShardCommand.Step(new TransferStep.HandOff("t1", 3), r)).reply());
    assertEquals(new KvReply.WrongRange(R1.entityId(), 3), held.receiveMessage());
    assertEquals(new KvReply.WrongRange(R1.entityId(), 3), get(kit, key));
    // Persisted: after a restart it still never writes (and the held write was not applied).
    RangeShardState recovered = kit.restart().state();
    assertEquals(3, recovered.handedOffEpoch());
    assertArrayEquals(bytes("v1"), recovered.get(key).value());
  }

  @Test
  void anUnplacedEntityAnswersWrongRangeToEverything() {
    LogShardSettings settings = LogShardSettings.create(CONFIG);
    LogInstances instances = LogInstances.fromConfig(CONFIG);
    ActorRef<RangeShardCommand> ref = testKit.spawn(
        RangeShardEntity.create("r1.9", (id, replyTo) -> replyTo.tell(new PlacementDirectory.Placement(null, 7)), instances, settings, new dev.logshard.core.profile.RangeSizes()));
    TestProbe<KvReply> probe = testKit.createTestProbe();
    ref.tell(new RangeShardCommand.Put("k", bytes("v"), Expectation.any(), probe.getRef()));
    assertEquals(new KvReply.WrongRange("r1.9", 7), probe.receiveMessage());
    ref.tell(new RangeShardCommand.Get("k", probe.getRef()));
    assertEquals(new KvReply.WrongRange("r1.9", 7), probe.receiveMessage());
  }
}
