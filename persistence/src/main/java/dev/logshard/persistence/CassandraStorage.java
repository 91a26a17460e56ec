package dev.logshard.persistence;

import com.datastax.oss.driver.api.core.uuid.Uuids;
import dev.logshard.persistence.runtime.InstanceSystems;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;
import java.util.Map;

/**
 * Cluster mode's storage: every log instance is a Cassandra keyspace ({@code <prefix><name>}, '-'
 * turned into '_'), reached through pekko-persistence-cassandra. Each instance gets a whole plugin
 * block at {@code logshard-log-instance.<name>} (journal, snapshot and query share its session
 * settings), laid over the node's config, which must already contain the plugin's reference config.
 */
public final class CassandraStorage {

  private static final String PLUGIN_DEFAULTS = "pekko.persistence.cassandra";
  /** The lease's config path (Pekko's use-lease settings name it). */
  private static final String LEASE = "logshard.lease";

  private CassandraStorage() {}

  /**
   * The driver's time-based UUIDs (every journal write makes one) work out the node's identity the
   * first time: about 0.3 s here, which the first writes after a failover waited for on a node that
   * had written nothing yet. Done at start, on a thread of its own.
   */
  public static void warmUp() {
    Thread uuids = new Thread(Uuids::timeBased, "logshard-uuid-warm-up");
    uuids.setDaemon(true);
    uuids.start();
  }

  /** The keyspace that holds an instance's events and snapshots. */
  public static String keyspace(Config config, LogInstance instance) {
    return config.getString("logshard.cassandra.keyspace-prefix") + instance.name().replace('-', '_');
  }

  /** Plugin config for every log instance and the driver's contact points, from {@code logshard.cassandra}. */
  public static Config pluginConfig(Config base) {
    Config settings = base.getConfig("logshard.cassandra");
    List<String> contactPoints = settings.getStringList("contact-points");
    if (contactPoints.isEmpty()) {
      throw new IllegalArgumentException("logshard.cassandra.contact-points names no Cassandra node");
    }
    Config result = ConfigFactory.empty()
        .withValue("datastax-java-driver.basic.contact-points", ConfigValueFactory.fromIterable(contactPoints))
        .withValue("datastax-java-driver.basic.load-balancing-policy.local-datacenter",
            ConfigValueFactory.fromAnyRef(settings.getString("local-datacenter")));
    List<LogInstance> instances = LogInstances.fromConfig(base).all();
    // Started with the node, so each creates its keyspace and tables then (the first node, alone),
    // not in the middle of the first transfer to it.
    result = result
        .withValue("pekko.persistence.journal.auto-start-journals", ConfigValueFactory.fromIterable(
            instances.stream().map(LogInstance::journalPluginId).toList()))
        .withValue("pekko.persistence.snapshot-store.auto-start-snapshot-stores", ConfigValueFactory.fromIterable(
            instances.stream().map(LogInstance::snapshotPluginId).toList()));
    result = withLease(result, base, settings);
    for (LogInstance instance : instances) {
      result = result.withFallback(instanceConfig(base, instance));
    }
    return result;
  }

  /**
   * How a node prepares a log instance added at runtime: pekko-persistence-cassandra reads a
   * plugin's settings from its actor system's config only, so the instance's plugins run in a
   * system of their own made with its block ({@link InstanceSystems}), and the node's plugin ids
   * forward to them. Its keyspace and tables are made when that system starts (the first use).
   */
  public static LogInstances.RuntimeStorage runtime(Config base) {
    return instance -> InstanceSystems.forwarding(instance.name(), instance.journalPluginId(),
        instance.snapshotPluginId(), instance.queryPluginId(), instanceConfig(base, instance));
  }

