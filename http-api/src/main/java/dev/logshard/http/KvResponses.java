package dev.logshard.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.logshard.core.shard.KvReply;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.ETag;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns a data-path reply (or its failure) into the HTTP response. */
final class KvResponses {

  private static final Logger LOG = LoggerFactory.getLogger(KvResponses.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private KvResponses() {}

  static HttpResponse of(String key, KvReply reply, Throwable failure) {
    if (failure != null) {
      return failure(key, failure);
    }
    if (reply instanceof KvReply.Value v) {
      return HttpResponse.create()
          .withEntity(ContentTypes.APPLICATION_OCTET_STREAM, v.value())
          .addHeader(etag(v.version()));
    }
    if (reply instanceof KvReply.Written w) {
      return json(w.created() ? 201 : 200, JSON.createObjectNode().put("key", key).put("version", w.version()))
          .addHeader(etag(w.version()));
    }
    if (reply instanceof KvReply.Deleted d) {
      return json(200, JSON.createObjectNode().put("key", key).put("version", d.version()).put("deleted", true));
    }
    if (reply instanceof KvReply.NotFound) {
      return Problem.notFound("key '" + key + "' does not exist");
    }
    if (reply instanceof KvReply.PreconditionFailed p) {
      HttpResponse response = Problem.of(
          StatusCodes.PRECONDITION_FAILED, "precondition-failed", "Precondition failed", preconditionDetail(key, p));
      return p.currentVersion() > 0 ? response.addHeader(etag(p.currentVersion())) : response;
    }
    if (reply instanceof KvReply.WrongRange) {
      return Problem.unavailable("the range of key '" + key + "' is moving; retry");
    }
    return internalError(new IllegalStateException("unexpected reply " + reply));
  }

  static String preconditionDetail(String key, KvReply.PreconditionFailed p) {
    return p.currentVersion() == 0
        ? "key '" + key + "' does not exist"
        : "key '" + key + "' is at version " + p.currentVersion();
  }

  static HttpResponse failure(String subject, Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
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

  static HttpResponse json(int status, ObjectNode body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static ObjectNode object() {
    return JSON.createObjectNode();
  }

  /** Any record as a JSON object (Jackson maps record components to fields). */
  static ObjectNode toJson(Object value) {
    return JSON.valueToTree(value);
  }

  private static ETag etag(long version) {
    return ETag.create(EntityTag.create(Long.toString(version), false));
  }
}
