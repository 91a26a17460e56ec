package dev.logshard.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The log instances a node knows, read once from {@code logshard.log-instances}. */
public final class LogInstances {

  private final Map<String, LogInstance> byName;
  private final String initial;
  private final String coordinator;

  private LogInstances(Map<String, LogInstance> byName, String initial, String coordinator) {
    this.byName = Collections.unmodifiableMap(byName);
    this.initial = initial;
    this.coordinator = coordinator;
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
      if (!name.matches("[a-z][a-z0-9-]{0,62}")) {
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

  public List<LogInstance> all() {
    return List.copyOf(byName.values());
  }

  public Optional<LogInstance> byName(String name) {
    return Optional.ofNullable(byName.get(name));
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
