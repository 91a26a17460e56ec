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

  static HttpResponse of(String key, KvReply reply, Throwable failure) {
    if (failure != null) {
      return Json.failure(key, failure);
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
    if (reply instanceof KvReply.WrongRange) {
      return Problem.unavailable("the range of key '" + key + "' is moving; retry");
    }
    return Json.internalError(new IllegalStateException("unexpected reply " + reply));
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
