package dev.logshard.actors.support;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads events and snapshots journaled under a class name LogShard has since moved (the
 * serializer's manifest is the class name): each old name is bound to this migration in
 * {@code reference.conf} ({@code pekko.serialization.jackson.migrations}), and it names the class's
 * new home. The JSON itself is unchanged.
 */
public final class ClassRenames extends JacksonMigration {

  /** Old top-level class → new one; nested classes follow their outer class. */
  private static final Map<String, String> MOVED = Map.of(
      "dev.logshard.actors.RangeShardEvent", "dev.logshard.core.shard.RangeShardEvent",
      "dev.logshard.actors.RangeShardSnapshot", "dev.logshard.core.shard.RangeShardSnapshot",
      "dev.logshard.actors.CoordinatorEvent", "dev.logshard.core.coordinator.CoordinatorEvent",
      "dev.logshard.actors.CoordinatorState", "dev.logshard.core.coordinator.CoordinatorState",
      "dev.logshard.actors.TransferSaga$PhaseReached", "dev.logshard.core.transfer.saga.PhaseReached",
      "dev.logshard.actors.TransferSaga$SagaState", "dev.logshard.core.transfer.saga.SagaState",
      "dev.logshard.actors.ClusterLoad", "dev.logshard.actors.coordinator.ClusterLoad");

  @Override
  public int currentVersion() {
    return 2; // 1: the old name
  }

  @Override
  public String transformClassName(int fromVersion, String className) {
    String moved = MOVED.get(className);
    if (moved != null) {
      return moved;
    }
    int nested = className.indexOf('$');
    if (nested > 0 && MOVED.containsKey(className.substring(0, nested))) {
      return MOVED.get(className.substring(0, nested)) + className.substring(nested);
    }
    return className;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    return json;
  }
}
