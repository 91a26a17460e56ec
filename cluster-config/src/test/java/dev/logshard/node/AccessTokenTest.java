package dev.logshard.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API behind its bearer token, the data API behind its own, and no open admin API beyond loopback. */
class AccessTokenTest {

  private static final String ADMIN = "admin-7f3c9a";
  private static final String DATA = "data-51be02";

  @TempDir
  Path dataDir;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Config config(String... settings) {
    Config config = ConfigFactory.empty()
        .withValue("logshard.http.port", ConfigValueFactory.fromAnyRef(0))
        .withValue("logshard.planner.mode", ConfigValueFactory.fromAnyRef("off"))
        .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString()));
    for (int i = 0; i < settings.length; i += 2) {
      config = config.withValue(settings[i], ConfigValueFactory.fromAnyRef(settings[i + 1]));
    }
    return config;
  }

  private HttpResponse<String> send(LogShardNode node, String method, String path, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, method.equals("PUT") ? BodyPublishers.ofString("v") : BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertProblem(int status, HttpResponse<String> response) {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
    assertTrue(response.body().contains("\"status\":" + status), response.body());
  }

  @Test
  void theAdminApiAsksForItsTokenAndTheDataApiForNoneUnlessSet() throws Exception {
    try (LogShardNode node = LogShardNode.start(config("logshard.admin.token", ADMIN))) {
      HttpResponse<String> none = send(node, "GET", "/v1/admin/transfers", null);
      assertProblem(401, none);
      assertEquals("Bearer realm=\"logshard-admin\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
      assertProblem(401, send(node, "GET", "/v1/admin/plan", "Basic " + ADMIN));
      assertProblem(403, send(node, "GET", "/v1/admin/transfers", "Bearer " + ADMIN + "x"));
      assertProblem(403, send(node, "POST", "/v1/admin/transfers", "Bearer wrong"));
      assertEquals(200, send(node, "GET", "/v1/admin/transfers", "Bearer " + ADMIN).statusCode());
      assertEquals(200, send(node, "GET", "/v1/admin/log-instances", "Bearer " + ADMIN).statusCode());
      // No data token set: the data API and health answer without one.
      assertEquals(201, send(node, "PUT", "/v1/kv/k", null).statusCode());
      assertEquals(200, send(node, "GET", "/v1/kv/k", null).statusCode());
      assertEquals(200, send(node, "GET", "/health/ready", null).statusCode());
    }
  }

  @Test
  void aDataTokenGuardsTheDataApiAndTheAdminTokenOpensItToo() throws Exception {
    Path file = Files.writeString(dataDir.resolveSibling(dataDir.getFileName() + "-admin-token"), "  " + ADMIN + "\n");
    try (LogShardNode node = LogShardNode.start(config("logshard.admin.token-file", file.toString(),
        "logshard.http.data-token", DATA))) {
      assertProblem(401, send(node, "PUT", "/v1/kv/k", null));
      assertProblem(403, send(node, "GET", "/v1/ranges", "Bearer nope"));
      assertEquals(201, send(node, "PUT", "/v1/kv/k", "Bearer " + DATA).statusCode());
      assertEquals(200, send(node, "GET", "/v1/kv/k", "Bearer " + ADMIN).statusCode());
      // The data token does not open the admin API; the admin token read from the file does.
      assertProblem(403, send(node, "GET", "/v1/admin/transfers", "Bearer " + DATA));
      assertEquals(200, send(node, "GET", "/v1/admin/transfers", "Bearer " + ADMIN).statusCode());
      assertEquals(200, send(node, "GET", "/health/alive", null).statusCode());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void aNodeBoundBeyondLoopbackWithoutAnAdminTokenRefusesToStart() {
    // Refused before anything is bound.
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> LogShardNode.start(config("logshard.http.host", "0.0.0.0")));
    assertTrue(refused.getMessage().contains("LOGSHARD_ADMIN_TOKEN"), refused.getMessage());
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> LogShardNode.start(config("logshard.admin.token-file", dataDir.resolve("missing").toString())));
    assertTrue(empty.getMessage().contains("token-file"), empty.getMessage());
  }
}
