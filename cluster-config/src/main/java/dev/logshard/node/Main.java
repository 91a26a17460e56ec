package dev.logshard.node;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.logshard.cassandra.CassandraCluster;
import dev.logshard.cassandra.CassandraServer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** {@code logshard}: starts a node, or talks to one over HTTP. */
@Command(
    name = "logshard",
    mixinStandardHelpOptions = true,
    version = "LogShard 0.1.0",
    description = "Sharded, event-sourced key-value log store.",
    subcommands = {
      Main.Start.class, Main.Cassandra.class, Main.Put.class, Main.Get.class, Main.Delete.class, Main.Ranges.class
    })
public final class Main {

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Command(name = "start", description = "Start a node (embedded, durable storage in --data-dir).")
  static final class Start implements Callable<Integer> {

    @Option(names = "--host", description = "Interface for the HTTP API (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "HTTP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = 8080;

    @Option(names = "--data-dir", description = "Where the node stores its data (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("data");

    @Option(names = "--mode", description = "embedded (RocksDB in --data-dir) or cluster (Cassandra; default: ${DEFAULT-VALUE}).")
    String mode = "embedded";

    @Option(names = "--cassandra", split = ",", paramLabel = "HOST:PORT",
        description = "Cluster mode: Cassandra contact points (default: 127.0.0.1:9042).")
    List<String> cassandra = List.of();

    @Option(names = "--cluster-port", description = "Port for the other nodes (Pekko remoting); 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int clusterPort = 0;

    @Option(names = "--seed", split = ",", paramLabel = "HOST:PORT",
        description = "Cluster port of a node to join; none: start a new cluster.")
    List<String> seeds = List.of();

    @Option(names = "--move-coordinator-journal", description = "Embedded mode: first move the Coordinator's journal "
        + "(the map) to logshard.coordinator-log-instance from the log instance that holds it.")
    boolean moveCoordinatorJournal;

    @Override
    public Integer call() {
      var overrides = ConfigFactory.empty()
          .withValue("logshard.http.host", ConfigValueFactory.fromAnyRef(host))
          .withValue("logshard.http.port", ConfigValueFactory.fromAnyRef(port))
          .withValue("logshard.data-dir", ConfigValueFactory.fromAnyRef(dataDir.toString()))
          .withValue("logshard.mode", ConfigValueFactory.fromAnyRef(mode))
          .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(clusterPort))
          .withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(
              seeds.stream().map(seed -> "pekko://logshard@" + seed).toList()));
      if (moveCoordinatorJournal) {
        overrides = overrides.withValue("logshard.move-coordinator-journal", ConfigValueFactory.fromAnyRef(true));
      }
      if (!cassandra.isEmpty()) {
        overrides = overrides.withValue("logshard.cassandra.contact-points", ConfigValueFactory.fromIterable(cassandra));
      }
      LogShardNode node;
      try {
        node = LogShardNode.start(overrides);
      } catch (RuntimeException e) {
        System.err.println("logshard: " + e.getMessage());
        return 1;
      }
      var address = node.httpAddress();
      System.out.println("LogShard listening on http://" + address.getHostString() + ":" + address.getPort()
          + " (" + node.describeStorage() + ", cluster port " + node.clusterPort() + ")");
      System.out.flush();
      node.whenTerminated().join();
      return 0;
    }
  }

  @Command(name = "cassandra", description = "Run a local Apache Cassandra 5.0 for cluster mode (Ctrl-C stops it).")
  static final class Cassandra implements Callable<Integer> {

    @Option(names = "--data-dir", description = "Where Cassandra stores its data (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of("data", "cassandra");

    @Option(names = "--port", description = "CQL port (default: ${DEFAULT-VALUE}).")
    int port = 9042;

    @Option(names = "--storage-port", description = "Cassandra's internode port (default: ${DEFAULT-VALUE}).")
    int storagePort = 7000;

    @Option(names = "--heap", description = "Cassandra's heap, per node (default: ${DEFAULT-VALUE}).")
    String heap = "1g";

    @Option(names = "--nodes", description = "Cassandra nodes, on 127.0.0.1, 127.0.0.2, … with the same ports, "
        + "each in <data-dir>/nodeN (default: ${DEFAULT-VALUE}; 3 lets keyspaces of replication factor 3 lose a node).")
    int nodes = 1;

    @Override
    public Integer call() throws InterruptedException {
      List<CassandraServer> servers;
      try {
        servers = nodes == 1
            ? List.of(CassandraServer.start(new CassandraServer.Settings(dataDir, port, storagePort, heap, Duration.ofMinutes(3))))
            : CassandraCluster.start(dataDir, nodes, port, storagePort, heap, Duration.ofMinutes(3)).nodes();
      } catch (RuntimeException e) {
        System.err.println("logshard cassandra: " + e.getMessage());
        return 1;
      }
      String contactPoints = String.join(",", servers.stream().map(CassandraServer::contactPoint).toList());
      for (CassandraServer server : servers) {
        System.out.println("Cassandra serving CQL on " + server.contactPoint() + " (data: " + server.settings().dataDir()
            + ", pid " + server.pid() + ")");
      }
      System.out.println("start nodes with: " + (nodes >= 3 ? "LOGSHARD_JAVA_OPTS=-Dlogshard.cassandra.replication-factor=3 " : "")
          + "logshard start --mode cluster --cassandra " + contactPoints);
      System.out.flush();
      // Ctrl-C runs the JVM's shutdown hooks, and each server's stops its Cassandra gracefully.
      boolean clean = true;
      for (CassandraServer server : servers) {
        clean &= server.awaitExit() == 0;
      }
      return clean ? 0 : 1;
    }
  }