  /** One instance's plugin block (keyspace, replication, consistency) and its driver profile. */
  private static Config instanceConfig(Config base, LogInstance instance) {
    Config settings = base.getConfig("logshard.cassandra");
    boolean createSchema = settings.getBoolean("create-schema");
    String refreshInterval = settings.getDuration("query-refresh-interval").toMillis() + "ms";
    String keyspace = keyspace(base, instance);
    String own = "logshard.log-instances." + instance.name() + ".";
    int instanceFactor = base.hasPath(own + "replication-factor") ? base.getInt(own + "replication-factor")
        : settings.getInt("replication-factor");
    String consistency = consistency(base.hasPath(own + "consistency") ? base.getString(own + "consistency")
        : settings.getString("consistency"), instance.name());
    // One driver profile per instance, for its journal, snapshots and queries alike: the plugin's
    // own profiles read and write snapshots at ONE, which, with events deleted once a snapshot
    // covers them, could recover a range from an older snapshot without the events after it.
    String profile = "logshard-" + instance.name();
    Config result = ConfigFactory.empty()
        .withValue("datastax-java-driver.profiles." + profile + ".basic.request.consistency",
            ConfigValueFactory.fromAnyRef(consistency))
        .withValue("datastax-java-driver.profiles." + profile + ".basic.request.default-idempotence",
            ConfigValueFactory.fromAnyRef(true));
    Map<String, Object> values = new java.util.HashMap<>(Map.of(
        "journal.keyspace", keyspace,
        "journal.keyspace-autocreate", createSchema,
        "journal.tables-autocreate", createSchema,
        "journal.replication-factor", instanceFactor,
        "snapshot.keyspace", keyspace,
        "snapshot.keyspace-autocreate", createSchema,
        "snapshot.tables-autocreate", createSchema,
        "snapshot.replication-factor", instanceFactor,
        "query.refresh-interval", refreshInterval,
        // LogShard reads a range's events by persistence id only: no tag tables to write.
        "events-by-tag.enabled", false));
    // The journal reads its profiles at the plugin's root; the snapshot store and the query their own.
    for (String path : List.of("read-profile", "write-profile", "snapshot.read-profile", "snapshot.write-profile",
        "query.read-profile")) {
      values.put(path, profile);
    }
    Config block = ConfigFactory.parseMap(values).withFallback(base.getConfig(PLUGIN_DEFAULTS));
    // The plugins find their shared settings at the parent of journal/snapshot/query.
    return result.withFallback(block.atPath("logshard-log-instance." + instance.name()));
  }

  /**
   * The lease's table in the Coordinator's keyspace (on a session of its own); with
   * {@code use-lease}, every range generation ({@code logshard.range-lease}, held by the entity) and
   * the Coordinator's singleton take one.
   */
  private static Config withLease(Config result, Config base, Config settings) {
    LogInstance coordinator = LogInstances.fromConfig(base).coordinator();
    Config lease = result
        .withValue("logshard.lease.keyspace", ConfigValueFactory.fromAnyRef(keyspace(base, coordinator)))
        .withValue("logshard.lease.create-table", ConfigValueFactory.fromAnyRef(settings.getBoolean("create-schema")))
        .withValue("logshard.lease.replication-factor", ConfigValueFactory.fromAnyRef(settings.getInt("replication-factor")));
    if (!settings.getBoolean("use-lease")) {
      return lease.withFallback(splitBrain(base.getConfig("logshard.cluster")));
    }
    return lease
        .withValue("logshard.range-lease", ConfigValueFactory.fromAnyRef(LEASE))
        .withValue("logshard.coordinator-lease", ConfigValueFactory.fromAnyRef(LEASE))
        .withFallback(splitBrain(base.getConfig("logshard.cluster")));
  }

  private static final List<String> CONSISTENCY_LEVELS =
      List.of("ONE", "TWO", "THREE", "QUORUM", "LOCAL_QUORUM", "EACH_QUORUM", "ALL", "LOCAL_ONE");

  private static String consistency(String level, String instance) {
    if (!CONSISTENCY_LEVELS.contains(level)) {
      throw new IllegalArgumentException("the consistency of log instance " + instance + " must be one of "
          + CONSISTENCY_LEVELS + ", not " + level + " (logshard.cassandra.consistency, or logshard.log-instances."
          + instance + ".consistency)");
    }
    return level;
  }

  /** The split-brain resolver's strategy and timing from {@code logshard.cluster}. */
  private static Config splitBrain(Config cluster) {
    String strategy = cluster.getString("split-brain-strategy");
    if (!strategy.equals("lease-majority") && !strategy.equals("keep-majority")) {
      throw new IllegalArgumentException(
          "logshard.cluster.split-brain-strategy must be \"lease-majority\" or \"keep-majority\", was \"" + strategy + "\"");
    }
    String sbr = "pekko.cluster.split-brain-resolver.";
    return ConfigFactory.empty()
        .withValue(sbr + "active-strategy", ConfigValueFactory.fromAnyRef(strategy))
        .withValue(sbr + "lease-majority.lease-implementation", ConfigValueFactory.fromAnyRef(LEASE))
        .withValue(sbr + "stable-after", ConfigValueFactory.fromAnyRef(cluster.getDuration("stable-after").toMillis() + "ms"))
        .withValue("pekko.cluster.down-removal-margin",
            ConfigValueFactory.fromAnyRef(cluster.getDuration("down-removal-margin").toMillis() + "ms"));
  }
}
