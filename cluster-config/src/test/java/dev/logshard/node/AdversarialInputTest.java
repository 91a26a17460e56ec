package dev.logshard.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A careless or hostile client, over raw sockets, against a real node: malformed HTTP, absurd
 * headers and lengths, bad keys and percent-encodings, broken and huge JSON, bad preconditions,
 * admin bodies of the wrong types, and seeded random mutations of valid requests. Every answer is a
 * 4xx (or a protocol-level refusal: the connection closed without an answer, 501 for a method or
 * 505 for an HTTP version the parser does not know), never another 5xx and never a hang; the node stays ready and what
 * was written before is intact.
 */
class AdversarialInputTest {

  private static final long SEED = 20261130L;
  private static final int MUTATIONS = 400;
  /** A request that gets neither an answer nor a close within this is a hang. */
  private static final int ANSWER_MILLIS = 15_000;

  @TempDir
  static Path dataDir;

  private static LogShardNode node;
  private static int port;

  @BeforeAll
  static void start() {
    node = LogShardNode.start(ConfigFactory.empty()
        .withValue("logshard.http.port", ConfigValueFactory.fromAnyRef(0))
        .withValue("logshard.planner.mode", ConfigValueFactory.fromAnyRef("off"))
        .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString())));
    port = node.httpAddress().getPort();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** The status of the answer, or 0 if the node closed the connection without one. */
  private static int exchange(byte[] request, boolean endInput) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(ANSWER_MILLIS);
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
        if (endInput) {
          socket.shutdownOutput();
        }
      } catch (IOException e) {
        // The node may refuse and close before it has read everything (e.g. a body too large).
      }
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      try {
        for (int b = in.read(); b != -1 && b != '\n' && head.size() < 1024; b = in.read()) {
          head.write(b);
        }
      } catch (SocketTimeoutException e) {
        fail("no answer and no close within " + ANSWER_MILLIS + " ms to: " + preview(request));
      } catch (IOException e) {
        return 0; // reset by the node: refused at the protocol level
      }
      String statusLine = head.toString(StandardCharsets.ISO_8859_1).trim();
      if (statusLine.isEmpty()) {
        return 0;
      }
      String[] parts = statusLine.split(" ");
      assertTrue(parts.length >= 2 && parts[0].startsWith("HTTP/1."), "not an HTTP answer: " + statusLine);
      return Integer.parseInt(parts[1]);
    }
  }

  private static String preview(byte[] request) {
    String text = new String(request, 0, Math.min(request.length, 200), StandardCharsets.ISO_8859_1);
    return text.replace("\r", "\\r").replace("\n", "\\n") + (request.length > 200 ? "… (" + request.length + " bytes)" : "");
  }

  private static byte[] request(String method, String target, List<String> headers, byte[] body) {
    StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    headers.forEach(h -> head.append(h).append("\r\n"));
    if (body != null && headers.stream().noneMatch(h -> h.toLowerCase().startsWith("content-length")
        || h.toLowerCase().startsWith("transfer-encoding"))) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("Connection: close\r\n\r\n");
    byte[] start = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    if (body == null) {
      return start;
    }
    byte[] all = new byte[start.length + body.length];
    System.arraycopy(start, 0, all, 0, start.length);
    System.arraycopy(body, 0, all, start.length, body.length);
    return all;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Fixed hostile requests, each named for the failure message. */
  private static List<byte[]> crafted() {
    List<byte[]> all = new ArrayList<>();
    String deep = "[".repeat(100_000);
    String longKey = "k".repeat(5_000);
    // Malformed HTTP.
    all.add(utf8("GARBAGE\r\n\r\n"));
    all.add(utf8("GET\r\n\r\n"));
    all.add(utf8("GET /v1/kv/a HTTP/9.9\r\nHost: x\r\n\r\n"));
    all.add(utf8("G\u0000T /v1/kv/a HTTP/1.1\r\nHost: x\r\n\r\n"));
    all.add(utf8("GET " + "/v1/kv/" + "a".repeat(70_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    all.add(utf8("PUT /v1/kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nhello"));
    all.add(utf8("PUT /v1/kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nhello"));
    all.add(utf8("PUT /v1/kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\nhello"));
    all.add(utf8("PUT /v1/kv/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"));
    all.add(utf8("PUT /v1/kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"));
    all.add(utf8("PUT /v1/kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, bogus\r\n\r\n0\r\n\r\n"));
    // Absurd headers.
    all.add(request("GET", "/v1/kv/a", List.of("X-Big: " + "v".repeat(200_000)), null));
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      many.add("X-H" + i + ": " + i);
    }
    all.add(request("GET", "/v1/kv/a", many, null));
    all.add(request("GET", "/v1/kv/a", List.of("X-Client-Id: " + "\u00ff".repeat(1000)), null));
    all.add(request("GET", "/v1/admin/transfers", List.of("Authorization: Bearer " + "t".repeat(10_000)), null));
    // Bad keys and percent-encodings.
    for (String key : List.of("%", "%zz", "%C0%AF", "%ED%A0%80", "%FF%FE", longKey, "a/b", "%2F%2F", "%00", "..", "%20")) {
      all.add(request("GET", "/v1/kv/" + key, List.of(), null));
      all.add(request("PUT", "/v1/kv/" + key, List.of(), utf8("v")));
    }
    all.add(request("PUT", "/v1/kv/", List.of(), utf8("v")));
    all.add(request("PUT", "/v1/kv/big", List.of(), new byte[2 * 1024 * 1024])); // above the 1 MiB value limit
    // Bad preconditions.
    for (String h : List.of("If-Match: abc", "If-Match: \"-1\"", "If-Match: \"99999999999999999999999\"", "If-None-Match: \"5\"",
        "If-Match: \"1\", \"2\"", "If-Match: *, \"1\"")) {
      all.add(request("PUT", "/v1/kv/a", List.of(h), utf8("v")));
      all.add(request("DELETE", "/v1/kv/a", List.of(h), null));
    }
    // Broken and huge JSON.
    for (String body : List.of("", "{", "null", "[]", "{\"operations\":5}", "{\"operations\":[{}]}",
        "{\"operations\":[{\"op\":\"put\",\"key\":\"a\",\"value\":\"***\"}]}", "{\"operations\":[{\"op\":\"nope\",\"key\":\"a\"}]}",
        "{\"operations\":[{\"op\":\"get\",\"key\":7}]}", "{\"operations\":[{\"op\":\"put\",\"key\":\"a\",\"value\":\"dg==\",\"ifMatch\":{}}]}",
        "{\"operations\":[" + "{\"op\":\"get\",\"key\":\"a\"},".repeat(5_000) + "{\"op\":\"get\",\"key\":\"a\"}]}",
        deep, "{\"operations\":[{\"op\":\"get\",\"key\":\"" + "\\ud800".repeat(10) + "\"}]}",
        "{\"operations\":[{\"op\":\"get\",\"key\":\"a\"}]} trailing")) {
      all.add(request("POST", "/v1/kv:batch", List.of("Content-Type: application/json"), utf8(body)));
    }
    all.add(request("POST", "/v1/kv:batch", List.of("Content-Type: application/json"), new byte[20 * 1024 * 1024]));
    // Admin bodies of the wrong types.
    for (String body : List.of("", "{", "{\"kind\":5}", "{\"kind\":\"move\",\"range\":[]}", "{\"kind\":\"move\",\"range\":\"r1\",\"toInstance\":7}",
        "{\"kind\":\"split\",\"range\":\"r1\",\"at\":\"x\"}", "{\"kind\":\"split\",\"range\":\"r1\",\"at\":-1}",
        "{\"kind\":\"merge\",\"ranges\":\"r1\"}", "{\"kind\":\"merge\",\"ranges\":[\"r1\",\"r1\"]}", "{\"kind\":\"move\",\"range\":\"r999\"}",
        "{\"kind\":\"move\",\"range\":\"r1\",\"toNode\":\"::::\"}", "{\"kind\":\"move\",\"range\":\"r1\",\"mode\":{}}", deep)) {
      all.add(request("POST", "/v1/admin/transfers", List.of("Content-Type: application/json"), utf8(body)));
    }
    for (String body : List.of("{\"mode\":7}", "{\"mode\":\"warp\"}", "{\"paused\":\"maybe\"}", "[]", deep)) {
      all.add(request("PUT", "/v1/admin/planner", List.of("Content-Type: application/json"), utf8(body)));
    }
    for (String body : List.of("{\"name\":5}", "{\"name\":\"Bad Name!\",\"tier\":\"fast\"}", "{\"name\":\"x\",\"capacityBytes\":\"lots\"}", deep)) {
      all.add(request("POST", "/v1/admin/log-instances", List.of("Content-Type: application/json"), utf8(body)));
    }
    all.add(request("PUT", "/v1/admin/profiler", List.of("Content-Type: application/json"), utf8("{\"recording\":\"yes\"}")));
    all.add(request("GET", "/v1/admin/forecast?range=%zz", List.of(), null));
    all.add(request("GET", "/v1/admin/transfers/" + "t".repeat(5000), List.of(), null));
    all.add(request("DELETE", "/v1/admin/transfers/t-1", List.of(), null));
    all.add(request("GET", "/v1/admin/heatmap?cells=-3", List.of(), null));
    all.add(request("GET", "/v1/admin/hotkeys?limit=99999999999", List.of(), null));
    return all;
  }

  /** A valid request with seeded damage: bytes flipped, cut short, or inserted. */
  private static byte[] mutated(Random random, List<byte[]> valid) {
    byte[] base = valid.get(random.nextInt(valid.size())).clone();
    int kind = random.nextInt(3);
    if (kind == 0) {
      for (int i = 0, n = 1 + random.nextInt(8); i < n; i++) {
        base[random.nextInt(base.length)] = (byte) random.nextInt(256);
      }
      return base;
    }
    if (kind == 1) {
      byte[] cut = new byte[1 + random.nextInt(base.length)];
      System.arraycopy(base, 0, cut, 0, cut.length);
      return cut;
    }
    int at = random.nextInt(base.length);
    byte[] noise = new byte[1 + random.nextInt(64)];
    random.nextBytes(noise);
    byte[] grown = new byte[base.length + noise.length];
    System.arraycopy(base, 0, grown, 0, at);
    System.arraycopy(noise, 0, grown, at, noise.length);
    System.arraycopy(base, at, grown, at + noise.length, base.length - at);
    return grown;
  }

  /**
   * 501 (a method it does not know) and 505 (an HTTP version it does not speak) are the protocol's
   * own refusals of a request line, from the HTTP parser: allowed; any other 5xx is not.
   */
  private static void assertNoServerError(byte[] request, boolean endInput) throws IOException {
    int status = exchange(request, endInput);
    assertTrue(status == 0 || status == 501 || status == 505 || (status >= 200 && status < 500),
        "answered " + status + " to: " + preview(request));
  }

  @Test
  void hostileRequestsGet4xxOrARefusalNeverA5xxOrAHangAndTheDataSurvives() throws Exception {
    // Data written before.
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      String key = "kept-" + i;
      keys.add(key);
      assertEquals(201, exchange(request("PUT", "/v1/kv/" + key, List.of(), utf8("value-" + i)), false));
    }

    for (byte[] hostile : crafted()) {
      assertNoServerError(hostile, true);
    }
    List<byte[]> valid = List.of(
        request("PUT", "/v1/kv/m", List.of("If-Match: *"), utf8("v")),
        request("GET", "/v1/kv/kept-1", List.of(), null),
        request("POST", "/v1/kv:batch", List.of("Content-Type: application/json"),
            utf8("{\"operations\":[{\"op\":\"put\",\"key\":\"m\",\"value\":\""
                + Base64.getEncoder().encodeToString(utf8("x")) + "\"},{\"op\":\"get\",\"key\":\"kept-2\"}]}")),
        request("POST", "/v1/admin/transfers", List.of("Content-Type: application/json"),
            utf8("{\"kind\":\"split\",\"range\":\"r9999\"}")),
        request("PUT", "/v1/admin/planner", List.of("Content-Type: application/json"), utf8("{\"mode\":\"off\"}")));
    Random random = new Random(SEED);
    for (int i = 0; i < MUTATIONS; i++) {
      assertNoServerError(mutated(random, valid), true);
    }

    assertEquals(200, exchange(request("GET", "/health/ready", List.of(), null), false), "the node is still ready");
    var http = java.net.http.HttpClient.newHttpClient();
    for (int i = 0; i < keys.size(); i++) {
      var response = http.send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://127.0.0.1:" + port + "/v1/kv/" + keys.get(i))).GET().build(),
          java.net.http.HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, response.statusCode(), keys.get(i));
      assertArrayEquals(utf8("value-" + i), response.body(), keys.get(i));
    }
  }
}
