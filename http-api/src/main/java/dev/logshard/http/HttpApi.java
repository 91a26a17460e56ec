package dev.logshard.http;

import dev.logshard.actors.coordinator.Transfers;
import dev.logshard.actors.profiler.ProfilerView;
import dev.logshard.actors.rangeshard.LogShardSettings;
import dev.logshard.actors.routing.KeyValueStore;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.OAuth2BearerToken;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;

/**
 * The node's HTTP API: the data routes ({@link DataRoutes}) under {@code /v1}, the admin routes
 * ({@link TransferRoutes}, {@link ProfilerRoutes}) under {@code /v1/admin}, and health. Every
 * error is an RFC 9457 problem body: rejections, exceptions and timeouts included.
 */
public final class HttpApi extends AllDirectives {

  private final DataRoutes data;
  private final TransferRoutes transfers;
  private final ProfilerRoutes profiler;
  private final BooleanSupplier ready;
  private final AccessTokens tokens;

  public HttpApi(KeyValueStore store, LogShardSettings limits, HttpSettings settings, BooleanSupplier ready) {
    this(store, limits, settings, ready, Optional.empty(), Optional.empty());
  }

  public HttpApi(KeyValueStore store, LogShardSettings limits, HttpSettings settings, BooleanSupplier ready,
      Optional<ProfilerView> profiler, Optional<Transfers> transfers) {
    this.data = new DataRoutes(store, new Inputs(limits), settings);
    this.transfers = new TransferRoutes(transfers, profiler, settings.maxTransfersPerMinute());
    this.profiler = new ProfilerRoutes(profiler);
    this.ready = ready;
    this.tokens = settings.tokens();
  }

  public Route routes() {
    return withRequestTimeoutResponse(request -> Problem.unavailable("the request took too long; retry"),
        () -> handleExceptions(exceptionHandler(), () -> handleRejections(rejectionHandler(), () -> concat(
            pathPrefix("v1", () -> concat(
                pathPrefix("admin", () -> admin(() -> concat(transfers.routes(), profiler.routes()))),
                data(data::routes))),
            pathPrefix("health", () -> concat(
                path("alive", () -> get(() -> complete(Json.response(200, Json.object().put("status", "alive"))))),
                path("ready", () -> get(this::readiness))))))));
  }

  /** The admin routes, behind the admin token when one is set. */
  private Route admin(Supplier<Route> routes) {
    return guarded(tokens.adminProtected(), "logshard-admin", "the admin API", tokens::admits, routes);
  }

  /** The data routes, behind the data token (or the admin one) when one is set. */
  private Route data(Supplier<Route> routes) {
    return guarded(tokens.dataProtected(), "logshard-data", "the data API", tokens::admitsData, routes);
  }

  /** {@code routes} if no token is asked or the right one is sent; else 401 (none sent) or 403 (another). */
  private Route guarded(boolean asks, String realm, String what, Predicate<Optional<String>> admits,
      Supplier<Route> routes) {
    if (!asks) {
      return routes.get();
    }
    return bearer(token -> token.isEmpty()
        ? complete(Problem.unauthorized(realm, what + " needs a token: Authorization: Bearer <token>"))
        : admits.test(token) ? routes.get() : complete(Problem.forbidden("this token does not open " + what)));
  }

  /** The bearer token the request carries, if any (another scheme counts as none). */
  private Route bearer(Function<Optional<String>, Route> inner) {
    return optionalHeaderValueByType(Authorization.class, authorization -> inner.apply(authorization
        .map(Authorization::credentials)
        .filter(OAuth2BearerToken.class::isInstance)
        .map(credentials -> ((OAuth2BearerToken) credentials).token())));
  }

  private Route readiness() {
    return ready.getAsBoolean()
        ? complete(Json.response(200, Json.object().put("status", "ready")))
        : complete(Problem.unavailable("the node has not joined its cluster yet"));
  }

  /** Pekko's own rejection responses (404, 405, 415 …), with their text as a problem body. */
  private static RejectionHandler rejectionHandler() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(response -> {
      if (response.entity() instanceof HttpEntity.Strict strict
          && !strict.getContentType().mediaType().toString().endsWith("problem+json")) {
        String detail = strict.getData().utf8String();
        return Problem.of(response.status(), slug(response.status().intValue()), response.status().reason(), detail)
            .addHeaders(response.getHeaders());
      }
      return response;
    });
  }

  private ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(EntityStreamSizeException.class, e -> complete(
            Problem.tooLarge("the body is larger than the " + e.limit() + " bytes allowed")))
        .matchAny(e -> complete(Json.internalError(e)))
        .build();
  }

  private static String slug(int status) {
    return switch (status) {
      case 404 -> "not-found";
      case 405 -> "method-not-allowed";
      case 413 -> "too-large";
      case 415 -> "unsupported-media-type";
      default -> status < 500 ? "bad-request" : "internal";
    };
  }
}
