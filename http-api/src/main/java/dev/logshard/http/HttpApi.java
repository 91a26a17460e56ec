package dev.logshard.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.logshard.actors.KeyValueStore;
import dev.logshard.core.shard.KvReply;
import dev.logshard.actors.LogShardSettings;
import dev.logshard.core.shard.Operation;
import dev.logshard.actors.CoordinatorCommand;
import dev.logshard.actors.ProfilerView;
import dev.logshard.actors.Nodes;
import dev.logshard.actors.Transfers;
import dev.logshard.core.transfer.TransferKind;
import dev.logshard.core.transfer.TransferProgress;
import dev.logshard.core.transfer.TransferRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.pekko.http.javadsl.model.headers.Location;
import dev.logshard.core.Expectation;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.util.ByteString;

/**
 * LogShard's HTTP API. It only translates: requests to {@link KeyValueStore} calls, replies to
 * responses. Every error is an {@code application/problem+json} body; nothing blocks.
 *
 * <ul>
 *   <li>{@code PUT|GET|DELETE /v1/kv/{key}} (a '/' in a key is sent as %2F)
 *   <li>{@code POST /v1/kv:batch}
 *   <li>{@code GET /v1/ranges}
 *   <li>{@code GET /health/alive}, {@code GET /health/ready}
 * </ul>
 */
public final class HttpApi extends AllDirectives {

  private final KeyValueStore store;
  private final Inputs inputs;
  private final HttpSettings settings;
  private final BooleanSupplier ready;
  private final Optional<ProfilerView> profiler;
  private final Optional<Transfers> transfers;

  public HttpApi(KeyValueStore store, LogShardSettings limits, HttpSettings settings, BooleanSupplier ready) {
    this(store, limits, settings, ready, Optional.empty(), Optional.empty());
  }

  public HttpApi(KeyValueStore store, LogShardSettings limits, HttpSettings settings, BooleanSupplier ready,
      Optional<ProfilerView> profiler, Optional<Transfers> transfers) {
    this.store = store;
    this.inputs = new Inputs(limits);
    this.settings = settings;
    this.ready = ready;
    this.profiler = profiler;
    this.transfers = transfers;
  }

  public Route routes() {
    return withRequestTimeoutResponse(request -> Problem.unavailable("the request took too long; retry"),
        () -> handleExceptions(exceptionHandler(), () -> handleRejections(rejectionHandler(), () -> concat(
        pathPrefix("v1", () -> concat(
            path("kv:batch", () -> post(this::batch)),
            pathPrefix("kv", () -> concat(
                pathEndOrSingleSlash(() -> complete(Problem.badRequest("the key is missing: use /v1/kv/{key}"))),
                pathPrefix(segment(), key -> extractUnmatchedPath(rest -> rest.isEmpty()
                    ? keyRoutes(key)
                    : complete(Problem.badRequest("a key that contains '/' must be sent with it encoded as %2F")))))),
            path("ranges", () -> get(this::ranges)),
            pathPrefix("admin", () -> concat(
                pathPrefix("transfers", this::transfers),
                path("nodes", () -> get(this::nodes)),
                admin())))),
        pathPrefix("health", () -> concat(
            path("alive", () -> get(() -> complete(KvResponses.json(200, KvResponses.object().put("status", "alive"))))),
            path("ready", () -> get(this::readiness))))))));
  }

  private Route keyRoutes(String key) {
    return validated(() -> inputs.checkKey(key), () -> withClientId(client -> concat(
        get(() -> reply(key, store.get(key, client))),
        put(() -> withExpectation(expect -> value(bytes -> reply(key, store.put(key, bytes.toArray(), expect, client))))),
        delete(() -> withExpectation(expect -> reply(key, store.delete(key, expect, client)))))));
  }

  /**
   * The optional {@code X-Client-Id} header, so the profiler can tell which ranges one client
   * uses together; any string, reduced to a number.
   */
  private Route withClientId(Function<Integer, Route> inner) {
    return optionalHeaderValueByName("X-Client-Id", id -> inner.apply(id.map(HttpApi::clientNumber).orElse(KeyValueStore.ANONYMOUS)));
  }

  private static int clientNumber(String id) {
    int n = id.hashCode() & Integer.MAX_VALUE;
    return n == KeyValueStore.ANONYMOUS ? 1 : n;
  }

  private Route reply(String key, CompletionStage<KvReply> stage) {
    return completeWithFuture(stage.handle((reply, failure) -> KvResponses.of(key, reply, failure)));
  }

  private Route withExpectation(Function<Expectation, Route> inner) {
    return optionalHeaderValueByName("If-Match", ifMatch ->
        optionalHeaderValueByName("If-None-Match", ifNoneMatch -> {
          try {
            return inner.apply(Inputs.expectation(ifMatch, ifNoneMatch));
          } catch (BadRequest e) {
            return complete(e.response());
          }
        }));
  }

