package dev.logshard.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.logshard.persistence.CassandraStorage;
import dev.logshard.persistence.EmbeddedStorage;
import dev.logshard.persistence.H2Migration;
import dev.logshard.persistence.LogInstance;
import dev.logshard.persistence.LogInstances;
import dev.logshard.persistence.RocksStorage;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * Assembles a node's config: the given overrides (command line), then system properties,
 * application.conf and every reference.conf, then the generated plugin config of each log
 * instance: in embedded mode H2 databases (prepared on the way: data directory and schemas) or
 * RocksDB databases ({@code logshard.embedded.engine}), Cassandra keyspaces in cluster mode.
 */
final class NodeConfig {

  private NodeConfig() {}

  /** The base config (overrides, system properties, application.conf, reference.conf). */
  static Config base(Config overrides) {
    return overrides.withFallback(ConfigFactory.load()).resolve();
  }

  static Path dataDir(Config base) {
    return Path.of(base.getString("logshard.data-dir")).toAbsolutePath().normalize();
  }

  /** Whether the node runs in cluster mode (log instances in Cassandra), not embedded. */
  static boolean cluster(Config config) {
    return config.getString("logshard.mode").equals("cluster");
  }

  /**
   * How the node prepares log instances added at runtime: in embedded mode a database each, like
   * the configured ones; in cluster mode a keyspace each, its plugins in an actor system of their
   * own ({@link CassandraStorage#runtime}).
   */
  static LogInstances.RuntimeStorage runtimeStorage(Config config) {
    if (cluster(config)) {
      return CassandraStorage.runtime(config);
    }
    return rocksdb(config) ? RocksStorage.create(config, dataDir(config)).runtime(config)
        : EmbeddedStorage.create(config, dataDir(config)).runtime(config);
  }

  /** How the node reads its log instances' engine statistics (RocksDB only; none elsewhere). */
  static Function<LogInstance, Map<String, Long>> storageStats(Config config) {
    if (cluster(config) || !rocksdb(config)) {
      return instance -> Map.of();
    }
    return RocksStorage.create(config, dataDir(config))::stats;
  }

  /** Whether the embedded log instances are RocksDB databases (else H2 files). */
  static boolean rocksdb(Config config) {
    String engine = config.getString("logshard.embedded.engine");
    return switch (engine) {
      case "rocksdb" -> true;
      case "h2" -> false;
      default -> throw new IllegalArgumentException(
          "logshard.embedded.engine must be \"rocksdb\" or \"h2\", was \"" + engine + "\"");
    };
  }

  /** The full node config; the caller holds the data directory's lock. */
  static Config load(Config base) {
    Path dataDir = dataDir(base);
    Config plugins;
    String mode = base.getString("logshard.mode");
    if (base.getBoolean("logshard.move-coordinator-journal") && !(mode.equals("embedded") && rocksdb(base))) {
      throw new IllegalArgumentException("--move-coordinator-journal (logshard.move-coordinator-journal) moves the "
          + "Coordinator's journal between the RocksDB log instances of embedded mode only; nothing was moved");
    }
    switch (mode) {
      case "embedded" -> {
        if (rocksdb(base)) {
          H2Migration.run(base, dataDir); // a data directory the H2 engine wrote moves to RocksDB first
          RocksStorage storage = RocksStorage.create(base, dataDir);
          storage.prepare();
          if (base.getBoolean("logshard.move-coordinator-journal")) {
            CoordinatorJournalMove.run(base, dataDir, storage);
          }
          plugins = storage.pluginConfig(base);
        } else {
          EmbeddedStorage storage = EmbeddedStorage.create(base, dataDir);
          storage.prepare();
          plugins = storage.pluginConfig(base);
        }
      }
      case "cluster" -> plugins = CassandraStorage.pluginConfig(base);
      default -> throw new IllegalArgumentException(
          "logshard.mode must be \"embedded\" or \"cluster\", was \"" + mode + "\"");
    }
    LogInstance initial = LogInstances.fromConfig(base).initial();
    Config defaults = ConfigFactory.empty()
        .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString()))
        .withValue("pekko.persistence.journal.plugin", ConfigValueFactory.fromAnyRef(initial.journalPluginId()))
        .withValue("pekko.persistence.snapshot-store.plugin", ConfigValueFactory.fromAnyRef(initial.snapshotPluginId()));
    return defaults.withFallback(plugins).withFallback(base);
  }
}
