package dev.logshard.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logshard.actors.coordinator.CoordinatorJournalGuard;
import dev.logshard.core.Expectation;
import dev.logshard.core.ShardMap;
import dev.logshard.core.shard.KvReply;
import dev.logshard.persistence.LogInstances;
import dev.logshard.persistence.RocksStorage;
import dev.logshard.persistence.rocksdb.RocksMove;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose configuration moved the Coordinator's journal elsewhere refuses to start instead of
 * starting a new map; started with {@code --move-coordinator-journal}, it moves the journal there.
 */
class CoordinatorJournalGuardTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();

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
    assertTrue(refused.getMessage().contains("--move-coordinator-journal"), refused.getMessage());

    // Set back, the node starts with its map and data; naming the instance explicitly is the same.
    try (LogShardNode node = LogShardNode.start(config("standard"))) {
      assertEquals(epoch, node.store().shardMap().epoch());
      var value = assertInstanceOf(KvReply.Value.class, node.store().get("kept").toCompletableFuture().get(30, TimeUnit.SECONDS));
      assertEquals("v", new String(value.value(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void theCoordinatorsJournalMovesToTheConfiguredInstanceWithEveryChangeToTheMap() throws Exception {
    ShardMap split;
    String id;
    try (LogShardNode node = LogShardNode.start(config(""))) { // the Coordinator on standard
      assertInstanceOf(KvReply.Written.class, node.store().put("kept", "v".getBytes(StandardCharsets.UTF_8),
          Expectation.any()).toCompletableFuture().get(30, TimeUnit.SECONDS));
      String base = "http://127.0.0.1:" + node.httpAddress().getPort();
      HttpResponse<String> started = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/admin/transfers"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"split\",\"range\":\"r3\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(202, started.statusCode(), started.body());
      id = JSON.readTree(started.body()).get("id").asText();
      Instant deadline = Instant.now().plusSeconds(60);
      String phase = "";
      // Committed: the map has the split (the saga's clean-up of the source, later, moves with the journal).
      while (!(phase.equals("COMMITTED") || phase.equals("DONE")) && Instant.now().isBefore(deadline)) {
        phase = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/admin/transfers/" + id)).GET().build(),
            HttpResponse.BodyHandlers.ofString()).body()).get("phase").asText();
        Thread.sleep(50); // the poll interval
      }
      assertTrue(phase.equals("COMMITTED") || phase.equals("DONE"), phase);
      while (node.store().shardMap().size() != 17 && Instant.now().isBefore(deadline)) {
        Thread.sleep(50); // until the router has the new map
      }
      split = node.store().shardMap();
      assertEquals(17, split.size());
    }
    Config moved = config("fast").withValue("logshard.move-coordinator-journal", ConfigValueFactory.fromAnyRef(true));
    try (LogShardNode node = LogShardNode.start(moved)) {
      assertEquals(split, node.store().shardMap(), "the map after the split, not a new one");
      HttpResponse<String> transfer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + node.httpAddress().getPort() + "/v1/admin/transfers/" + id)).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, transfer.statusCode(), "the transfer's saga moved with the journal: " + transfer.body());
      var value = assertInstanceOf(KvReply.Value.class, node.store().get("kept").toCompletableFuture().get(30, TimeUnit.SECONDS));
      assertEquals("v", new String(value.value(), StandardCharsets.UTF_8));
    }
    Config full = config("fast").withFallback(ConfigFactory.load());
    RocksStorage storage = RocksStorage.create(full, dataDir);
    LogInstances instances = LogInstances.fromConfig(full);
    List<String> ids = CoordinatorJournalGuard.JOURNAL_ID_PREFIXES;
    assertFalse(RocksMove.holds(storage.settings(full, instances.get("standard")), ids), "moved, not copied");
    assertTrue(RocksMove.holds(storage.settings(full, instances.get("fast")), ids));

    // From now on it is on fast: started so without the flag, the node has its map; set back, it refuses.
    try (LogShardNode node = LogShardNode.start(config("fast"))) {
      assertEquals(split, node.store().shardMap());
    }
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> LogShardNode.start(config("standard")));
    assertTrue(refused.getMessage().contains("on log instance 'fast'"), refused.getMessage());
  }

  @Test
  void theMoveIsRefusedOutsideEmbeddedRocksDb() {
    Config cluster = config("fast")
        .withValue("logshard.mode", ConfigValueFactory.fromAnyRef("cluster"))
        .withValue("logshard.move-coordinator-journal", ConfigValueFactory.fromAnyRef(true));
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> LogShardNode.start(cluster));
    assertTrue(refused.getMessage().contains("embedded mode only"), refused.getMessage());
  }
}
