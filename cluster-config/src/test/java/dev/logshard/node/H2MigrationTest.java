package dev.logshard.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.logshard.core.Expectation;
import dev.logshard.core.shard.KvReply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory the H2 engine wrote is moved to RocksDB when a node on RocksDB starts on it:
 * every key with its value and version, the map and the Coordinator's state come along, and the H2
 * files stay beside as *.migrated.
 */
class H2MigrationTest {

  private static final int KEYS = 2_000;

  @TempDir
  Path dataDir;

  private LogShardNode start(String engine) {
    Config config = ConfigFactory.empty()
        .withValue("logshard.http.port", ConfigValueFactory.fromAnyRef(0))
        .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString()))
        .withValue("logshard.planner.mode", ConfigValueFactory.fromAnyRef("off"))
        .withValue("logshard.snapshot.every-events", ConfigValueFactory.fromAnyRef(300))
        .withValue("logshard.embedded.engine", ConfigValueFactory.fromAnyRef(engine));
    return LogShardNode.start(config);
  }

  private static byte[] value(int i, int round) {
    return ("value " + i + " round " + round).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aNodeOnRocksDbTakesOverWhatTheH2EngineWrote() throws Exception {
    long[] versions = new long[KEYS];
    String epochBefore;
    try (LogShardNode node = start("h2")) {
      for (int round = 0; round < 2; round++) {
        for (int i = round; i < KEYS; i += 1 + round) {
          KvReply reply = node.store().put("key:" + i, value(i, round), Expectation.any())
              .toCompletableFuture().get(10, TimeUnit.SECONDS);
          versions[i] = ((KvReply.Written) reply).version();
        }
      }
      node.store().delete("key:0", Expectation.any()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      epochBefore = node.store().shardMap().toString();
    }
    assertTrue(Files.exists(dataDir.resolve("standard.mv.db")));

    try (LogShardNode node = start("rocksdb")) {
      assertTrue(Files.isDirectory(dataDir.resolve("standard")), "the instance is a RocksDB directory now");
      assertTrue(Files.exists(dataDir.resolve("standard.mv.db.migrated")), "the H2 file is kept beside");
      assertFalse(Files.exists(dataDir.resolve("standard.mv.db")));
      assertEquals(epochBefore, node.store().shardMap().toString(), "the map came along");
      KvReply deleted = node.store().get("key:0").toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertTrue(deleted instanceof KvReply.NotFound, String.valueOf(deleted));
      for (int i = 1; i < KEYS; i++) {
        KvReply reply = node.store().get("key:" + i).toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(reply instanceof KvReply.Value, "key:" + i + ": " + reply);
        KvReply.Value found = (KvReply.Value) reply;
        assertArrayEquals(value(i, i % 2 == 1 ? 1 : 0), found.value(), "key:" + i);
        assertEquals(versions[i], found.version(), "key:" + i);
      }
      // And it goes on writing where the H2 engine left off.
      KvReply next = node.store().put("key:1", value(1, 2), Expectation.version(versions[1]))
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertTrue(next instanceof KvReply.Written, String.valueOf(next));
    }
  }
}
