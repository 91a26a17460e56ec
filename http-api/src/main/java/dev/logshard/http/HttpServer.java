package dev.logshard.http;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;

/** Binds the API and ties its unbinding to the actor system's coordinated shutdown. */
public final class HttpServer {

  private HttpServer() {}

  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, Route routes, HttpSettings settings) {
    return Http.get(system)
        .newServerAt(settings.host(), settings.port())
        .bind(routes)
        .thenApply(binding -> binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system));
  }
}
