package dev.logshard.persistence.rocksdb;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Path;
import org.apache.pekko.persistence.CapabilityFlag;
import org.apache.pekko.persistence.CapabilityFlag$;
import org.apache.pekko.persistence.japi.journal.JavaJournalSpec;
import org.apache.pekko.persistence.japi.snapshot.JavaSnapshotStoreSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RocksDB journal and snapshot store pass Pekko's plugin compliance specs (the persistence TCK). */
class RocksPluginComplianceTest {

  @TempDir
  Path dir;

  /** The plugins of one instance in {@code dir}, as the node's config lays them out. */
  static Config config(Path dir) {
    Config reference = ConfigFactory.load();
    String path = dir.toAbsolutePath().toString();
    return ConfigFactory.empty()
        .withValue("pekko.persistence.journal.plugin", ConfigValueFactory.fromAnyRef("test-rocksdb-journal"))
        .withValue("pekko.persistence.snapshot-store.plugin", ConfigValueFactory.fromAnyRef("test-rocksdb-snapshot"))
        .withValue("test-rocksdb-journal", reference.getConfig("logshard.rocksdb.journal")
            .withValue("dir", ConfigValueFactory.fromAnyRef(path)).root())
        .withValue("test-rocksdb-snapshot", reference.getConfig("logshard.rocksdb.snapshot")
            .withValue("dir", ConfigValueFactory.fromAnyRef(path)).root())
        .withValue("test-rocksdb-query", reference.getConfig("logshard.rocksdb.query")
            .withValue("dir", ConfigValueFactory.fromAnyRef(path)).root());
  }

  @Test
  void theJournalPassesPekkosJournalSpec() {
    ScalaTestSuites.assertPasses(new JavaJournalSpec(config(dir)) {
      @Override
      public CapabilityFlag supportsRejectingNonSerializableObjects() {
        return CapabilityFlag$.MODULE$.on();
      }
    }, 16);
  }

  @Test
  void theSnapshotStorePassesPekkosSnapshotStoreSpec() {
    ScalaTestSuites.assertPasses(new JavaSnapshotStoreSpec(config(dir)), 12);
  }
}
