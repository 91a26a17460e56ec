package dev.logshard.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.logshard.actors.rangeshard.RangeShardEntity;
import dev.logshard.core.Expectation;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.RangePlacement;
import dev.logshard.persistence.LogInstance;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A range's journal follows its live data: with each snapshot the events the snapshot before it
 * covers are deleted, on either embedded engine, and the range recovers from what is left.
 */
class RetentionTest {

  private static final int WRITES = 1_000;

  @TempDir
  Path dataDir;

  private LogShardNode start(String engine) {
    return start(engine, "0s");
  }

  private LogShardNode start(String engine, String hold) {
    Config config = ConfigFactory.empty()
        .withValue("logshard.http.port", ConfigValueFactory.fromAnyRef(0))
        .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString()))
        .withValue("logshard.planner.mode", ConfigValueFactory.fromAnyRef("off"))
        .withValue("logshard.snapshot.every-events", ConfigValueFactory.fromAnyRef(100))
        // A fresh incarnation holds its deletes this long (a restart may be in a transfer): not here.
        .withValue("logshard.snapshot.hold-deletes-after-transfer-step", ConfigValueFactory.fromAnyRef(hold))
        .withValue("logshard.embedded.engine", ConfigValueFactory.fromAnyRef(engine));
    return LogShardNode.start(config);
  }

  private static byte[] value(int i) {
    return ("value " + i).getBytes(StandardCharsets.UTF_8);
  }

  private static List<EventEnvelope> events(LogShardNode node, String persistenceId, LogInstance instance)
      throws Exception {
    CurrentEventsByPersistenceIdQuery query = PersistenceQuery.get(Adapter.toClassic(node.system()))
        .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, instance.queryPluginId());
    return query.currentEventsByPersistenceId(persistenceId, 0, Long.MAX_VALUE).runWith(Sink.seq(), node.system())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "rocksdb"})
  void eventsAnOlderSnapshotCoversAreDeletedAndTheRangeRecoversFromWhatIsLeft(String engine) throws Exception {
    RangePlacement placement;
    try (LogShardNode node = start(engine)) {
      for (int i = 1; i <= WRITES; i++) {
        KvReply reply = node.store().put("k", value(i), Expectation.any()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(reply instanceof KvReply.Written, String.valueOf(reply));
      }
      placement = node.store().shardMap().lookup("k");
      String persistenceId = RangeShardEntity.persistenceId(placement.entityId()).id();
      LogInstance instance = new LogInstance(placement.logInstance(), "standard", 0, 0);
      // Snapshots at 100, 200, ... 1,000: the deletes run in the background after each one.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      List<EventEnvelope> left = events(node, persistenceId, instance);
      while (left.isEmpty() || left.get(0).sequenceNr() < 901) {
        assertTrue(System.nanoTime() < deadline, "events left after 30 s: from "
            + (left.isEmpty() ? "none" : left.get(0).sequenceNr()) + ", " + left.size());
        Thread.sleep(50);
        left = events(node, persistenceId, instance);
      }
      // Only the events after the snapshot before the latest one (900) are left.
      assertEquals(WRITES - 900, left.size());
      assertEquals(WRITES, left.get(left.size() - 1).sequenceNr());
    }
    try (LogShardNode node = start(engine)) {
      KvReply reply = node.store().get("k").toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertTrue(reply instanceof KvReply.Value, String.valueOf(reply));
      assertArrayEquals(value(WRITES), ((KvReply.Value) reply).value());
      assertEquals(WRITES, ((KvReply.Value) reply).version());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"rocksdb"})
  void aRangeThatMayBeInATransferKeepsItsEvents(String engine) throws Exception {
    // A fresh incarnation may be a transfer's source that restarted: it deletes nothing for an hour.
    try (LogShardNode node = start(engine, "1h")) {
      for (int i = 1; i <= WRITES; i++) {
        node.store().put("k", value(i), Expectation.any()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      RangePlacement placement = node.store().shardMap().lookup("k");
      List<EventEnvelope> left = events(node, RangeShardEntity.persistenceId(placement.entityId()).id(),
          new LogInstance(placement.logInstance(), "standard", 0, 0));
      assertEquals(WRITES, left.size());
      assertEquals(1, left.get(0).sequenceNr());
    }
  }
}
