package dev.logshard.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;

/** RFC 9457 problem details ({@code application/problem+json}): the body of every error. */
final class Problem {

  static final ContentType.WithFixedCharset CONTENT_TYPE =
      MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8).toContentType();

  private static final ObjectMapper JSON = new ObjectMapper();

  private Problem() {}

  /** A problem response; {@code type} is a short slug, made into {@code urn:logshard:problem:<slug>}. */
  static HttpResponse of(StatusCode status, String type, String title, String detail) {
    ObjectNode body = JSON.createObjectNode()
        .put("type", "urn:logshard:problem:" + type)
        .put("title", title)
        .put("status", status.intValue())
        .put("detail", detail);
    try {
      return HttpResponse.create().withStatus(status).withEntity(CONTENT_TYPE, JSON.writeValueAsBytes(body));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static HttpResponse badRequest(String detail) {
    return of(StatusCodes.BAD_REQUEST, "bad-request", "Bad request", detail);
  }

  static HttpResponse tooLarge(String detail) {
    return of(StatusCodes.CONTENT_TOO_LARGE, "too-large", "Content too large", detail);
  }

  static HttpResponse notFound(String detail) {
    return of(StatusCodes.NOT_FOUND, "not-found", "Not found", detail);
  }

  static HttpResponse conflict(String detail) {
    return of(StatusCodes.CONFLICT, "conflict", "Conflict", detail);
  }

  /** 401 with a Bearer challenge: the endpoint asks for a token and none was sent. */
  static HttpResponse unauthorized(String realm, String detail) {
    return of(StatusCodes.UNAUTHORIZED, "unauthorized", "Unauthorized", detail)
        .addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", realm)));
  }

  /** 403: a token was sent, and it is not the one this endpoint asks for. */
  static HttpResponse forbidden(String detail) {
    return of(StatusCodes.FORBIDDEN, "forbidden", "Forbidden", detail);
  }

  /** 503 with {@code Retry-After}: refused at once because the range's queue is full; not applied. */
  static HttpResponse overloaded(String detail) {
    return of(StatusCodes.SERVICE_UNAVAILABLE, "overloaded", "Overloaded", detail).addHeader(RetryAfter.create(1L));
  }

  /** 504: a write got no reply in time after it was queued; it may or may not have been applied. */
  static HttpResponse outcomeUnknown(String detail) {
    return of(StatusCodes.GATEWAY_TIMEOUT, "outcome-unknown", "Outcome unknown", detail);
  }

  /** 429 with {@code Retry-After}: too many of these requests lately. */
  static HttpResponse tooManyRequests(String detail, long retryAfterSeconds) {
    return of(StatusCodes.TOO_MANY_REQUESTS, "too-many-requests", "Too many requests", detail)
        .addHeader(RetryAfter.create(Math.max(1L, retryAfterSeconds)));
  }

  /** 503 with {@code Retry-After}: the request may well succeed if sent again. */
  static HttpResponse unavailable(String detail) {
    return of(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", detail)
        .addHeader(RetryAfter.create(1L));
  }
}
