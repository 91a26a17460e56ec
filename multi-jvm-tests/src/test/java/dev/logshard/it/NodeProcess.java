package dev.logshard.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A LogShard node in its own JVM, started from the packaged jar exactly as {@code bin/logshard
 * start} does, on loopback and a free port. Its output goes to {@code <data-dir>/../node-N.log}.
 */
final class NodeProcess implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("LogShard listening on (http://[^ ]+)");
  private static int started;

  private final Process process;
  private final String url;
  private final Path log;

  private NodeProcess(Process process, String url, Path log) {
    this.process = process;
    this.url = url;
    this.log = log;
  }

  static Path jar() {
    Path jar = Path.of(System.getProperty("logshard.node.jar", "../cluster-config/target/logshard-node.jar"));
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run these tests with 'mvn verify' (the jar is built in 'package')");
    }
    return jar;
  }

  static List<String> javaCommand(String... args) {
    return javaCommand(List.of(), args);
  }

  /** {@code java <jvmOptions> -jar logshard-node.jar <args>}. */
  static List<String> javaCommand(List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar().toString()));
    command.addAll(List.of(args));
    return command;
  }

  /** Starts a node on {@code dataDir} and waits (up to 60 s) until it says where it listens. */
  static NodeProcess start(Path dataDir) throws IOException {
    return start(dataDir, List.of());
  }

  /** The same with JVM options, such as {@code -Dlogshard.…} settings. */
  static NodeProcess start(Path dataDir, List<String> jvmOptions) throws IOException {
    return start(dataDir, jvmOptions, List.of());
  }

  /** The same with more {@code start} options, such as {@code --mode cluster}. */
  static NodeProcess start(Path dataDir, List<String> jvmOptions, List<String> startOptions) throws IOException {
    CompletableFuture<String> url = new CompletableFuture<>();
    Path log = dataDir.resolveSibling("node-" + (++started) + ".log");
    Process process = launch(dataDir, jvmOptions, startOptions, log, url);
    try {
      return new NodeProcess(process, url.get(60, TimeUnit.SECONDS), log);
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("node did not start: " + e.getMessage() + "; log " + log, e);
    }
  }

  /** Starts a node without waiting for it to listen (one expected not to); its {@link #url()} is null. */
  static NodeProcess launch(Path dataDir, List<String> jvmOptions, List<String> startOptions) throws IOException {
    Path log = dataDir.resolveSibling("node-" + (++started) + ".log");
    return new NodeProcess(launch(dataDir, jvmOptions, startOptions, log, new CompletableFuture<>()), null, log);
  }

  private static Process launch(Path dataDir, List<String> jvmOptions, List<String> startOptions, Path log,
      CompletableFuture<String> url) throws IOException {
    List<String> args = new ArrayList<>(List.of("start", "--port", "0", "--data-dir", dataDir.toString()));
    args.addAll(startOptions);
    Process process = new ProcessBuilder(javaCommand(jvmOptions, args.toArray(String[]::new)))
        .redirectErrorStream(true)
        .start();
    Thread pump = new Thread(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
          var out = Files.newBufferedWriter(log)) {
        String line;
        while ((line = reader.readLine()) != null) {
          out.write(line);
          out.newLine();
          out.flush();
          Matcher m = LISTENING.matcher(line);
          if (m.find()) {
            url.complete(m.group(1));
          }
        }
      } catch (IOException e) {
        url.completeExceptionally(e);
      }
      url.completeExceptionally(new IllegalStateException("node exited before listening; see " + log));
    }, "node-output-" + started);
    pump.setDaemon(true);
    pump.start();
    return process;
  }

  String url() {
    return url;
  }

  Path log() {
    return log;
  }

  /** Whether the process ended (by itself) within {@code timeout}; its exit code, or -1 if not. */
  int awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  /** SIGKILL: no shutdown hook, no flush, nothing. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("node survived SIGKILL");
    }
  }

  /** SIGTERM (coordinated shutdown); true if the node exited within {@code timeout}. */
  boolean stop(Duration timeout) throws InterruptedException {
    // SIGTERM through the handle: Process.destroy() also closes the pipe of the node's output, so
    // its log would end where its shutdown begins.
    process.toHandle().destroy();
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Kills the node if it still runs; an interrupt still kills it, and is passed on. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
