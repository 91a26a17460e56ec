package dev.logshard.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.logshard.actors.coordinator.CoordinatorCommand;
import dev.logshard.actors.coordinator.Transfers;
import dev.logshard.actors.profiler.ProfilerView;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.transfer.TransferProgress;
import dev.logshard.core.transfer.TransferRequest;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Transfers and nodes under {@code /v1/admin}: {@code POST transfers} (202 + id),
 * {@code GET transfers[/{id}]} (progress), {@code DELETE transfers/{id}} (abort: roll back; 409
 * once committed), {@code GET nodes} (the cluster's members and the range generations each runs),
 * {@code GET plan} (the planner's latest rounds and decisions), {@code GET/PUT planner} (its mode) and
 * {@code GET log-instances}, {@code POST log-instances} (add one at runtime), {@code PUT log-instances/{name}}
 * (drain one).
 */
final class TransferRoutes extends RouteSupport {

  private static final String SUBJECT = "the coordinator";

  private final Optional<Transfers> transfers;
  private final Optional<ProfilerView> profiler;
  /** Transfers started through this node's admin API: {@code max-transfers-per-minute}. */
  private final AtomicRateLimiter starts;

  TransferRoutes(Optional<Transfers> transfers, Optional<ProfilerView> profiler, int maxTransfersPerMinute) {
    this.transfers = transfers;
    this.profiler = profiler;
    this.starts = new AtomicRateLimiter("admin-transfers", RateLimiterConfig.custom()
        .limitForPeriod(maxTransfersPerMinute)
        .limitRefreshPeriod(Duration.ofMinutes(1))
        .timeoutDuration(Duration.ZERO)
        .build());
  }

  Route routes() {
    return concat(
        pathPrefix("transfers", () -> withCoordinator(this::transfers)),
        pathPrefix("nodes", () -> withCoordinator(this::nodes)),
        path("plan", () -> get(() -> withCoordinator(() -> json(transfers.get().plan(), SUBJECT)))),
        path("planner", () -> withCoordinator(this::planner)),
        pathPrefix("log-instances", () -> withCoordinator(this::logInstances)));
  }

  /**
   * {@code GET /v1/admin/log-instances}: each instance, its ranges, whether it is drained and can
   * be removed; {@code POST} adds one at runtime (journaled; 201 with the instances, 409 if the name
   * exists); {@code PUT /v1/admin/log-instances/{name}} {@code {"draining": true|false}}: the
   * planner empties it (or no longer).
   */
  private Route logInstances() {
    Transfers coordinator = transfers.get();
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> json(coordinator.logInstances(), SUBJECT)),
            post(() -> body(4096, body -> {
              CoordinatorState.AddedInstance instance;
              try {
                instance = TransferJson.instance(body.toArray());
              } catch (BadRequest e) {
                return complete(e.response());
              }
              return completeWithFuture(coordinator.addLogInstance(instance).handle((added, failure) ->
                  failure != null ? Json.failure(SUBJECT, failure)
                      : added.refusal() == null ? Json.response(201, Json.toJson(added.view()))
                      : added.conflict() ? Problem.conflict(added.refusal()) : Problem.badRequest(added.refusal())));
            })))),
        pathPrefix(segment(), name -> pathEndOrSingleSlash(() -> put(() -> withDraining(draining ->
          completeWithFuture(coordinator.setDraining(name, draining).handle((view, failure) -> {
            Throwable cause = Json.cause(failure);
            return cause instanceof IllegalArgumentException ? Problem.notFound(cause.getMessage())
                : cause != null ? Json.failure(SUBJECT, cause) : Json.response(200, Json.toJson(view));
          })))))));
  }

  /** A body {@code {"draining": true|false}} (400 for any other), handed to {@code inner}. */
  private Route withDraining(Function<Boolean, Route> inner) {
    return body(1024, body -> {
      try {
        return inner.apply(TransferJson.draining(body.toArray()));
      } catch (BadRequest e) {
        return complete(e.response());
      }
    });
  }

  /** {@code GET /v1/admin/planner}: the mode; {@code PUT} {@code {"mode": m}} sets it. */
  private Route planner() {
    Transfers coordinator = transfers.get();
    return concat(
        get(() -> completeWithFuture(coordinator.plan().handle((view, failure) -> failure != null
            ? Json.failure(SUBJECT, failure)
            : Json.response(200, Json.object().put("mode", view.mode()))))),
        put(() -> body(1024, body -> {
          String mode;
          try {
            mode = TransferJson.plannerMode(body.toArray());
          } catch (BadRequest e) {
            return complete(e.response());
          }
          return completeWithFuture(coordinator.setPlannerMode(mode).handle((view, failure) -> failure != null
              ? Json.failure(SUBJECT, failure)
              : Json.response(200, Json.object().put("mode", view.mode()))));
        })));
  }

  private Route withCoordinator(Supplier<Route> inner) {
    return transfers.isEmpty() ? complete(Problem.notFound("this node runs no coordinator")) : inner.get();
  }

  private Route transfers() {
    Transfers coordinator = transfers.get();
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> completeWithFuture(coordinator.list().handle((all, failure) -> failure != null
                ? Json.failure(SUBJECT, failure)
                : Json.response(200, listJson(all))))),
            post(() -> body(64 * 1024, body -> {
              TransferRequest request;
              try {
                request = TransferJson.parse(body.toArray());
              } catch (BadRequest e) {
                return complete(e.response());
              }
              if (!starts.acquirePermission()) {
                long waitSeconds = (starts.getDetailedMetrics().getNanosToWait() + 999_999_999L) / 1_000_000_000L;
                return complete(Problem.tooManyRequests("already " + starts.getRateLimiterConfig().getLimitForPeriod()
                    + " transfers started through this node in the last minute (logshard.admin.max-transfers-per-minute)",
                    waitSeconds));
              }
              return completeWithFuture(withSplitPoint(request)
                  .thenCompose(coordinator::start)
                  .handle(TransferRoutes::startedResponse));
            })))),
        pathPrefix(segment(), id -> pathEndOrSingleSlash(() -> concat(
            get(() -> completeWithFuture(coordinator.get(id).handle((found, failure) -> failure != null
                ? Json.failure(SUBJECT, failure)
                : found.map(p -> Json.response(200, Json.toJson(p)))
                    .orElseGet(() -> Problem.notFound("no transfer '" + id + "'"))))),
            delete(() -> completeWithFuture(coordinator.abort(id).handle((found, failure) -> failure != null
                ? Json.failure(SUBJECT, failure)
                : found.map(TransferRoutes::abortResponse).orElseGet(() -> Problem.notFound("no transfer '" + id + "'")))))))));
  }

  /**
   * A split without a point: the load medians it may be cut at ({@link TransferRequest#atLoadMedian}),
   * this node's profile window's, and only without one the persisted history's.
   */
  private CompletionStage<TransferRequest> withSplitPoint(TransferRequest request) {
    if (!request.needsSplitPoint() || profiler.isEmpty()) {
      return CompletableFuture.completedFuture(request);
    }
    String rangeId = request.rangeIds().get(0);
    ProfilerView view = profiler.get();
    return view.hotKeys(rangeId)
        .handle((hot, failure) -> failure == null && hot != null && hot.found() ? hot.splitPoint() : null)
        .thenCompose(local -> local != null
            ? CompletableFuture.completedFuture(request.atLoadMedian(local, null))
            : view.clusterLoad().handle((cluster, failure) -> request.atLoadMedian(null, failure != null ? null
                : cluster.ranges().stream().filter(r -> r.rangeId().equals(rangeId))
                    .map(r -> r.historySplitPoint()).filter(Objects::nonNull).findFirst().orElse(null))));
  }

  private static HttpResponse startedResponse(CoordinatorCommand.TransferStarted started, Throwable failure) {
    Throwable cause = Json.cause(failure);
    if (cause instanceof IllegalArgumentException) {
      return Problem.badRequest(cause.getMessage());
    }
    if (cause != null) {
      return Json.failure(SUBJECT, cause);
    }
    if (started.transferId() == null) {
      return started.conflict() ? Problem.conflict(started.refusal()) : Problem.badRequest(started.refusal());
    }
    String location = "/v1/admin/transfers/" + started.transferId();
    return Json.response(202, Json.object().put("id", started.transferId()).put("location", location))
        .addHeader(Location.create(location));
  }

  private static HttpResponse abortResponse(TransferProgress progress) {
    if (progress.phase().isEnded() || !progress.phase().canRollBack()) {
      return Problem.conflict("transfer '" + progress.id() + "' is " + progress.phase()
          + "; only a transfer before its commit can be aborted");
    }
    return Json.response(202, Json.toJson(progress));
  }

  private static ObjectNode listJson(List<TransferProgress> all) {
    ObjectNode body = Json.object();
    ArrayNode list = body.putArray("transfers");
    all.forEach(p -> list.add(Json.toJson(p)));
    return body;
  }

  /**
   * {@code GET /v1/admin/nodes}: the members, the generations each runs, whether it is drained and
   * can be removed; {@code PUT /v1/admin/nodes/{host:port}} {@code {"draining": true|false}}: the
   * planner moves every range off it (or no longer).
   */
  private Route nodes() {
    Transfers coordinator = transfers.get();
    return concat(
        pathEndOrSingleSlash(() -> get(() -> completeWithFuture(coordinator.nodeViews().handle(this::nodesJson)))),
        pathPrefix(segment(), node -> pathEndOrSingleSlash(() -> put(() -> withDraining(draining ->
          completeWithFuture(coordinator.setNodeDraining(node, draining).handle((views, failure) ->
              Json.cause(failure) instanceof IllegalArgumentException ? Problem.notFound(Json.cause(failure).getMessage())
                  : nodesJson(views, failure))))))));
  }

  private HttpResponse nodesJson(List<Transfers.NodeView> views, Throwable failure) {
    if (failure != null) {
      return Json.failure("cluster sharding", failure);
    }
    ObjectNode body = Json.object();
    ArrayNode list = body.putArray("nodes");
    for (Transfers.NodeView view : views) {
      ObjectNode n = list.addObject()
          .put("address", view.node().address())
          .put("status", view.node().status())
          .put("self", view.node().self())
          .put("draining", view.draining())
          .put("removable", view.removable());
      view.node().entityIds().forEach(n.putArray("ranges")::add);
      view.node().leases().forEach(n.putArray("leases")::add);
    }
    return Json.response(200, body);
  }
}