  /** The request body, refused with 413 before it is read when its declared length is too big. */
  private Route value(Function<ByteString, Route> inner) {
    return body(inputs.maxValueBytes(), inner);
  }

  private Route body(long limit, Function<ByteString, Route> inner) {
    return extractRequestEntity(entity -> {
      OptionalLong length = entity.getContentLengthOption();
      if (length.isPresent() && length.getAsLong() > limit) {
        return complete(Problem.tooLarge("the body has " + length.getAsLong() + " bytes; at most " + limit + " are allowed"));
      }
      return withSizeLimit(limit, () -> entity(Unmarshaller.entityToByteString(), inner));
    });
  }

  private Route batch() {
    return body(settings.maxBatchBody(), body -> {
      List<Operation> operations;
      try {
        operations = BatchJson.parse(body.toArray(), inputs);
      } catch (BadRequest e) {
        return complete(e.response());
      }
      return withClientId(client -> completeWithFuture(store.batch(operations, client).handle((replies, failure) -> failure != null
          ? KvResponses.failure("the batch", failure)
          : HttpResponse.create().withEntity(
              ContentTypes.APPLICATION_JSON, BatchJson.render(operations, replies)))));
    });
  }

  private Route ranges() {
    ShardMap map = store.shardMap();
    ObjectNode body = KvResponses.object().put("epoch", map.epoch());
    ArrayNode ranges = body.putArray("ranges");
    for (RangePlacement p : map.placements()) {
      ranges.addObject()
          .put("id", p.rangeId())
          .put("start", p.range().startString())
          .put("end", p.range().endString())
          .put("generation", p.generation())
          .put("logInstance", p.logInstance())
          .put("entityId", p.entityId());
    }
    return complete(KvResponses.json(200, body));
  }

  /**
   * The profiler's views: {@code /v1/admin/load} (cluster-wide; {@code ?scope=node}: this node's),
   * {@code hotkeys?range=}, {@code heatmap?resolution=}, {@code anomalies}, {@code correlations};
   * and {@code /v1/admin/profiler}: whether this node's request path records (GET, PUT).
   */
  private Route admin() {
    if (profiler.isEmpty()) {
      return complete(Problem.notFound("the profiler is off (logshard.profiler.enabled)"));
    }
    ProfilerView view = profiler.get();
    Route recording = path("profiler", () -> concat(
        get(() -> complete(recordingResponse(view))),
        put(() -> body(1024, body -> {
          try {
            view.setRecording(TransferJson.recording(body.toArray()));
          } catch (BadRequest e) {
            return complete(e.response());
          }
          return complete(recordingResponse(view));
        }))));
    return concat(recording, get(() -> concat(
        path("load", () -> parameterOptional("scope", scope -> switch (scope.orElse("cluster")) {
          case "cluster" -> json(view.clusterLoad());
          case "node" -> json(view.load());
          default -> complete(Problem.badRequest("scope must be cluster or node"));
        })),
        path("anomalies", () -> json(view.anomalies())),
        path("correlations", () -> json(view.correlations())),
        path("hotkeys", () -> parameterOptional("range", range -> range.isEmpty()
            ? complete(Problem.badRequest("give the range: /v1/admin/hotkeys?range=<id> (ids in /v1/ranges)"))
            : completeWithFuture(view.hotKeys(range.get()).handle((hot, failure) -> failure != null
                ? KvResponses.failure("the profiler", failure)
                : hot.found() ? KvResponses.json(200, KvResponses.toJson(hot))
                : Problem.notFound("no range '" + range.get() + "' (ids in /v1/ranges)"))))),
        path("heatmap", () -> parameterOptional("resolution", resolution -> {
          int index = ProfilerView.resolutions().indexOf(resolution.orElse(ProfilerView.resolutions().get(0)));
          return index < 0
              ? complete(Problem.badRequest("resolution must be one of " + ProfilerView.resolutions()))
              : json(view.heatmap(index));
        })))));
  }

  private static HttpResponse recordingResponse(ProfilerView view) {
    return KvResponses.json(200, KvResponses.object().put("recording", view.recording()));
  }

  /** {@code GET /v1/admin/nodes}: the cluster's members and the range generations each runs. */
  private Route nodes() {
    if (transfers.isEmpty()) {
      return complete(Problem.notFound("this node runs no coordinator"));
    }
    return completeWithFuture(transfers.get().nodes().describe().handle((nodes, failure) -> {
      if (failure != null) {
        return KvResponses.failure("cluster sharding", failure);
      }
      ObjectNode body = KvResponses.object();
      ArrayNode list = body.putArray("nodes");
      for (Nodes.Node node : nodes) {
        ObjectNode n = list.addObject()
            .put("address", node.address())
            .put("status", node.status())
            .put("self", node.self());
        node.entityIds().forEach(n.putArray("ranges")::add);
      }
      return KvResponses.json(200, body);
    }));
  }

