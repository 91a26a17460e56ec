package dev.logshard.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.nio.file.Files;
import dev.logshard.persistence.rocksdb.RocksLog;
import dev.logshard.persistence.rocksdb.RocksSettings;
import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded RocksDB engine ({@code logshard.embedded.engine = rocksdb}): every log instance is a
 * RocksDB database in {@code <data-dir>/<instance>/}, reached through the plugins of
 * {@code persistence/rocksdb} (journal, snapshot store and events query on one open database).
 * Before the actor system starts, a node calls {@link #prepare} and {@link #pluginConfig}.
 */
public final class RocksStorage {

  private final Path dataDir;
  private final LogInstances instances;

  private RocksStorage(Path dataDir, LogInstances instances) {
    this.dataDir = dataDir.toAbsolutePath().normalize();
    this.instances = instances;
  }

  public static RocksStorage create(Config config, Path dataDir) {
    return new RocksStorage(dataDir, LogInstances.fromConfig(config));
  }

  /** The directory of an instance's database. */
  public Path dir(LogInstance instance) {
    return dataDir.resolve(instance.name());
  }

  /**
   * Refuses a data directory whose instances the H2 engine wrote (their events would not be seen);
   * each instance's directory is made when its database first opens. Call it while holding the
   * {@link DataDirectoryLock}.
   */
  public void prepare() {
    for (LogInstance instance : instances.all()) {
      refuseOtherEngine(instance);
    }
  }

  private void refuseOtherEngine(LogInstance instance) {
    Path h2 = dataDir.resolve(instance.name() + ".mv.db");
    if (Files.exists(h2) && !Files.isDirectory(dir(instance))) {
      throw new IllegalStateException("log instance '" + instance.name() + "' in " + dataDir
          + " was written by the H2 engine (" + h2.getFileName() + "); start this data directory with "
          + "logshard.embedded.engine = h2, or use an empty data directory for rocksdb");
    }
  }

  /** Plugin config for every configured log instance, to lay over the node's config. */
  public Config pluginConfig(Config base) {
    Config result = ConfigFactory.empty();
    for (LogInstance instance : instances.all()) {
      result = result.withFallback(instanceConfig(base, instance));
    }
    return result;
  }

  /** How this node prepares a log instance added at runtime: its plugins' config (the directory is made on open). */
  public LogInstances.RuntimeStorage runtime(Config base) {
    return instance -> instanceConfig(base, instance);
  }

  /** Each instance's RocksDB statistics while its database is open here (empty otherwise). */
  public Map<String, Long> stats(LogInstance instance) {
    return RocksLog.statsOf(dir(instance)).orElse(Map.of());
  }

  /** The settings an instance's database opens with. */
  public RocksSettings settings(Config base, LogInstance instance) {
    return RocksSettings.create(instanceConfig(base, instance).getConfig(instance.journalPluginId()));
  }

  private Config instanceConfig(Config base, LogInstance instance) {
    String dir = dir(instance).toString();
    return plugin(base, "journal", dir).atPath(instance.journalPluginId())
        .withFallback(plugin(base, "snapshot", dir).atPath(instance.snapshotPluginId()))
        .withFallback(plugin(base, "query", dir).atPath(instance.queryPluginId()));
  }

  private static Config plugin(Config base, String which, String dir) {
    return base.getConfig("logshard.rocksdb." + which).withValue("dir", ConfigValueFactory.fromAnyRef(dir));
  }
}
