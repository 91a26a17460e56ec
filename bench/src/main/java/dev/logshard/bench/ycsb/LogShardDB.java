package dev.logshard.bench.ycsb;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.logshard.bench.NodeRequests;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.Vector;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;
import site.ycsb.StringByteIterator;

/**
 * YCSB binding for LogShard's HTTP API. A record is one key, {@code <table>:<key>}, whose value is
 * the JSON object of its fields. An update of all the workload's fields ({@code fieldcount} of them,
 * as with {@code writeallfields=true}) is one PUT with {@code If-Match: *} (the record must exist);
 * an update of some fields reads the record and writes it back with {@code If-Match}, retrying on
 * 412, so no field is lost. Scans are not supported (LogShard hashes keys). Properties:
 * {@code logshard.url}, and YCSB's {@code fieldcount} (default 10).
 */
public final class LogShardDB extends DB {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<LinkedHashMap<String, String>> RECORD = new TypeReference<>() {};
  private static final int CAS_ATTEMPTS = 10;

  private static final ExecutorService EXECUTOR = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "logshard-ycsb-http");
    t.setDaemon(true);
    return t;
  });
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().executor(EXECUTOR).connectTimeout(Duration.ofSeconds(5)).build();

  private String url;
  /** The bearer token sent ({@code logshard.token}, else the environment's; null: none). */
  private String token;
  private int fieldCount;
  private final AtomicLong requests = new AtomicLong();

  @Override
  public void init() throws DBException {
    url = getProperties().getProperty("logshard.url", "http://127.0.0.1:8080");
    token = getProperties().getProperty("logshard.token", NodeRequests.environmentToken());
    fieldCount = Integer.parseInt(getProperties().getProperty("fieldcount", "10"));
  }

  /** HTTP requests this instance has sent (what an operation costs the node). */
  public long requestsSent() {
    return requests.get();
  }

  private URI uri(String table, String key) {
    return URI.create(url + "/v1/kv/" + URLEncoder.encode(table + ":" + key, StandardCharsets.UTF_8).replace("+", "%20"));
  }

  @Override
  public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
    try {
      HttpResponse<byte[]> response = send(NodeRequests.to(uri(table, key), token).GET());
      if (response.statusCode() == 404) {
        return Status.NOT_FOUND;
      }
      if (response.statusCode() != 200) {
        return Status.ERROR;
      }
      Map<String, String> record = JSON.readValue(response.body(), RECORD);
      record.forEach((field, value) -> {
        if (fields == null || fields.contains(field)) {
          result.put(field, new StringByteIterator(value));
        }
      });
      return Status.OK;
    } catch (IOException | InterruptedException e) {
      return Status.ERROR;
    }
  }

  @Override
  public Status scan(String table, String startkey, int recordcount, Set<String> fields,
      Vector<HashMap<String, ByteIterator>> result) {
    return Status.NOT_IMPLEMENTED;
  }

  @Override
  public Status update(String table, String key, Map<String, ByteIterator> values) {
    try {
      if (values.size() >= fieldCount) {
        // Every field is replaced: one write, no read. If-Match: * keeps it an update (412: absent).
        Status status = put(table, key, values, "*");
        return status == Status.UNEXPECTED_STATE ? Status.NOT_FOUND : status;
      }
      for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        HttpResponse<byte[]> current = send(NodeRequests.to(uri(table, key), token).GET());
        if (current.statusCode() == 404) {
          return Status.NOT_FOUND;
        }
        if (current.statusCode() != 200) {
          return Status.ERROR;
        }
        Map<String, String> record = JSON.readValue(current.body(), RECORD);
        values.forEach((field, value) -> record.put(field, value.toString()));
        String etag = current.headers().firstValue("ETag").orElseThrow();
        Status status = putRecord(table, key, record, etag);
        if (status != Status.UNEXPECTED_STATE) {
          return status;
        }
      }
      return Status.ERROR;
    } catch (IOException | InterruptedException e) {
      return Status.ERROR;
    }
  }

  @Override
  public Status insert(String table, String key, Map<String, ByteIterator> values) {
    try {
      return put(table, key, values, null);
    } catch (IOException | InterruptedException e) {
      return Status.ERROR;
    }
  }

  @Override
  public Status delete(String table, String key) {
    try {
      int status = send(NodeRequests.to(uri(table, key), token).DELETE()).statusCode();
      return status == 200 ? Status.OK : status == 404 ? Status.NOT_FOUND : Status.ERROR;
    } catch (IOException | InterruptedException e) {
      return Status.ERROR;
    }
  }

  private Status put(String table, String key, Map<String, ByteIterator> values, String etag)
      throws IOException, InterruptedException {
    Map<String, String> record = new LinkedHashMap<>();
    values.forEach((field, value) -> record.put(field, value.toString()));
    return putRecord(table, key, record, etag);
  }

  /** PUTs the record; UNEXPECTED_STATE when {@code If-Match} failed (someone wrote in between). */
  private Status putRecord(String table, String key, Map<String, String> record, String etag)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = NodeRequests.to(uri(table, key), token)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(record)));
    if (etag != null) {
      request.header("If-Match", etag);
    }
    int status = send(request).statusCode();
    return status / 100 == 2 ? Status.OK : status == 412 ? Status.UNEXPECTED_STATE : Status.ERROR;
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    requests.incrementAndGet();
    return CLIENT.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
