package dev.logshard.persistence.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * The actor systems that run the plugins of log instances added at runtime whose plugin reads its
 * settings from its actor system's config only (pekko-persistence-cassandra): one local actor
 * system per such instance, made from the node's config with the instance's block laid over it, and
 * terminated with the node's. The node's plugin ids for the instance forward to it
 * ({@link ForwardingPlugin}, {@link ForwardingReadJournalProvider}); the instance's plugins have the
 * same ids in both systems.
 */
public final class InstanceSystems implements Extension {

  /** Where a forwarding plugin's config carries the instance's own config (its block, at root paths). */
  static final String OWN_CONFIG = "own-system-config";
  /** Where a forwarding plugin's config names its instance. */
  static final String INSTANCE = "instance";

  private static final Id ID = new Id();

  private final ExtendedActorSystem node;
  private final Map<String, ActorSystem> systems = new ConcurrentHashMap<>();

  private InstanceSystems(ExtendedActorSystem node) {
    this.node = node;
  }

  public static InstanceSystems get(ActorSystem system) {
    return ID.get(system);
  }

  /**
   * The plugins' config of a log instance whose journal, snapshot store and query run in a system
   * of their own: at {@code journalId}, {@code snapshotId} and {@code queryId}, forwarders carrying
   * {@code own} (the instance's plugins at the same ids, and whatever else they read from the root).
   */
  public static Config forwarding(String instance, String journalId, String snapshotId, String queryId, Config own) {
    Config carried = ConfigFactory.empty()
        .withValue(INSTANCE, ConfigValueFactory.fromAnyRef(instance))
        .withValue(OWN_CONFIG, own.root());
    return carried.withValue("class", ConfigValueFactory.fromAnyRef(ForwardingPlugin.class.getName()))
        .atPath(journalId)
        .withFallback(carried.withValue("class", ConfigValueFactory.fromAnyRef(ForwardingPlugin.class.getName()))
            .atPath(snapshotId))
        .withFallback(carried.withValue("class", ConfigValueFactory.fromAnyRef(ForwardingReadJournalProvider.class.getName()))
            .atPath(queryId));
  }

  /** The instance's own system, started with its journal and snapshot store the first time. */
  ActorSystem systemFor(Config forwarder, String journalId, String snapshotId) {
    String instance = forwarder.getString(INSTANCE);
    return systems.computeIfAbsent(instance, name -> {
      Config own = forwarder.getConfig(OWN_CONFIG)
          .withValue("pekko.actor.provider", ConfigValueFactory.fromAnyRef("local"))
          .withValue("pekko.extensions", ConfigValueFactory.fromIterable(List.of()))
          .withValue("pekko.coordinated-shutdown.run-by-jvm-shutdown-hook", ConfigValueFactory.fromAnyRef("off"))
          // Started with the system: the keyspace and tables are made now, not at the first write.
          .withValue("pekko.persistence.journal.auto-start-journals", ConfigValueFactory.fromIterable(List.of(journalId)))
          .withValue("pekko.persistence.snapshot-store.auto-start-snapshot-stores",
              ConfigValueFactory.fromIterable(List.of(snapshotId)))
          .withFallback(node.settings().config());
      ActorSystem system = ActorSystem.create(node.name() + "-" + name, own);
      node.registerOnTermination(system::terminate);
      return system;
    });
  }

  private static final class Id extends AbstractExtensionId<InstanceSystems> implements ExtensionIdProvider {
    @Override
    public InstanceSystems createExtension(ExtendedActorSystem system) {
      return new InstanceSystems(system);
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }
}
