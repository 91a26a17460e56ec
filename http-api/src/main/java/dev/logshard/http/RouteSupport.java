package dev.logshard.http;

import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.util.ByteString;

/** What every group of routes does alike: bounded bodies, checked inputs, a stage's value as JSON. */
abstract class RouteSupport extends AllDirectives {

  /** The request body, refused with 413 before it is read when its declared length is too big. */
  protected Route body(long limit, Function<ByteString, Route> inner) {
    return extractRequestEntity(entity -> {
      OptionalLong length = entity.getContentLengthOption();
      if (length.isPresent() && length.getAsLong() > limit) {
        return complete(Problem.tooLarge("the body has " + length.getAsLong() + " bytes; at most " + limit + " are allowed"));
      }
      return withSizeLimit(limit, () -> entity(Unmarshaller.entityToByteString(), inner));
    });
  }

  /**
   * The same, within the node's {@code budget} of body bytes in flight: a body that does not fit
   * now is refused at once (503, not applied) before it is read; its bytes are given back once the
   * request is answered, whatever the answer.
   */
  protected Route body(long limit, BodyBudget budget, Function<ByteString, Route> inner) {
    return extractRequestEntity(entity -> {
      long bytes = Math.min(limit + 1, entity.getContentLengthOption().orElse(limit));
      if (bytes <= limit && !budget.tryTake(bytes)) {
        return complete(Problem.overloaded("not applied: the node is already reading " + budget.capacity()
            + " bytes of request bodies (logshard.http.max-body-bytes-in-flight); retry after a pause"));
      }
      if (bytes > limit) {
        return body(limit, inner); // refused with 413 without being read
      }
      return whileAnswering(() -> budget.giveBack(bytes), () -> body(limit, inner));
    });
  }

  /** {@code inner}, running {@code done} once its request is answered, whatever the answer. */
  protected Route whileAnswering(Runnable done, Supplier<Route> inner) {
    return mapRouteResultFuture(result -> result.whenComplete((answered, failure) -> done.run()), inner);
  }

  /** Runs a check; its BadRequest becomes the response. */
  protected Route validated(Check check, Supplier<Route> inner) {
    try {
      check.run();
    } catch (BadRequest e) {
      return complete(e.response());
    }
    return inner.get();
  }

  /** The stage's value as a JSON object (200), or its failure ({@code subject} did not answer). */
  protected Route json(CompletionStage<?> stage, String subject) {
    return completeWithFuture(stage.handle((value, failure) -> failure != null
        ? Json.failure(subject, failure)
        : Json.response(200, Json.toJson(value))));
  }

  @FunctionalInterface
  protected interface Check {
    void run() throws BadRequest;
  }
}
