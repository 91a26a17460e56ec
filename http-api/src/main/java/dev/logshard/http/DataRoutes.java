package dev.logshard.http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.logshard.actors.routing.KeyValueStore;
import dev.logshard.core.Expectation;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The data path over HTTP: {@code /v1/kv/{key}} (GET, PUT, DELETE with {@code If-Match} /
 * {@code If-None-Match}), {@code /v1/kv:batch}, and the shard map at {@code /v1/ranges}.
 * Translation only: the {@link KeyValueStore} does the work.
 */
final class DataRoutes extends RouteSupport {

  private final KeyValueStore store;
  private final Inputs inputs;
  private final HttpSettings settings;
  /** The node's request body bytes in flight (values and batches). */
  private final BodyBudget budget;
  /** The node's data requests in flight. */
  private final RequestsInFlight inFlight;

  DataRoutes(KeyValueStore store, Inputs inputs, HttpSettings settings) {
    this.store = store;
    this.inputs = inputs;
    this.settings = settings;
    this.budget = new BodyBudget(settings.maxBodyBytesInFlight());
    this.inFlight = new RequestsInFlight(settings.maxRequestsInFlight());
  }

  /** The routes under {@code /v1}. */
  Route routes() {
    return concat(
        path("kv:batch", () -> post(() -> admitted(this::batch))),
        pathPrefix("kv", () -> admitted(() -> concat(
            pathEndOrSingleSlash(() -> complete(Problem.badRequest("the key is missing: use /v1/kv/{key}"))),
            pathPrefix(segment(), key -> extractUnmatchedPath(rest -> rest.isEmpty()
                ? keyRoutes(key)
                : complete(Problem.badRequest("a key that contains '/' must be sent with it encoded as %2F"))))))),
        path("ranges", () -> get(this::ranges)));
  }

  /**
   * {@code inner} if the node serves fewer than {@code logshard.http.max-requests-in-flight} data
   * requests now, counted until it is answered; else refused at once (503, not applied).
   */
  private Route admitted(Supplier<Route> inner) {
    if (!inFlight.bounded()) {
      return inner.get(); // the default: nothing counted on the request path
    }
    if (!inFlight.tryEnter()) {
      return complete(Problem.overloaded("not applied: the node is already serving " + inFlight.bound()
          + " requests (logshard.http.max-requests-in-flight); retry after a pause"));
    }
    return whileAnswering(inFlight::exit, inner);
  }

  private Route keyRoutes(String key) {
    return validated(() -> inputs.checkKey(key), () -> withClientId(client -> concat(
        get(() -> reply(key, false, store.get(key, client))),
        put(() -> withExpectation(expect -> body(inputs.maxValueBytes(), budget,
            bytes -> reply(key, true, store.put(key, bytes.toArray(), expect, client))))),
        delete(() -> withExpectation(expect -> reply(key, true, store.delete(key, expect, client)))))));
  }

  /**
   * The optional {@code X-Client-Id} header, so the profiler can tell which ranges one client
   * uses together; any string, reduced to a number.
   */
  private Route withClientId(Function<Integer, Route> inner) {
    return optionalHeaderValueByName("X-Client-Id",
        id -> inner.apply(id.map(DataRoutes::clientNumber).orElse(KeyValueStore.ANONYMOUS)));
  }

  private static int clientNumber(String id) {
    int n = id.hashCode() & Integer.MAX_VALUE;
    return n == KeyValueStore.ANONYMOUS ? 1 : n;
  }

  private Route reply(String key, boolean write, CompletionStage<KvReply> stage) {
    return completeWithFuture(stage.handle((reply, failure) -> KvResponses.of(key, write, reply, failure)));
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

  private Route batch() {
    return body(settings.maxBatchBody(), budget, body -> {
      List<Operation> operations;
      try {
        operations = BatchJson.parse(body.toArray(), inputs);
        inputs.checkRangeParts(operations, store.shardMap());
      } catch (BadRequest e) {
        return complete(e.response());
      }
      return withClientId(client -> completeWithFuture(store.batch(operations, client).handle((replies, failure) -> failure != null
          ? Json.failure("the batch", failure)
          : HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, BatchJson.render(operations, replies)))));
    });
  }

  private Route ranges() {
    ShardMap map = store.shardMap();
    ObjectNode body = Json.object().put("epoch", map.epoch());
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
    return complete(Json.response(200, body));
  }
}
