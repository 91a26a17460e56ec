package dev.logshard.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.logshard.core.Expectation;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The JSON of {@code POST /v1/kv:batch}.
 *
 * <pre>
 * request:  {"operations": [{"op": "put", "key": "a", "value": "aGk=", "ifMatch": "\"3\""},
 *                           {"op": "get", "key": "b"}, {"op": "delete", "key": "c"}]}
 * response: {"results": [{"status": 200, "version": 4}, {"status": 200, "version": 1, "value": "aGk="},
 *                        {"status": 404, "detail": "..."}]}
 * </pre>
 * Values are base64. {@code ifMatch} / {@code ifNoneMatch} work as the HTTP headers do.
 */
final class BatchJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private BatchJson() {}

  static List<Operation> parse(byte[] body, Inputs inputs) throws BadRequest {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw BadRequest.of("the body is not valid JSON: " + firstLine(e.getMessage()));
    }
    JsonNode operations = root == null ? null : root.get("operations");
    if (operations == null || !operations.isArray()) {
      throw BadRequest.of("the body must be an object with an array \"operations\"");
    }
    if (operations.isEmpty()) {
      throw BadRequest.of("\"operations\" is empty");
    }
    if (operations.size() > inputs.maxBatchOperations()) {
      throw BadRequest.tooLarge("the batch has " + operations.size() + " operations; at most "
          + inputs.maxBatchOperations() + " are allowed");
    }
    List<Operation> result = new ArrayList<>(operations.size());
    for (int i = 0; i < operations.size(); i++) {
      result.add(parseOperation(operations.get(i), "operations[" + i + "]", inputs));
    }
    return result;
  }

  private static Operation parseOperation(JsonNode node, String where, Inputs inputs) throws BadRequest {
    if (!node.isObject()) {
      throw BadRequest.of(where + " must be an object");
    }
    String op = text(node, "op", where);
    String key = text(node, "key", where);
    Expectation expect;
    try {
      inputs.checkKey(key);
      expect = Inputs.expectation(optionalText(node, "ifMatch"), optionalText(node, "ifNoneMatch"));
    } catch (BadRequest e) {
      throw e.at(where);
    }
    switch (op) {
      case "get":
        return Operation.get(key);
      case "delete":
        return Operation.delete(key, expect);
      case "put": {
        byte[] value;
        try {
          value = Base64.getDecoder().decode(text(node, "value", where));
        } catch (IllegalArgumentException e) {
          throw BadRequest.of(where + ".value is not base64: " + e.getMessage());
        }
        if (value.length > inputs.maxValueBytes()) {
          throw BadRequest.tooLarge(where + ".value has " + value.length + " bytes; at most "
              + inputs.maxValueBytes() + " are allowed");
        }
        return Operation.put(key, value, expect);
      }
      default:
        throw BadRequest.of(where + ".op must be \"get\", \"put\" or \"delete\", not \"" + op + "\"");
    }
  }

  private static String text(JsonNode node, String field, String where) throws BadRequest {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw BadRequest.of(where + "." + field + " must be a string");
    }
    return value.asText();
  }

  private static Optional<String> optionalText(JsonNode node, String field) throws BadRequest {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (value.isIntegralNumber()) {
      return Optional.of(value.asText());
    }
    if (!value.isTextual()) {
      throw BadRequest.of(field + " must be a version or \"*\"");
    }
    return Optional.of(value.asText());
  }

  static byte[] render(List<Operation> operations, List<KvReply> replies) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode results = root.putArray("results");
    for (int i = 0; i < replies.size(); i++) {
      ObjectNode r = results.addObject();
      KvReply reply = replies.get(i);
      String key = operations.get(i).key();
      if (reply instanceof KvReply.Value v) {
        r.put("status", 200).put("version", v.version()).put("value", Base64.getEncoder().encodeToString(v.value()));
      } else if (reply instanceof KvReply.Written w) {
        r.put("status", w.created() ? 201 : 200).put("version", w.version());
      } else if (reply instanceof KvReply.Deleted d) {
        r.put("status", 200).put("version", d.version()).put("deleted", true);
      } else if (reply instanceof KvReply.NotFound) {
        r.put("status", 404).put("detail", "key '" + key + "' does not exist");
      } else if (reply instanceof KvReply.PreconditionFailed p) {
        r.put("status", 412).put("currentVersion", p.currentVersion()).put("detail", KvResponses.preconditionDetail(key, p));
      } else if (reply instanceof KvReply.Overloaded) {
        r.put("status", 503).put("type", "urn:logshard:problem:overloaded").put("detail", KvResponses.overloadedDetail(key));
      } else if (reply instanceof KvReply.Unreachable) {
        r.put("status", 503).put("type", "urn:logshard:problem:unavailable").put("detail", KvResponses.unreachableDetail(key));
      } else if (reply instanceof KvReply.TooLarge) {
        r.put("status", 413).put("type", "urn:logshard:problem:too-large").put("detail", "the values this batch reads "
            + "on the range of key '" + key + "' add up to more than one answer between nodes carries "
            + "(logshard.limits.max-batch-bytes-per-range): read this key alone or in a smaller batch");
      } else if (reply instanceof KvReply.NoReply && operations.get(i).kind() != Operation.Kind.GET) {
        r.put("status", 504).put("type", "urn:logshard:problem:outcome-unknown")
            .put("detail", KvResponses.outcomeUnknownDetail(key));
      } else if (reply instanceof KvReply.NoReply) {
        r.put("status", 503).put("detail", "no reply for key '" + key + "' in time; retry");
      } else {
        r.put("status", 503).put("detail", "the range of key '" + key + "' is moving; retry");
      }
    }
    try {
      return JSON.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
