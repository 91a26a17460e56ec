package dev.logshard.persistence;

import com.typesafe.config.Config;

/**
 * A named, separately configured journal + snapshot store. Ranges are placed on log instances;
 * the planner uses the tier ({@code fast}, {@code standard}, …) and the capacity, in bytes and in
 * requests per second (0: unbounded). An instance added at runtime carries its plugins' config
 * ({@code pluginConfig}: journal, snapshot and query at their ids); one from the node's
 * configuration has none (null: its plugins are in the actor system's config).
 */
public record LogInstance(String name, String tier, long capacityBytes, double capacityRequestsPerSecond,
    Config pluginConfig) {

  /** Valid names: lower-case letters, digits and '-', starting with a letter. */
  public static final String NAME = "[a-z][a-z0-9-]{0,62}";

  /** One from the node's configuration. */
  public LogInstance(String name, String tier, long capacityBytes, double capacityRequestsPerSecond) {
    this(name, tier, capacityBytes, capacityRequestsPerSecond, null);
  }

  /** The same instance with its plugins' config. */
  public LogInstance withPluginConfig(Config config) {
    return new LogInstance(name, tier, capacityBytes, capacityRequestsPerSecond, config);
  }

  private static final String PLUGIN_ROOT = "logshard-log-instance.";

  /** Config path of this instance's journal plugin. */
  public String journalPluginId() {
    return PLUGIN_ROOT + name + ".journal";
  }

  /** Config path of this instance's snapshot store plugin. */
  public String snapshotPluginId() {
    return PLUGIN_ROOT + name + ".snapshot";
  }

  /** Config path of this instance's read journal (Persistence Query), used for CDC. */
  public String queryPluginId() {
    return PLUGIN_ROOT + name + ".query";
  }
}
