package dev.logshard.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Collectors;
import org.h2.mvstore.MVStoreTool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded durable default: every log instance is an H2 file database under the data
 * directory, reached through pekko-persistence-jdbc. Before the actor system starts, a node calls
 * {@link #prepare} to create the schema (idempotently) and {@link #pluginConfig} to get the
 * journal, snapshot and query plugin config of each instance.
 */
public final class EmbeddedStorage {

  private static final String SCHEMA_RESOURCE = "/logshard-h2-schema.sql";
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStorage.class);

  private final Path dataDir;
  private final LogInstances instances;
  private final int maxConnections;
  private final int writeParallelism;
  private final String urlSettings;
  private final long compactAbove;
  private final String queryRefreshInterval;

  private EmbeddedStorage(Path dataDir, LogInstances instances, int maxConnections, int writeParallelism,
      String urlSettings, long compactAbove, String queryRefreshInterval) {
    this.dataDir = dataDir.toAbsolutePath().normalize();
    this.instances = instances;
    this.maxConnections = maxConnections;
    this.writeParallelism = writeParallelism;
    this.urlSettings = urlSettings;
    this.compactAbove = compactAbove;
    this.queryRefreshInterval = queryRefreshInterval;
  }

  /** Reads {@code logshard.embedded}; {@code dataDir} is where the databases live. */
  public static EmbeddedStorage create(Config config, Path dataDir) {
    return new EmbeddedStorage(
        dataDir,
        LogInstances.fromConfig(config),
        config.getInt("logshard.embedded.max-connections"),
        config.getInt("logshard.embedded.journal-write-parallelism"),
        config.getString("logshard.embedded.h2-url-settings"),
        config.getBytes("logshard.embedded.compact-on-start-above"),
        config.getDuration("logshard.embedded.query-refresh-interval").toMillis() + "ms");
  }

  public Path dataDir() {
    return dataDir;
  }

  public String jdbcUrl(LogInstance instance) {
    return "jdbc:h2:file:" + dataDir.resolve(instance.name()) + urlSettings;
  }

  /**
   * Creates the data directory, compacts files above the threshold, and creates every instance's
   * tables; safe to run on every start. Call it while holding the {@link DataDirectoryLock} and
   * before anything opens the databases.
   */
  public void prepare() {
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create data directory " + dataDir, e);
    }
    for (LogInstance instance : instances.all()) {
      if (Files.isDirectory(dataDir.resolve(instance.name())) && !Files.exists(file(instance))) {
        throw new IllegalStateException("log instance '" + instance.name() + "' in " + dataDir
            + " was written by the RocksDB engine; start this data directory with logshard.embedded.engine = rocksdb");
      }
      compactIfLarge(instance);
    }
    for (LogInstance instance : instances.all()) {
      createSchema(instance);
    }
  }

  /**
   * How this node prepares a log instance added at runtime: its file is compacted if large and its
   * tables created (both idempotent, before anything opens it), and its plugins get their own
   * connection pools (a pool shared between plugins is found only in the actor system's config).
   */
  public LogInstances.RuntimeStorage runtime(Config base) {
    return instance -> {
      compactIfLarge(instance);
      createSchema(instance);
      return instanceConfig(base, instance, false);
    };
  }

  private void createSchema(LogInstance instance) {
    try (Connection connection = DriverManager.getConnection(jdbcUrl(instance), "sa", "");
        Statement statement = connection.createStatement()) {
      for (String sql : readSchema().split(";\\s*\\n")) {
        if (!sql.isBlank()) {
          statement.execute(sql);
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot prepare log instance '" + instance.name() + "' at " + jdbcUrl(instance) + ": " + e.getMessage(), e);
    }
  }

  /** The H2 file of an instance. */
  public Path file(LogInstance instance) {
    return dataDir.resolve(instance.name() + ".mv.db");
  }

  private void compactIfLarge(LogInstance instance) {
    String file = file(instance).toString();
    // Finishes (or rolls back) a compaction that a crash interrupted, before anything else.
    MVStoreTool.compactCleanUp(file);
    try {
      long before = Files.exists(file(instance)) ? Files.size(file(instance)) : 0;
      if (before == 0 || before <= compactAbove) {
        return;
      }
      long start = System.nanoTime();
      MVStoreTool.compact(file, false);
      LOG.info("Compacted log instance [{}]: {} MB -> {} MB in {} ms", instance.name(), before >> 20,
          Files.size(file(instance)) >> 20, (System.nanoTime() - start) / 1_000_000);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compact log instance '" + instance.name() + "' at " + file, e);
    }
  }

  /**
   * Plugin config for every log instance, to lay over the node's config (which must already
   * contain pekko-persistence-jdbc's reference config).
   */
  public Config pluginConfig(Config base) {
    Config result = ConfigFactory.empty();
    for (LogInstance instance : instances.all()) {
      result = result.withFallback(instanceConfig(base, instance, true));
    }
    return result;
  }

  /**
   * One instance's journal, snapshot and query plugins on its H2 file: with {@code shared}, on one
   * connection pool declared beside them (the actor system's config), else each with its own.
   */
  private Config instanceConfig(Config base, LogInstance instance, boolean shared) {
    String dbName = "logshard-" + instance.name();
    Config database = ConfigFactory.empty()
        .withValue("profile", ConfigValueFactory.fromAnyRef("slick.jdbc.H2Profile$"))
        .withValue("db.url", ConfigValueFactory.fromAnyRef(jdbcUrl(instance)))
        .withValue("db.driver", ConfigValueFactory.fromAnyRef("org.h2.Driver"))
        .withValue("db.user", ConfigValueFactory.fromAnyRef("sa"))
        .withValue("db.password", ConfigValueFactory.fromAnyRef(""))
        .withValue("db.numThreads", ConfigValueFactory.fromAnyRef(maxConnections))
        .withValue("db.maxConnections", ConfigValueFactory.fromAnyRef(maxConnections))
        .withValue("db.minConnections", ConfigValueFactory.fromAnyRef(1))
        .withFallback(base.getConfig("pekko-persistence-jdbc.shared-databases.slick"));
    Config useDb = shared ? ConfigFactory.empty().withValue("use-shared-db", ConfigValueFactory.fromAnyRef(dbName))
        : database.atPath("slick");
    Config journal = useDb
        .withValue("parallelism", ConfigValueFactory.fromAnyRef(writeParallelism))
        .withFallback(base.getConfig("jdbc-journal"));
    Config snapshot = useDb.withFallback(base.getConfig("jdbc-snapshot-store"));
    Config query = useDb
        .withValue("write-plugin", ConfigValueFactory.fromAnyRef(instance.journalPluginId()))
        .withValue("refresh-interval", ConfigValueFactory.fromAnyRef(queryRefreshInterval))
        .withFallback(base.getConfig("jdbc-read-journal"));
    Config plugins = journal.atPath(instance.journalPluginId())
        .withFallback(snapshot.atPath(instance.snapshotPluginId()))
        .withFallback(query.atPath(instance.queryPluginId()));
    return shared ? plugins.withFallback(database.atPath("pekko-persistence-jdbc.shared-databases." + dbName)) : plugins;
  }

  private static String readSchema() {
    try (InputStream in = EmbeddedStorage.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("schema resource " + SCHEMA_RESOURCE + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .filter(line -> !line.stripLeading().startsWith("--"))
          .collect(Collectors.joining("\n", "", "\n"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
