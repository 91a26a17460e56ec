package dev.logshard.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logshard.core.planner.PlannerSettings;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.transfer.TransferKind;
import dev.logshard.core.transfer.TransferRequest;
import dev.logshard.persistence.LogInstance;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The body of {@code POST /v1/admin/transfers}:
 * {@code {"kind":"move","range":"r3","toInstance":"fast"}},
 * {@code {"kind":"split","range":"r3","at":"<hash>"}} ({@code at} optional: the profiler's load
 * median, else the midpoint), {@code {"kind":"merge","ranges":["r3","r4"]}}; any of them may name
 * {@code "toInstance"}, {@code "toNode"} (in a cluster: the node to run the destinations on, as
 * {@code host:port} of its cluster port, see {@code /v1/admin/nodes}), {@code "mode":"stop-and-copy"}
 * (the naive baseline, for benchmarks) and, with fault injection on, {@code "fault"}.
 */
final class TransferJson {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> FIELDS = Set.of("kind", "range", "ranges", "toInstance", "toNode", "at", "fault", "mode");
  private static final Set<String> INSTANCE_FIELDS = Set.of("name", "tier", "capacityBytes", "capacityRequestsPerSecond");

  private TransferJson() {}

  /** The body of {@code PUT /v1/admin/planner}: {@code {"mode": m}}, m one of {@link PlannerSettings#MODES}. */
  static String plannerMode(byte[] body) throws BadRequest {
    JsonNode mode = Json.onlyField(body, "mode");
    if (mode == null || !mode.isTextual() || !PlannerSettings.MODES.contains(mode.asText())) {
      throw BadRequest.of("the body must be {\"mode\": m}, m one of " + String.join(", ", PlannerSettings.MODES));
    }
    return mode.asText();
  }

  /** The body of {@code PUT /v1/admin/log-instances/{name}}: {@code {"draining": true|false}}. */
  static boolean draining(byte[] body) throws BadRequest {
    JsonNode draining = Json.onlyField(body, "draining");
    if (draining == null || !draining.isBoolean()) {
      throw BadRequest.of("the body must be {\"draining\": true} or {\"draining\": false}");
    }
    return draining.asBoolean();
  }

  /**
   * The body of {@code POST /v1/admin/log-instances}: {@code {"name": "standard-2", "tier":
   * "standard", "capacityBytes": 0, "capacityRequestsPerSecond": 0}} (capacities optional, 0:
   * unbounded).
   */
  static CoordinatorState.AddedInstance instance(byte[] body) throws BadRequest {
    JsonNode root = object(body, INSTANCE_FIELDS, "{\"name\":\"standard-2\",\"tier\":\"standard\"}");
    String name = text(root, "name");
    if (name == null || !name.matches(LogInstance.NAME)) {
      throw BadRequest.of("'name' must be lower-case letters, digits and '-', starting with a letter (at most 63), not "
          + (name == null ? "missing" : "'" + name + "'"));
    }
    String tier = text(root, "tier");
    if (tier == null || !tier.matches(LogInstance.NAME)) {
      throw BadRequest.of("'tier' (fast, standard, …) must be lower-case letters, digits and '-', not "
          + (tier == null ? "missing" : "'" + tier + "'"));
    }
    return new CoordinatorState.AddedInstance(name, tier, (long) capacity(root, "capacityBytes", true),
        capacity(root, "capacityRequestsPerSecond", false));
  }

  private static double capacity(JsonNode root, String field, boolean whole) throws BadRequest {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return 0;
    }
    if (!node.isNumber() || node.asDouble() < 0 || (whole && !node.canConvertToLong())) {
      throw BadRequest.of("'" + field + "' must be " + (whole ? "a whole number" : "a number") + " >= 0 (0: unbounded)");
    }
    return node.asDouble();
  }

  static TransferRequest parse(byte[] body) throws BadRequest {
    JsonNode root = object(body, FIELDS, "{\"kind\":\"move\",\"range\":\"r3\",\"toInstance\":\"fast\"}");
    TransferKind kind;
    String kindText = text(root, "kind");
    if (kindText == null) {
      throw BadRequest.of("'kind' is missing: move, split or merge");
    }
    try {
      kind = TransferKind.valueOf(kindText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw BadRequest.of("'kind' must be move, split or merge, not '" + kindText + "'");
    }
    List<String> ranges = new ArrayList<>();
    if (kind == TransferKind.MERGE) {
      JsonNode list = root.get("ranges");
      if (list == null || !list.isArray() || list.size() != 2 || !list.get(0).isTextual() || !list.get(1).isTextual()) {
        throw BadRequest.of("merge takes 'ranges': two adjacent range ids, e.g. [\"r3\",\"r4\"]");
      }
      ranges.add(list.get(0).asText());
      ranges.add(list.get(1).asText());
    } else {
      String range = text(root, "range");
      if (range == null) {
        throw BadRequest.of(kind.name().toLowerCase(Locale.ROOT) + " takes 'range': a range id (see /v1/ranges)");
      }
      ranges.add(range);
    }
    String toInstance = text(root, "toInstance");
    String toNode = text(root, "toNode");
    if (kind == TransferKind.MOVE && toInstance == null && toNode == null) {
      throw BadRequest.of("move takes 'toInstance' (the log instance to move the range to), 'toNode' (the node), or both");
    }
    if (toNode != null && !toNode.matches("[^:/@\\s]+:\\d{1,5}")) {
      throw BadRequest.of("'toNode' must be host:port of a node's cluster port (see /v1/admin/nodes), not '" + toNode + "'");
    }
    Long at = null;
    String atText = text(root, "at");
    if (atText != null) {
      if (kind != TransferKind.SPLIT) {
        throw BadRequest.of("'at' is for split only");
      }
      try {
        at = Long.parseUnsignedLong(atText);
      } catch (NumberFormatException e) {
        throw BadRequest.of("'at' must be a hash: an unsigned 64-bit decimal string, not '" + atText + "'");
      }
    }
    String fault = text(root, "fault");
    if (fault != null && !fault.matches("(fail|crash):[A-Z_]+")) {
      throw BadRequest.of("'fault' must be fail:<PHASE> or crash:<PHASE>");
    }
    String mode = text(root, "mode");
    if (mode != null && !mode.equals("live") && !mode.equals("stop-and-copy")) {
      throw BadRequest.of("'mode' must be live (the default) or stop-and-copy (the naive baseline)");
    }
    return new TransferRequest(kind, ranges, toInstance, at, fault, "stop-and-copy".equals(mode), toNode);
  }

  /** The body as a JSON object with only {@code fields}. */
  private static JsonNode object(byte[] body, Set<String> fields, String example) throws BadRequest {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw BadRequest.of("the body is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw BadRequest.of("the body is not JSON");
    }
    if (root == null || !root.isObject()) {
      throw BadRequest.of("the body must be a JSON object such as " + example);
    }
    for (var names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!fields.contains(name)) {
        throw BadRequest.of("unknown field '" + name + "'; allowed: " + fields.stream().sorted().toList());
      }
    }
    return root;
  }

  private static String text(JsonNode root, String field) throws BadRequest {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw BadRequest.of("'" + field + "' must be a string");
    }
    return node.asText();
  }
}
