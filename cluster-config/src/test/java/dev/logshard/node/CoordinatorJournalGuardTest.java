package dev.logshard.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.logshard.core.Expectation;
import dev.logshard.core.shard.KvReply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node whose configuration moved the Coordinator's journal elsewhere refuses to start instead of starting a new map. */
class CoordinatorJournalGuardTest {

  @TempDir
  Path dataDir;

  private Config config(String coordinatorInstance) {
    return ConfigFactory.empty()
        .withValue("logshard.http.port", ConfigValueFactory.fromAnyRef(0))
        .withValue("logshard.planner.mode", ConfigValueFactory.fromAnyRef("off"))
        .withValue("logshard.coordinator-log-instance", ConfigValueFactory.fromAnyRef(coordinatorInstance))
        .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString()));
  }

  @Test
  void aNodeRefusesToStartWhenTheCoordinatorsJournalIsOnAnotherInstance() throws Exception {
    long epoch;
    try (LogShardNode node = LogShardNode.start(config(""))) { // the initial instance: standard
      assertInstanceOf(KvReply.Written.class, node.store().put("kept", "v".getBytes(StandardCharsets.UTF_8),
          Expectation.any()).toCompletableFuture().get(30, TimeUnit.SECONDS));
      epoch = node.store().shardMap().epoch();
    }
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> LogShardNode.start(config("fast")));
    assertTrue(refused.getMessage().contains("on log instance 'standard', but the configuration now puts it on 'fast'"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("logshard.coordinator-log-instance = \"standard\""), refused.getMessage());

    // Set back, the node starts with its map and data; naming the instance explicitly is the same.
    try (LogShardNode node = LogShardNode.start(config("standard"))) {
      assertEquals(epoch, node.store().shardMap().epoch());
      var value = assertInstanceOf(KvReply.Value.class, node.store().get("kept").toCompletableFuture().get(30, TimeUnit.SECONDS));
      assertEquals("v", new String(value.value(), StandardCharsets.UTF_8));
    }
  }
}
