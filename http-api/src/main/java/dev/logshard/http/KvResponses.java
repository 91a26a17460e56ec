package dev.logshard.http;

import dev.logshard.core.shard.KvReply;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.ETag;
import org.apache.pekko.http.javadsl.model.headers.EntityTag;

/** Turns a data-path reply (or its failure) into the HTTP response. */
final class KvResponses {

  private KvResponses() {}

  /** {@code write}: the request was a PUT or DELETE (a timeout then leaves its outcome unknown). */
  static HttpResponse of(String key, boolean write, KvReply reply, Throwable failure) {
    if (failure != null) {
      return write && Json.timedOut(failure) ? outcomeUnknown(key) : Json.failure("key '" + key + "'", failure);
    }
    if (reply instanceof KvReply.Value v) {
      return HttpResponse.create()
          .withEntity(ContentTypes.APPLICATION_OCTET_STREAM, v.value())
          .addHeader(etag(v.version()));
    }
    if (reply instanceof KvReply.Written w) {
      return Json.response(w.created() ? 201 : 200, Json.object().put("key", key).put("version", w.version()))
          .addHeader(etag(w.version()));
    }
    if (reply instanceof KvReply.Deleted d) {
      return Json.response(200, Json.object().put("key", key).put("version", d.version()).put("deleted", true));
    }
    if (reply instanceof KvReply.NotFound) {
      return Problem.notFound("key '" + key + "' does not exist");
    }
    if (reply instanceof KvReply.PreconditionFailed p) {
      HttpResponse response = Problem.of(
          StatusCodes.PRECONDITION_FAILED, "precondition-failed", "Precondition failed", preconditionDetail(key, p));
      return p.currentVersion() > 0 ? response.addHeader(etag(p.currentVersion())) : response;
    }
    if (reply instanceof KvReply.WrongRange || reply instanceof KvReply.HandedOff) {
      return Problem.unavailable("the range of key '" + key + "' is moving; retry");
    }
    if (reply instanceof KvReply.Overloaded) {
      return Problem.overloaded(overloadedDetail(key));
    }
    if (reply instanceof KvReply.Unreachable) {
      return Problem.unavailable(unreachableDetail(key));
    }
    return Json.internalError(new IllegalStateException("unexpected reply " + reply));
  }

  static String overloadedDetail(String key) {
    return "not applied: the range of key '" + key + "' has too many requests queued; retry after a pause";
  }

  static String unreachableDetail(String key) {
    return "not applied: the node running the range of key '" + key + "' is unreachable; retry after a pause "
        + "(its ranges start on the other nodes once the cluster removes it)";
  }

  static String outcomeUnknownDetail(String key) {
    return "no reply for key '" + key + "' in time after it was queued: the write may or may not have been applied; "
        + "read the key to find out";
  }

  private static HttpResponse outcomeUnknown(String key) {
    return Problem.outcomeUnknown(outcomeUnknownDetail(key));
  }

  static String preconditionDetail(String key, KvReply.PreconditionFailed p) {
    return p.currentVersion() == 0
        ? "key '" + key + "' does not exist"
        : "key '" + key + "' is at version " + p.currentVersion();
  }

  private static ETag etag(long version) {
    return ETag.create(EntityTag.create(Long.toString(version), false));
  }
}