  /** Options of every client command. */
  abstract static class ClientCommand implements Callable<Integer> {

    @Option(names = "--url", description = "Node to talk to (default: $LOGSHARD_URL or ${DEFAULT-VALUE}).",
        defaultValue = "${env:LOGSHARD_URL:-http://127.0.0.1:8080}")
    String url;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Sends with {@code Authorization: Bearer} $LOGSHARD_DATA_TOKEN, else $LOGSHARD_ADMIN_TOKEN, when set. */
    HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException, InterruptedException {
      String token = System.getenv("LOGSHARD_DATA_TOKEN");
      token = token == null || token.isEmpty() ? System.getenv("LOGSHARD_ADMIN_TOKEN") : token;
      if (token != null && !token.isEmpty()) {
        request.header("Authorization", "Bearer " + token);
      }
      return client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    URI keyUri(String key) {
      // A path segment: percent-encode everything but unreserved characters (also '/', as %2F).
      return URI.create(url + "/v1/kv/" + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20"));
    }

    /** Prints the body (to stdout if 2xx, else stderr) and turns the status into an exit code. */
    int report(HttpResponse<byte[]> response) throws IOException {
      boolean ok = response.statusCode() / 100 == 2;
      var out = ok ? System.out : System.err;
      out.write(response.body());
      if (response.body().length > 0 && response.body()[response.body().length - 1] != '\n') {
        out.println();
      }
      out.flush();
      return ok ? 0 : response.statusCode() == 404 ? 4 : 2;
    }
  }

  @Command(name = "put", description = "Store a value under a key.")
  static final class Put extends ClientCommand {

    @Parameters(index = "0", description = "The key.")
    String key;

    @Parameters(index = "1", arity = "0..1", description = "The value (or use --file).")
    String value;

    @Option(names = {"-f", "--file"}, description = "Read the value from this file ('-' for stdin).")
    Path file;

    @Option(names = "--if-match", description = "Only if the key is at this version (compare-and-set).")
    Long ifMatch;

    @Override
    public Integer call() throws Exception {
      byte[] body;
      if (file != null) {
        body = file.toString().equals("-") ? System.in.readAllBytes() : Files.readAllBytes(file);
      } else if (value != null) {
        body = value.getBytes(StandardCharsets.UTF_8);
      } else {
        System.err.println("logshard put: give a value or --file");
        return 2;
      }
      var request = HttpRequest.newBuilder(keyUri(key)).PUT(HttpRequest.BodyPublishers.ofByteArray(body));
      if (ifMatch != null) {
        request.header("If-Match", "\"" + ifMatch + "\"");
      }
      return report(send(request));
    }
  }

  @Command(name = "get", description = "Print the value of a key (its version goes to stderr).")
  static final class Get extends ClientCommand {

    @Parameters(index = "0", description = "The key.")
    String key;

    @Override
    public Integer call() throws Exception {
      var response = send(HttpRequest.newBuilder(keyUri(key)).GET());
      if (response.statusCode() == 200) {
        System.err.println("version " + response.headers().firstValue("ETag").orElse("?"));
        System.out.write(response.body());
        System.out.flush();
        return 0;
      }
      return report(response);
    }
  }

  @Command(name = "delete", description = "Delete a key.")
  static final class Delete extends ClientCommand {

    @Parameters(index = "0", description = "The key.")
    String key;

    @Override
    public Integer call() throws Exception {
      return report(send(HttpRequest.newBuilder(keyUri(key)).DELETE()));
    }
  }

  @Command(name = "ranges", description = "Print the shard map.")
  static final class Ranges extends ClientCommand {

    @Override
    public Integer call() throws Exception {
      return report(send(HttpRequest.newBuilder(URI.create(url + "/v1/ranges")).GET()));
    }
  }
}
