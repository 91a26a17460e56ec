package dev.logshard.cassandra;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Apache Cassandra 5.0, started from the {@code cassandra-all} jars Maven
 * resolved for this module, in a JVM of its own, bound to 127.0.0.1. For cluster mode on one
 * machine: {@code logshard cassandra}, the multi-node tests and the demos. {@link #close()} stops it
 * gracefully (SIGTERM runs Cassandra's drain), forcibly after a minute.
 */
public final class CassandraServer implements AutoCloseable {

  private static final String RESOURCES = "/dev/logshard/cassandra/";
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  /** A CQL v4 OPTIONS request (stream 1, no body); a ready node answers SUPPORTED (opcode 6). */
  private static final byte[] OPTIONS_FRAME = {0x04, 0, 0, 1, 0x05, 0, 0, 0, 0};

  /**
   * Where and how to run it. {@code heap} as for -Xmx ("512m", "1g"). {@code address}: the loopback
   * address it binds (internode and CQL); {@code seeds}: the address of the node it joins (itself for
   * the first); {@code replicas}: the replication factor its tokens are allocated for.
   */
  public record Settings(Path dataDir, int cqlPort, int storagePort, String heap, Duration readyTimeout,
      String address, String seeds, int replicas) {
    public Settings {
      dataDir = dataDir.toAbsolutePath().normalize();
    }

    /** A single node on 127.0.0.1. */
    public Settings(Path dataDir, int cqlPort, int storagePort, String heap, Duration readyTimeout) {
      this(dataDir, cqlPort, storagePort, heap, readyTimeout, "127.0.0.1", "127.0.0.1", 1);
    }
  }

  private final Settings settings;
  private final Process process;
  private final Thread stopOnExit;

  private CassandraServer(Settings settings, Process process) {
    this.settings = settings;
    this.process = process;
    this.stopOnExit = new Thread(this::stop, "cassandra-stop");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
  }

  /** Starts Cassandra and returns once it serves CQL, or throws with the end of its log. */
  public static CassandraServer start(Settings settings) {
    int javaVersion = Runtime.version().feature();
    if (javaVersion > 17) {
      // Cassandra 5.0 installs a SecurityManager, which JDK 24 removed; it supports JDK 11 and 17.
      throw new IllegalStateException("Cassandra 5.0 runs on Java 11 or 17; this is Java " + javaVersion);
    }
    Path dir = settings.dataDir();
    Path conf = dir.resolve("conf");
    Path logs = dir.resolve("logs");
    try {
      Files.createDirectories(conf);
      Files.createDirectories(logs);
      Files.createDirectories(dir.resolve("triggers"));
      for (String name : List.of("logback.xml", "jvm17-server.flags")) {
        Files.writeString(conf.resolve(name), resource(name));
      }
      Files.writeString(conf.resolve("cassandra.yaml"), yaml(settings));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare Cassandra's directory " + dir, e);
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("@" + conf.resolve("jvm17-server.flags"));
    command.add("-Xms" + settings.heap());
    command.add("-Xmx" + settings.heap());
    command.add("-Dcassandra.config=" + conf.resolve("cassandra.yaml").toUri());
    command.add("-Dlogback.configurationFile=" + conf.resolve("logback.xml").toUri());
    command.add("-Dcassandra.logdir=" + logs);
    command.add("-Dcassandra.storagedir=" + dir);
    command.add("-Dcassandra.triggers_dir=" + dir.resolve("triggers"));
    command.add("-Dcassandra.native_transport_port=" + settings.cqlPort());
    command.add("-Dcassandra.storage_port=" + settings.storagePort());
    command.add("-Dcassandra-foreground=true");
    // Gossip settles at once on loopback: no need to wait for it.
    command.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    command.add("-Dcassandra.ring_delay_ms=1000");
    command.add("-cp");
    command.add(conf + java.io.File.pathSeparator + resource("server-classpath.txt").strip());
    command.add("org.apache.cassandra.service.CassandraDaemon");
    Path out = logs.resolve("stdout.log");
    Process process;
    try {
      process = new ProcessBuilder(command)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.to(out.toFile()))
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Cassandra", e);
    }
    CassandraServer server = new CassandraServer(settings, process);
    try {
      server.awaitReady();
      return server;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** {@code <address>:<cql port>}, as a contact point. */
  public String contactPoint() {
    return settings.address() + ":" + settings.cqlPort();
  }

  public Settings settings() {
    return settings;
  }

  public long pid() {
    return process.pid();
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + settings.readyTimeout().toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Cassandra exited with " + process.exitValue() + " before serving CQL:\n" + logTail());
      }
      if (servesCql()) {
        return;
      }
      try {
        process.waitFor(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while Cassandra started", e);
      }
    }
    throw new IllegalStateException("Cassandra did not serve CQL on port " + settings.cqlPort() + " within "
        + settings.readyTimeout().toSeconds() + " s:\n" + logTail());
  }

  private boolean servesCql() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(settings.address(), settings.cqlPort()), 1000);
      socket.setSoTimeout(2000);
      OutputStream request = socket.getOutputStream();
      request.write(OPTIONS_FRAME);
      request.flush();
      byte[] header = new byte[5];
      new DataInputStream(socket.getInputStream()).readFully(header);
      return header[0] == (byte) 0x84 && header[4] == 0x06;
    } catch (IOException e) {
      return false;
    }
  }

  private String logTail() {
    Path log = settings.dataDir().resolve("logs").resolve("stdout.log");
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(no log at " + log + ")";
    }
  }

  private void stop() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** SIGKILL, as a crash: Cassandra gets no chance to drain. Returns once the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Waits until the process has ended, however it ends. */
  public int awaitExit() throws InterruptedException {
    return process.waitFor();
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or has run: nothing left to remove.
    }
  }

  /** The bundled cassandra.yaml, bound to this node's address and seeds. */
  private static String yaml(Settings settings) {
    String yaml = resource("cassandra.yaml");
    String[][] replacements = {
      {"listen_address: 127.0.0.1", "listen_address: " + settings.address()},
      {"rpc_address: 127.0.0.1", "rpc_address: " + settings.address()},
      {"- seeds: \"127.0.0.1\"", "- seeds: \"" + settings.seeds() + "\""},
      {"allocate_tokens_for_local_replication_factor: 1",
          "allocate_tokens_for_local_replication_factor: " + settings.replicas()},
    };
    for (String[] r : replacements) {
      if (!yaml.contains(r[0])) {
        throw new IllegalStateException("the bundled cassandra.yaml has no '" + r[0] + "'");
      }
      yaml = yaml.replace(r[0], r[1]);
    }
    return yaml;
  }

  private static String resource(String name) {
    try (InputStream in = CassandraServer.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + RESOURCES + name + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
