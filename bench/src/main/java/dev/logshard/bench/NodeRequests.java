package dev.logshard.bench;

import java.net.URI;
import java.net.http.HttpRequest;

/**
 * Requests the bench tools send to a node, with {@code Authorization: Bearer <token>} when there is
 * a token: by default {@code $LOGSHARD_ADMIN_TOKEN} (the admin token opens the data API too), else
 * {@code $LOGSHARD_DATA_TOKEN} (data requests only then).
 */
public final class NodeRequests {

  private NodeRequests() {}

  /** The token from the environment, or null. */
  public static String environmentToken() {
    String token = System.getenv("LOGSHARD_ADMIN_TOKEN");
    token = token == null || token.isEmpty() ? System.getenv("LOGSHARD_DATA_TOKEN") : token;
    return token == null || token.isEmpty() ? null : token;
  }

  public static HttpRequest.Builder to(URI uri) {
    return to(uri, environmentToken());
  }

  /** {@code token}: null or empty for none. */
  public static HttpRequest.Builder to(URI uri, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri);
    return token == null || token.isEmpty() ? request : request.header("Authorization", "Bearer " + token);
  }
}
