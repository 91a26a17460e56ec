package dev.logshard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded RocksDB engine's storage: a directory per log instance, and one engine per data directory. */
class RocksStorageTest {

  private final Config config = ConfigFactory.load();

  @Test
  void everyInstanceGetsItsJournalSnapshotAndQueryPluginOnItsOwnDirectory(@TempDir Path dir) {
    RocksStorage storage = RocksStorage.create(config, dir);
    storage.prepare();
    Config plugins = storage.pluginConfig(config);
    for (LogInstance instance : LogInstances.fromConfig(config).all()) {
      String expected = dir.resolve(instance.name()).toAbsolutePath().toString();
      assertEquals(expected, plugins.getString(instance.journalPluginId() + ".dir"));
      assertEquals(expected, plugins.getString(instance.snapshotPluginId() + ".dir"));
      assertEquals(expected, plugins.getString(instance.queryPluginId() + ".dir"));
      assertEquals("dev.logshard.persistence.rocksdb.RocksJournal", plugins.getString(instance.journalPluginId() + ".class"));
      assertEquals("process", plugins.getString(instance.journalPluginId() + ".durability"));
    }
    LogInstance added = new LogInstance("standard-9", "standard", 0, 0);
    assertEquals(dir.resolve("standard-9").toAbsolutePath().toString(),
        storage.runtime(config).prepare(added).getString(added.journalPluginId() + ".dir"));
  }

  @Test
  void aDataDirectoryTheOtherEngineWroteIsRefusedWithWhatToDo(@TempDir Path dir) throws Exception {
    LogInstance first = LogInstances.fromConfig(config).all().get(0);
    Path h2 = dir.resolve("h2");
    Files.createDirectories(h2);
    Files.writeString(h2.resolve(first.name() + ".mv.db"), "");
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> RocksStorage.create(config, h2).prepare());
    assertTrue(refused.getMessage().contains("logshard.embedded.engine = h2"), refused.getMessage());

    Path rocks = dir.resolve("rocks");
    Files.createDirectories(rocks.resolve(first.name()));
    IllegalStateException refusedToo = assertThrows(IllegalStateException.class,
        () -> EmbeddedStorage.create(config, rocks).prepare());
    assertTrue(refusedToo.getMessage().contains("logshard.embedded.engine = rocksdb"), refusedToo.getMessage());
  }
}
