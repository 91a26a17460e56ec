package dev.logshard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.logshard.core.ShardMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedStorageTest {

  private final Config config = ConfigFactory.load();

  @Test
  void schemaCanBePreparedOnEveryStart(@TempDir Path dir) throws Exception {
    EmbeddedStorage storage = EmbeddedStorage.create(config, dir);
    storage.prepare();
    storage.prepare(); // the stock script fails here: its index has no IF NOT EXISTS
    for (LogInstance instance : LogInstances.fromConfig(config).all()) {
      assertTrue(Files.exists(dir.resolve(instance.name() + ".mv.db")), instance.name());
      try (Connection c = DriverManager.getConnection(storage.jdbcUrl(instance), "sa", "");
          ResultSet rs = c.createStatement().executeQuery(
              "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME IN ('event_journal', 'snapshot')")) {
        rs.next();
        assertEquals(2, rs.getInt(1));
      }
    }
  }

  @Test
  void everyInstanceGetsItsOwnJournalSnapshotAndQueryPlugin(@TempDir Path dir) {
    EmbeddedStorage storage = EmbeddedStorage.create(config, dir);
    Config plugins = storage.pluginConfig(config).withFallback(config).resolve();
    LogInstances instances = LogInstances.fromConfig(config);
    assertEquals(2, instances.all().size());
    for (LogInstance instance : instances.all()) {
      assertEquals("logshard-" + instance.name(), plugins.getString(instance.journalPluginId() + ".use-shared-db"));
      assertEquals(1, plugins.getInt(instance.journalPluginId() + ".parallelism"));
      assertEquals("logshard-" + instance.name(), plugins.getString(instance.snapshotPluginId() + ".use-shared-db"));
      assertEquals(instance.journalPluginId(), plugins.getString(instance.queryPluginId() + ".write-plugin"));
      assertEquals(
          "org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal",
          plugins.getString(instance.journalPluginId() + ".class"));
      String url = plugins.getString("pekko-persistence-jdbc.shared-databases.logshard-" + instance.name() + ".db.url");
      assertTrue(url.contains(dir.toAbsolutePath().resolve(instance.name()).toString()), url);
    }
    assertNotEquals(
        plugins.getString("pekko-persistence-jdbc.shared-databases.logshard-fast.db.url"),
        plugins.getString("pekko-persistence-jdbc.shared-databases.logshard-standard.db.url"));
  }

  @Test
  void aLargeFileIsCompactedOnStartAndKeepsItsData(@TempDir Path dir) throws Exception {
    Config compactAlways = ConfigFactory.parseString("logshard.embedded.compact-on-start-above = 0").withFallback(config);
    EmbeddedStorage storage = EmbeddedStorage.create(compactAlways, dir);
    storage.prepare();
    LogInstance standard = LogInstances.fromConfig(config).get("standard");
    // Many small commits (as the journal makes with WRITE_DELAY=0) over few live rows: a sparse file.
    // MAX_COMPACT_TIME=0: H2 would otherwise compact for up to 200 ms on close, as much as time allows.
    try (Connection c = DriverManager.getConnection(storage.jdbcUrl(standard) + ";MAX_COMPACT_TIME=0", "sa", "")) {
      c.createStatement().execute("CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, v VARBINARY(2048))");
      var upsert = c.prepareStatement("MERGE INTO t KEY (id) VALUES (?, ?)");
      for (int i = 0; i < 4000; i++) {
        upsert.setInt(1, i % 50);
        upsert.setBytes(2, new byte[1024]);
        upsert.executeUpdate();
      }
    }
    long sparse = Files.size(storage.file(standard));
    storage.prepare(); // the next start
    long compacted = Files.size(storage.file(standard));
    assertTrue(compacted < sparse / 2, "compacted " + sparse + " -> " + compacted);
    try (Connection c = DriverManager.getConnection(storage.jdbcUrl(standard), "sa", "");
        ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM t")) {
      rs.next();
      assertEquals(50, rs.getInt(1));
    }
  }

  @Test
  void unknownInitialInstanceIsAClearError() {
    Config bad = ConfigFactory.parseString("logshard.initial-log-instance = nowhere").withFallback(config);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LogInstances.fromConfig(bad));
    assertTrue(e.getMessage().contains("nowhere"), e.getMessage());
  }

  @Test
  void shardMapFileKeepsTheFirstMapWhateverTheRangeCountLater(@TempDir Path dir) {
    ShardMapFile file = new ShardMapFile(dir);
    ShardMap first = file.loadOrCreate(() -> ShardMap.initial(16, "standard"));
    ShardMap again = new ShardMapFile(dir).loadOrCreate(() -> ShardMap.initial(4, "fast"));
    assertEquals(first, again);
    assertEquals(16, again.size());
    assertEquals(-1L, again.placements().get(15).range().last());
  }
}
