package dev.logshard.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

class CassandraStorageTest {

  private static Config base(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve();
  }

  @Test
  void everyLogInstanceGetsAWholePluginBlockOnItsOwnKeyspace() {
    Config base = base("""
        logshard.log-instances { fast-ssd { tier = fast, capacity = 1 GiB }, standard { tier = standard, capacity = 1 GiB } }
        logshard.cassandra.contact-points = ["10.0.0.1:9042", "10.0.0.2:9042"]
        logshard.cassandra.keyspace-prefix = "ls_"
        """);
    Config config = CassandraStorage.pluginConfig(base).withFallback(base).resolve();
    LogInstance fast = LogInstances.fromConfig(base).get("fast-ssd");
    assertEquals("ls_fast_ssd", CassandraStorage.keyspace(base, fast));
    assertEquals("org.apache.pekko.persistence.cassandra.journal.CassandraJournal",
        config.getString(fast.journalPluginId() + ".class"));
    assertEquals("ls_fast_ssd", config.getString(fast.journalPluginId() + ".keyspace"));
    assertEquals("ls_fast_ssd", config.getString(fast.snapshotPluginId() + ".keyspace"));
    assertEquals("org.apache.pekko.persistence.cassandra.query.CassandraReadJournalProvider",
        config.getString(fast.queryPluginId() + ".class"));
    assertEquals(5, config.getDuration(fast.queryPluginId() + ".refresh-interval").toMillis());
    // The plugins read their session settings from the block around journal/snapshot/query.
    assertEquals("datastax-java-driver", config.getString("logshard-log-instance.fast-ssd.datastax-java-driver-config"));
    assertFalse(config.getBoolean("logshard-log-instance.fast-ssd.events-by-tag.enabled"));
    assertTrue(config.getBoolean(fast.journalPluginId() + ".tables-autocreate"));
    assertEquals("ls_standard", config.getString("logshard-log-instance.standard.journal.keyspace"));
    assertEquals(List.of("10.0.0.1:9042", "10.0.0.2:9042"), config.getStringList("datastax-java-driver.basic.contact-points"));
    assertEquals("datacenter1", config.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"));
    assertEquals(List.of("logshard-log-instance.fast.journal", fast.journalPluginId(), "logshard-log-instance.standard.journal"),
        config.getStringList("pekko.persistence.journal.auto-start-journals"));
  }

  @Test
  void anInstanceAddedAtRuntimeForwardsToPluginsConfiguredInASystemOfTheirOwn() {
    Config base = base("""
        logshard.cassandra.keyspace-prefix = "ls_"
        logshard.cassandra.replication-factor = 3
        """);
    LogInstance added = new LogInstance("fast-2", "fast", 0, 0);
    Config plugins = CassandraStorage.runtime(base).prepare(added);
    // The node's plugin ids forward; the real plugins, at the same ids, are in the carried config.
    assertEquals("dev.logshard.persistence.runtime.ForwardingPlugin", plugins.getString(added.journalPluginId() + ".class"));
    assertEquals("dev.logshard.persistence.runtime.ForwardingPlugin", plugins.getString(added.snapshotPluginId() + ".class"));
    assertEquals("dev.logshard.persistence.runtime.ForwardingReadJournalProvider",
        plugins.getString(added.queryPluginId() + ".class"));
    Config own = plugins.getConfig(added.journalPluginId() + ".own-system-config").withFallback(base).resolve();
    assertEquals("org.apache.pekko.persistence.cassandra.journal.CassandraJournal",
        own.getString(added.journalPluginId() + ".class"));
    assertEquals("ls_fast_2", own.getString(added.journalPluginId() + ".keyspace"));
    assertEquals("ls_fast_2", own.getString(added.snapshotPluginId() + ".keyspace"));
    assertEquals(3, own.getInt(added.journalPluginId() + ".replication-factor"));
    assertEquals("logshard-fast-2", own.getString("logshard-log-instance.fast-2.write-profile"));
    assertEquals("QUORUM", own.getString("datastax-java-driver.profiles.logshard-fast-2.basic.request.consistency"));
  }

  @Test
  void everyInstanceReadsAndWritesAtItsConsistencyWithItsReplicationFactor() {
    Config base = base("logshard.cassandra.replication-factor = 3\n"
        + "logshard.log-instances.fast { tier = fast, capacity = 1 GiB, replication-factor = 5, consistency = LOCAL_QUORUM }\n");
    Config config = CassandraStorage.pluginConfig(base).withFallback(base).resolve();
    Config fast = config.getConfig("logshard-log-instance.fast");
    Config standard = config.getConfig("logshard-log-instance.standard");
    assertEquals(5, fast.getInt("journal.replication-factor"));
    assertEquals(5, fast.getInt("snapshot.replication-factor"));
    assertEquals(3, standard.getInt("journal.replication-factor"));
    for (String path : List.of("read-profile", "write-profile", "snapshot.read-profile", "snapshot.write-profile",
        "query.read-profile")) {
      assertEquals("logshard-fast", fast.getString(path), path);
      assertEquals("logshard-standard", standard.getString(path), path);
    }
    // The default QUORUM everywhere, snapshots too (the plugin's own snapshot profile says ONE).
    assertEquals("LOCAL_QUORUM", config.getString("datastax-java-driver.profiles.logshard-fast.basic.request.consistency"));
    assertEquals("QUORUM", config.getString("datastax-java-driver.profiles.logshard-standard.basic.request.consistency"));
    var e = assertThrows(IllegalArgumentException.class,
        () -> CassandraStorage.pluginConfig(base("logshard.cassandra.consistency = MOSTLY")));
    assertTrue(e.getMessage().contains("logshard.cassandra.consistency"), e.getMessage());
  }

  @Test
  void noContactPointIsAClearError() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> CassandraStorage.pluginConfig(base("logshard.cassandra.contact-points = []")));
    assertTrue(e.getMessage().contains("contact-points"), e.getMessage());
  }

  @Test
  void shardsAndTheCoordinatorTakeALeaseInTheCoordinatorsKeyspaceAndTheResolverUsesIt() {
    Config base = base("""
        logshard.cassandra.keyspace-prefix = "ls_"
        logshard.coordinator-log-instance = fast
        """);
    Config config = CassandraStorage.pluginConfig(base).withFallback(base).resolve();
    assertEquals("logshard.lease", config.getString("logshard.range-lease"));
    assertFalse(config.hasPath("pekko.cluster.sharding.use-lease"), "the entity holds it: Pekko 1.2's shard never releases one");
    assertEquals("logshard.lease", config.getString("logshard.coordinator-lease"));
    assertEquals("", config.getString("pekko.cluster.singleton.use-lease"),
        "the singleton holds it itself: Pekko's proxies lose a singleton restarted after a lost lease");
    assertEquals("ls_fast", config.getString("logshard.lease.keyspace"));
    assertEquals("dev.logshard.persistence.lease.CassandraLease", config.getString("logshard.lease.lease-class"));
    assertEquals("lease-majority", config.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals("logshard.lease", config.getString("pekko.cluster.split-brain-resolver.lease-majority.lease-implementation"));
    assertEquals(1000, config.getDuration("pekko.cluster.split-brain-resolver.stable-after").toMillis());
    assertEquals(250, config.getDuration("pekko.cluster.down-removal-margin").toMillis());

    Config off = CassandraStorage.pluginConfig(base("logshard.cassandra.use-lease = off"));
    assertFalse(off.hasPath("logshard.range-lease"));
    assertFalse(off.hasPath("logshard.coordinator-lease"));
    var e = assertThrows(IllegalArgumentException.class,
        () -> CassandraStorage.pluginConfig(base("logshard.cluster.split-brain-strategy = down-all")));
    assertTrue(e.getMessage().contains("split-brain-strategy"), e.getMessage());
  }
}
