package dev.logshard.persistence;

/**
 * A named, separately configured journal + snapshot store. Ranges are placed on log instances;
 * the planner uses the tier ({@code fast}, {@code standard}, …) and the capacity, in bytes and in
 * requests per second (0: unbounded).
 */
public record LogInstance(String name, String tier, long capacityBytes, double capacityRequestsPerSecond) {

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
