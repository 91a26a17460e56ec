package dev.logshard.http;

import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Input the API refuses: 400, or 413 when it is over a size limit. */
final class BadRequest extends Exception {

  private final boolean tooLarge;

  private BadRequest(boolean tooLarge, String detail) {
    super(detail, null, false, false);
    this.tooLarge = tooLarge;
  }

  static BadRequest of(String detail) {
    return new BadRequest(false, detail);
  }

  static BadRequest tooLarge(String detail) {
    return new BadRequest(true, detail);
  }

  /** The same problem, its detail prefixed with where it was found. */
  BadRequest at(String where) {
    return new BadRequest(tooLarge, where + ": " + getMessage());
  }

  HttpResponse response() {
    return tooLarge ? Problem.tooLarge(getMessage()) : Problem.badRequest(getMessage());
  }
}
