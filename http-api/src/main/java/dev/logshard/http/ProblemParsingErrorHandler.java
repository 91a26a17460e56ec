package dev.logshard.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests that cannot even be parsed (a bad URI, a malformed header) with a problem
 * body, like every other error. Pekko HTTP calls it before any route sees the request; it is
 * named in {@code pekko.http.server.parsing.error-handler}.
 */
public final class ProblemParsingErrorHandler extends ParsingErrorHandler {

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    String detail = info.summary().isEmpty() ? status.reason() : info.summary();
    return Problem.of(status, status.intValue() == 431 || status.intValue() == 414 || status.intValue() == 413
        ? "too-large" : "bad-request", status.reason(), detail);
  }
}
