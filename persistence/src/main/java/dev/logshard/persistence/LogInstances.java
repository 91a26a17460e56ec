package dev.logshard.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The log instances a node knows: those of {@code logshard.log-instances}, read once, and those
 * added at runtime ({@link #register}: the Coordinator journals them; a node learns one when it
 * first runs a range on it), whose storage a {@link RuntimeStorage} prepares. Thread-safe.
 */
public final class LogInstances {

  /** Prepares the storage of an instance added at runtime and gives its plugins' config. */
  public interface RuntimeStorage {
    /** Idempotent: the instance may have been prepared before (at an earlier start). */
    Config prepare(LogInstance instance);
  }

  private final Map<String, LogInstance> byName;
  private final Map<String, LogInstance> added = new ConcurrentHashMap<>();
  private final String initial;
  private final String coordinator;
  private volatile RuntimeStorage storage;
  private volatile Function<LogInstance, Map<String, Long>> storageStats = instance -> Map.of();

  private LogInstances(Map<String, LogInstance> byName, String initial, String coordinator) {
    this.byName = Collections.unmodifiableMap(byName);
    this.initial = initial;
    this.coordinator = coordinator;
  }

  /** How this node prepares instances added at runtime (none: it cannot take them). */
  public LogInstances withRuntimeStorage(RuntimeStorage storage) {
    this.storage = storage;
    return this;
  }

  /**
   * Makes an instance added at runtime known here, preparing its storage the first time; a name
   * already known is left as it is.
   *
   * @throws IllegalStateException if this node has no storage for instances added at runtime
   */
  public LogInstance register(String name, String tier, long capacityBytes, double capacityRequestsPerSecond) {
    LogInstance known = byName.get(name);
    if (known != null) {
      return known;
    }
    return added.computeIfAbsent(name, n -> {
      RuntimeStorage prepares = storage;
      if (prepares == null) {
        throw new IllegalStateException("log instance '" + name + "' was added at runtime, and this node's storage "
            + "takes log instances only from its configuration (logshard.log-instances)");
      }
      LogInstance instance = new LogInstance(name, tier, capacityBytes, capacityRequestsPerSecond);
      return instance.withPluginConfig(prepares.prepare(instance));
    });
  }

  /**
   * What this node's storage engine tells of an instance it has open (space, memtables, compactions,
   * stalls; empty where the engine tells nothing or the instance is not open here).
   */
  public LogInstances withStorageStats(Function<LogInstance, Map<String, Long>> stats) {
    this.storageStats = stats;
    return this;
  }

  /** The engine's statistics of the instance named {@code name} (empty if none). */
  public Map<String, Long> storageStats(String name) {
    return byName(name).map(storageStats).orElse(Map.of());
  }

  /** Whether instances can be added at runtime on this node. */
  public boolean takesRuntimeInstances() {
    return storage != null;
  }

  public static LogInstances fromConfig(Config config) {
    ConfigObject instances = config.getObject("logshard.log-instances");
    if (instances.isEmpty()) {
      throw new IllegalArgumentException("logshard.log-instances names no log instance");
    }
    Map<String, LogInstance> byName = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(instances.keySet());
    Collections.sort(names);
    for (String name : names) {
      if (!name.matches(LogInstance.NAME)) {
        throw new IllegalArgumentException(
            "log instance name '" + name + "' must be lower-case letters, digits and '-'");
      }
      Config c = instances.toConfig().getConfig(name);
      byName.put(name, new LogInstance(name, c.getString("tier"), c.getBytes("capacity"),
          c.hasPath("capacity-requests-per-second") ? c.getDouble("capacity-requests-per-second") : 0));
    }
    String initial = config.getString("logshard.initial-log-instance");
    if (!byName.containsKey(initial)) {
      throw new IllegalArgumentException(
          "logshard.initial-log-instance '" + initial + "' is not one of " + byName.keySet());
    }
    String coordinator = config.getString("logshard.coordinator-log-instance");
    if (coordinator.isEmpty()) {
      coordinator = initial;
    }
    if (!byName.containsKey(coordinator)) {
      throw new IllegalArgumentException(
          "logshard.coordinator-log-instance '" + coordinator + "' is not one of " + byName.keySet());
    }
    return new LogInstances(byName, initial, coordinator);
  }

  /** The configured instances, then those added at runtime that this node knows. */
  public List<LogInstance> all() {
    List<LogInstance> all = new ArrayList<>(byName.values());
    added.values().stream().sorted(Comparator.comparing(LogInstance::name)).forEach(all::add);
    return List.copyOf(all);
  }

  /** The instances of {@code logshard.log-instances}. */
  public List<LogInstance> configured() {
    return List.copyOf(byName.values());
  }

  public Optional<LogInstance> byName(String name) {
    LogInstance known = byName.get(name);
    return Optional.ofNullable(known != null ? known : added.get(name));
  }

  public LogInstance get(String name) {
    return byName(name)
        .orElseThrow(() -> new IllegalArgumentException("unknown log instance '" + name + "'"));
  }

  /** The instance that journals the Coordinator and the Transfer sagas. */
  public LogInstance coordinator() {
    return byName.get(coordinator);
  }

  /** The instance that holds every range at a node's first start. */
  public LogInstance initial() {
    return byName.get(initial);
  }
}