  /**
   * {@code POST /v1/admin/transfers} (202 + id), {@code GET /v1/admin/transfers[/{id}]} (progress),
   * {@code DELETE /v1/admin/transfers/{id}} (abort: roll back; 409 once committed).
   */
  private Route transfers() {
    if (transfers.isEmpty()) {
      return complete(Problem.notFound("this node runs no coordinator"));
    }
    Transfers coordinator = transfers.get();
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> completeWithFuture(coordinator.list().handle((all, failure) -> failure != null
                ? KvResponses.failure("the coordinator", failure)
                : KvResponses.json(200, listJson(all))))),
            post(() -> body(64 * 1024, body -> {
              TransferRequest request;
              try {
                request = TransferJson.parse(body.toArray());
              } catch (BadRequest e) {
                return complete(e.response());
              }
              return completeWithFuture(withSplitPoint(request)
                  .thenCompose(coordinator::start)
                  .handle((started, failure) -> startedResponse(started, failure)));
            })))),
        pathPrefix(segment(), id -> pathEndOrSingleSlash(() -> concat(
            get(() -> completeWithFuture(coordinator.get(id).handle((found, failure) -> failure != null
                ? KvResponses.failure("the coordinator", failure)
                : found.map(p -> KvResponses.json(200, KvResponses.toJson(p)))
                    .orElseGet(() -> Problem.notFound("no transfer '" + id + "'"))))),
            delete(() -> completeWithFuture(coordinator.abort(id).handle((found, failure) -> failure != null
                ? KvResponses.failure("the coordinator", failure)
                : found.map(HttpApi::abortResponse).orElseGet(() -> Problem.notFound("no transfer '" + id + "'")))))))));
  }

  /**
   * A split without a point cuts at the load median: this node's profile window's when it has one,
   * else the persisted load history's (say right after a restart), else the coordinator's midpoint.
   */
  private CompletionStage<TransferRequest> withSplitPoint(TransferRequest request) {
    if (request.kind() != TransferKind.SPLIT || request.splitAt() != null || profiler.isEmpty()) {
      return CompletableFuture.completedFuture(request);
    }
    String rangeId = request.rangeIds().get(0);
    return profiler.get().hotKeys(rangeId)
        .handle((hot, failure) -> failure == null && hot != null && hot.found() ? hot.splitPoint() : null)
        .thenCompose(local -> local != null
            ? CompletableFuture.completedFuture(local)
            : profiler.get().clusterLoad().handle((view, failure) -> failure != null ? null
                : view.ranges().stream().filter(r -> r.rangeId().equals(rangeId))
                    .map(r -> r.historySplitPoint()).filter(java.util.Objects::nonNull).findFirst().orElse(null)))
        .thenApply(point -> point == null ? request : request.withSplitAt(Long.parseUnsignedLong(point)));
  }

  private static HttpResponse startedResponse(CoordinatorCommand.TransferStarted started, Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof IllegalArgumentException) {
      return Problem.badRequest(cause.getMessage());
    }
    if (cause != null) {
      return KvResponses.failure("the coordinator", cause);
    }
    if (started.transferId() == null) {
      return started.conflict() ? Problem.conflict(started.refusal()) : Problem.badRequest(started.refusal());
    }
    String location = "/v1/admin/transfers/" + started.transferId();
    return KvResponses.json(202, KvResponses.object().put("id", started.transferId()).put("location", location))
        .addHeader(Location.create(location));
  }

  private static HttpResponse abortResponse(TransferProgress progress) {
    if (progress.phase().isEnded() || !progress.phase().canRollBack()) {
      return Problem.conflict("transfer '" + progress.id() + "' is " + progress.phase()
          + "; only a transfer before its commit can be aborted");
    }
    return KvResponses.json(202, KvResponses.toJson(progress));
  }

  private static ObjectNode listJson(List<TransferProgress> all) {
    ObjectNode body = KvResponses.object();
    ArrayNode list = body.putArray("transfers");
    all.forEach(p -> list.add(KvResponses.toJson(p)));
    return body;
  }

  private Route json(CompletionStage<?> stage) {
    return completeWithFuture(stage.handle((value, failure) -> failure != null
        ? KvResponses.failure("the profiler", failure)
        : KvResponses.json(200, KvResponses.toJson(value))));
  }

  private Route readiness() {
    return ready.getAsBoolean()
        ? complete(KvResponses.json(200, KvResponses.object().put("status", "ready")))
        : complete(Problem.unavailable("the node has not joined its cluster yet"));
  }

  /** Runs a check; its BadRequest becomes the response. */
  private Route validated(Check check, Supplier<Route> inner) {
    try {
      check.run();
    } catch (BadRequest e) {
      return complete(e.response());
    }
    return inner.get();
  }

  @FunctionalInterface
  private interface Check {
    void run() throws BadRequest;
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
        .matchAny(e -> complete(KvResponses.internalError(e)))
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
