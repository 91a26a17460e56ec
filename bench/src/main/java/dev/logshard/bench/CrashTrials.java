package dev.logshard.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * kill -9 trials under compare-and-set increments: a real node process on one data directory;
 * clients increment counters (read the value and its version, write value + 1 if the version is
 * still that one); at a random moment the node is killed with SIGKILL, started again on the same
 * directory, and every counter is read back: it must hold at least the last increment acknowledged
 * (none lost) and at most the last one attempted (none invented). Repeated on the same directory.
 */
@Command(name = "crash-trials", mixinStandardHelpOptions = true,
    description = "kill -9 a node under CAS-increment clients, restart it, check no acknowledged write is lost.")
public final class CrashTrials implements Callable<Integer> {

  private static final Pattern LISTENING = Pattern.compile("LogShard listening on (http://[^ ]+)");

  @Option(names = "--node-jar", required = true, description = "The node jar.")
  Path nodeJar;

  @Option(names = "--trials", description = "kill -9 trials (default: ${DEFAULT-VALUE}).")
  int trials = 20;

  @Option(names = "--counters", description = "Counters (default: ${DEFAULT-VALUE}).")
  int counters = 64;

  @Option(names = "--clients", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
  int clients = 16;

  @Option(names = "--min-seconds", description = "Shortest load before a kill (default: ${DEFAULT-VALUE}).")
  double minSeconds = 2;

  @Option(names = "--max-seconds", description = "Longest load before a kill (default: ${DEFAULT-VALUE}).")
  double maxSeconds = 8;

  @Option(names = "--jvm-option", description = "A JVM option for the node (repeatable).")
  List<String> jvmOptions = new ArrayList<>();

  @Option(names = "--seed", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Override
  public Integer call() throws Exception {
    Path dataDir = Files.createTempDirectory("logshard-crash-trials");
    Random random = new Random(seed);
    AtomicLongArray acknowledged = new AtomicLongArray(counters);
    AtomicLongArray attempted = new AtomicLongArray(counters);
    long totalAcknowledged = 0;
    int lost = 0;
    int invented = 0;
    for (int trial = 1; trial <= trials; trial++) {
      Process node = start(dataDir, trial);
      String url = url(node);
      AtomicBoolean stop = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      long before = sum(acknowledged);
      for (int c = 0; c < clients; c++) {
        long clientSeed = random.nextLong();
        pool.execute(() -> increment(url, new Random(clientSeed), acknowledged, attempted, stop));
      }
      Thread.sleep((long) (1000 * (minSeconds + random.nextDouble() * (maxSeconds - minSeconds))));
      node.destroyForcibly(); // SIGKILL: no shutdown hook runs
      node.waitFor(30, TimeUnit.SECONDS);
      stop.set(true);
      pool.shutdown();
      pool.awaitTermination(60, TimeUnit.SECONDS);
      long acked = sum(acknowledged) - before;
      totalAcknowledged += acked;

      Process again = start(dataDir, trial);
      String checkUrl = url(again);
      int trialLost = 0;
      int trialInvented = 0;
      for (int i = 0; i < counters; i++) {
        long value = read(checkUrl, i)[0];
        if (value < acknowledged.get(i)) {
          trialLost++;
        }
        if (value > attempted.get(i)) {
          trialInvented++;
        }
        // What survived is what the next trial increments from.
        acknowledged.set(i, value);
        attempted.set(i, value);
      }
      again.destroy();
      again.waitFor(60, TimeUnit.SECONDS);
      lost += trialLost;
      invented += trialInvented;
      System.out.printf("TRIAL trial=%d acknowledged_increments=%d counters_behind_an_acknowledged_increment=%d "
          + "counters_ahead_of_any_attempt=%d%n", trial, acked, trialLost, trialInvented);
    }
    System.out.printf("RESULT crash-trials trials=%d acknowledged_increments=%d lost=%d invented=%d%n", trials,
        totalAcknowledged, lost, invented);
    return lost == 0 && invented == 0 ? 0 : 1;
  }

  private static long sum(AtomicLongArray a) {
    long s = 0;
    for (int i = 0; i < a.length(); i++) {
      s += a.get(i);
    }
    return s;
  }

  /** Increments random counters until stopped or the node is gone. */
  private void increment(String url, Random random, AtomicLongArray acknowledged, AtomicLongArray attempted,
      AtomicBoolean stop) {
    while (!stop.get()) {
      int i = random.nextInt(counters);
      try {
        long[] current = read(url, i);
        long next = current[0] + 1;
        attempted.accumulateAndGet(i, next, Math::max);
        HttpRequest.Builder put = NodeRequests.to(URI.create(url + "/v1/kv/ctr:" + i))
            .timeout(Duration.ofSeconds(10))
            .PUT(HttpRequest.BodyPublishers.ofString(Long.toString(next)));
        put = current[1] == 0 ? put.header("If-None-Match", "*") : put.header("If-Match", "\"" + current[1] + "\"");
        int status = http.send(put.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status == 200 || status == 201) {
          acknowledged.accumulateAndGet(i, next, Math::max);
        }
      } catch (IOException e) {
        return; // the node is gone
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** A counter's value and version (0, 0 if absent). */
  private long[] read(String url, int i) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(NodeRequests.to(URI.create(url + "/v1/kv/ctr:" + i))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 404) {
      return new long[] {0, 0};
    }
    if (r.statusCode() != 200) {
      throw new IOException("GET ctr:" + i + " answered " + r.statusCode());
    }
    String etag = r.headers().firstValue("ETag").orElseThrow().replace("\"", "");
    return new long[] {Long.parseLong(r.body().trim()), Long.parseLong(etag)};
  }

  private Process start(Path dataDir, int trial) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", nodeJar.toString(), "start", "--port", "0", "--data-dir", dataDir.toString()));
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  /** Waits until the node says where it listens and is ready; its output goes on to a log file. */
  private String url(Process node) throws IOException, InterruptedException {
    BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
    Path logFile = Files.createTempFile("logshard-crash-trial", ".log");
    PrintWriter log = new PrintWriter(Files.newBufferedWriter(logFile), true);
    String url = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String line;
    while (url == null && (line = out.readLine()) != null) {
      log.println(line);
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        url = m.group(1);
      }
      if (System.nanoTime() > deadline) {
        break;
      }
    }
    if (url == null) {
      throw new IllegalStateException("the node did not start; its output is in " + logFile);
    }
    Thread pump = new Thread(() -> {
      try {
        out.lines().forEach(log::println);
      } catch (UncheckedIOException killed) {
        // the node was killed: its output ends here
      }
    }, "node-log");
    pump.setDaemon(true);
    pump.start();
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(HttpRequest.newBuilder(URI.create(url + "/health/ready")).GET().build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return url;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the node was not ready within 120 s; its output is in " + logFile);
  }
}
