package dev.logshard.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.logshard.actors.coordinator.ClusterLoad;
import dev.logshard.actors.profiler.ProfilerView;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The profiler's views under {@code /v1/admin}: {@code load} (cluster-wide; {@code ?scope=node}:
 * this node's), {@code hotkeys?range=}, {@code heatmap?resolution=}, {@code anomalies},
 * {@code correlations}, {@code forecast[?range=]} (each range's measured and forecast load and the
 * forecast's error); and {@code profiler}: whether this node's request path records (GET, PUT
 * {@code {"recording": true|false}}). 404 for all of them when the profiler is off.
 */
final class ProfilerRoutes extends RouteSupport {

  private static final String SUBJECT = "the profiler";

  private final Optional<ProfilerView> profiler;

  ProfilerRoutes(Optional<ProfilerView> profiler) {
    this.profiler = profiler;
  }

  Route routes() {
    if (profiler.isEmpty()) {
      return complete(Problem.notFound("the profiler is off (logshard.profiler.enabled)"));
    }
    ProfilerView view = profiler.get();
    return concat(
        path("profiler", () -> concat(
            get(() -> complete(recordingResponse(view))),
            put(() -> body(1024, body -> validated(() -> view.setRecording(recording(body.toArray())),
                () -> complete(recordingResponse(view))))))),
        get(() -> concat(
            path("load", () -> parameterOptional("scope", scope -> switch (scope.orElse("cluster")) {
              case "cluster" -> json(view.clusterLoad(), SUBJECT);
              case "node" -> json(view.load(), SUBJECT);
              default -> complete(Problem.badRequest("scope must be cluster or node"));
            })),
            path("anomalies", () -> json(view.anomalies(), SUBJECT)),
            path("forecast", () -> parameterOptional("range", range -> completeWithFuture(
                view.clusterLoad().handle((load, failure) -> failure != null
                    ? Json.failure(SUBJECT, failure)
                    : forecastResponse(load, range))))),
            path("correlations", () -> json(view.correlations(), SUBJECT)),
            path("hotkeys", () -> parameterOptional("range", range -> range.isEmpty()
                ? complete(Problem.badRequest("give the range: /v1/admin/hotkeys?range=<id> (ids in /v1/ranges)"))
                : completeWithFuture(view.hotKeys(range.get()).handle((hot, failure) -> failure != null
                    ? Json.failure(SUBJECT, failure)
                    : hot.found() ? Json.response(200, Json.toJson(hot))
                    : Problem.notFound("no range '" + range.get() + "' (ids in /v1/ranges)"))))),
            path("heatmap", () -> parameterOptional("resolution", resolution -> {
              int index = ProfilerView.resolutions().indexOf(resolution.orElse(ProfilerView.resolutions().get(0)));
              return index < 0
                  ? complete(Problem.badRequest("resolution must be one of " + ProfilerView.resolutions()))
                  : json(view.heatmap(index), SUBJECT);
            })))));
  }

  /** Each range's (or the one asked for) measured requests per second and its forecast; 404 for an unknown range. */
  private static HttpResponse forecastResponse(ClusterLoad.View load, Optional<String> range) {
    ArrayNode ranges = Json.object().arrayNode();
    for (ClusterLoad.RangeLoad r : load.ranges()) {
      if (range.isEmpty() || range.get().equals(r.rangeId())) {
        ObjectNode one = ranges.addObject().put("range", r.rangeId())
            .put("requestsPerSecond", r.readsPerSecond() + r.writesPerSecond());
        one.set("forecast", Json.toJson(r.forecast()));
      }
    }
    if (range.isPresent() && ranges.isEmpty()) {
      return Problem.notFound("no range '" + range.get() + "' (ids in /v1/ranges)");
    }
    return Json.response(200, range.isPresent() ? (ObjectNode) ranges.get(0) : Json.object().set("ranges", ranges));
  }

  private static HttpResponse recordingResponse(ProfilerView view) {
    return Json.response(200, Json.object().put("recording", view.recording()));
  }

  /** The body of {@code PUT /v1/admin/profiler}: {@code {"recording": true|false}}. */
  static boolean recording(byte[] body) throws BadRequest {
    JsonNode recording = Json.onlyField(body, "recording");
    if (recording == null || !recording.isBoolean()) {
      throw BadRequest.of("the body must be {\"recording\": true} or {\"recording\": false}");
    }
    return recording.asBoolean();
  }
}
