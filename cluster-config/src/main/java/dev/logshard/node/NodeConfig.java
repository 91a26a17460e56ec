package dev.logshard.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.logshard.persistence.EmbeddedStorage;
import dev.logshard.persistence.LogInstance;
import dev.logshard.persistence.LogInstances;
import java.nio.file.Path;

/**
 * Assembles a node's config: the given overrides (command line), then system properties,
 * application.conf and every reference.conf, then the generated plugin config of each log
 * instance. Prepares the embedded storage on the way (data directory and schemas).
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

  /** The full node config; the caller holds the data directory's lock. */
  static Config load(Config base) {
    EmbeddedStorage storage = EmbeddedStorage.create(base, dataDir(base));
    storage.prepare();
    LogInstance initial = LogInstances.fromConfig(base).initial();
    Config defaults = ConfigFactory.empty()
        .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(storage.dataDir().toString()))
        .withValue("pekko.persistence.journal.plugin", ConfigValueFactory.fromAnyRef(initial.journalPluginId()))
        .withValue("pekko.persistence.snapshot-store.plugin", ConfigValueFactory.fromAnyRef(initial.snapshotPluginId()));
    return defaults.withFallback(storage.pluginConfig(base)).withFallback(base);
  }
}
