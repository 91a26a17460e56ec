package dev.logshard.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** JSON responses every route uses: bodies, and the failure of a stage as a problem. */
final class Json {

  private static final Logger LOG = LoggerFactory.getLogger(Json.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  /** The value of {@code field} when {@code body} is a JSON object with that one field, else null. */
  static JsonNode onlyField(byte[] body, String field) {
    try {
      JsonNode root = MAPPER.readTree(body);
      return root != null && root.isObject() && root.size() == 1 ? root.get(field) : null;
    } catch (IOException e) {
      return null;
    }
  }

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  /** Any record as a JSON object (Jackson maps record components to fields). */
  static ObjectNode toJson(Object value) {
    return MAPPER.valueToTree(value);
  }

  static HttpResponse response(int status, ObjectNode body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What a stage failed with, unwrapped from the CompletionException that carries it (null: it did not fail). */
  static Throwable cause(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  /** A stage that failed: 503 when {@code subject} did not answer in time, else 500. */
  /** Whether the failure is a timeout (no reply in time). */
  static boolean timedOut(Throwable failure) {
    return cause(failure) instanceof TimeoutException;
  }

  static HttpResponse failure(String subject, Throwable failure) {
    Throwable cause = cause(failure);
    if (cause instanceof TimeoutException) {
      return Problem.unavailable("no reply for " + subject + " in time; the range may be recovering or moving");
    }
    return internalError(cause);
  }

  static HttpResponse internalError(Throwable cause) {
    LOG.error("Request failed", cause);
    return Problem.of(StatusCodes.INTERNAL_SERVER_ERROR, "internal", "Internal error",
        "the request failed inside LogShard; the node log has the details");
  }
}
