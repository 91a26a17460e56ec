package dev.logshard.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar's client commands against a running node, as a user types them. */
class CommandLineIT {

  @TempDir
  Path work;

  record Result(int exitCode, String stdout, String stderr) {}

  private Result cli(String... args) throws Exception {
    return cli(Map.of(), args);
  }

  /** The CLI with {@code env} added to its environment (and LogShard's token variables cleared first). */
  private Result cli(Map<String, String> env, String... args) throws Exception {
    Path out = work.resolve("out");
    Path err = work.resolve("err");
    ProcessBuilder builder = new ProcessBuilder(NodeProcess.javaCommand(args))
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().remove("LOGSHARD_ADMIN_TOKEN");
    builder.environment().remove("LOGSHARD_DATA_TOKEN");
    builder.environment().putAll(env);
    Process p = builder.start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "cli did not finish");
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void putGetDeleteAndRangesFromTheCommandLine() throws Exception {
    try (NodeProcess node = NodeProcess.start(work.resolve("data")); HttpKv kv = new HttpKv(node.url())) {
      kv.awaitReady(Duration.ofSeconds(60));
      String url = node.url();
      Path file = work.resolve("value.bin");
      Files.write(file, new byte[] {0, 1, 2, (byte) 255});

      Result put = cli("put", "greeting", "hello world", "--url", url);
      assertEquals(0, put.exitCode(), put.stderr());
      assertTrue(put.stdout().contains("\"version\":1"), put.stdout());

      Result get = cli("get", "greeting", "--url", url);
      assertEquals(0, get.exitCode());
      assertEquals("hello world", get.stdout());
      assertTrue(get.stderr().contains("\"1\""), get.stderr());

      Result conflict = cli("put", "greeting", "other", "--if-match", "7", "--url", url);
      assertEquals(2, conflict.exitCode());
      assertTrue(conflict.stderr().contains("412"), conflict.stderr());

      assertEquals(0, cli("put", "blob", "--file", file.toString(), "--url", url).exitCode());
      assertEquals(200, kv.get("blob").join().statusCode());
      assertEquals(4, kv.get("blob").join().body().length);

      assertEquals(0, cli("delete", "greeting", "--url", url).exitCode());
      Result missing = cli("get", "greeting", "--url", url);
      assertEquals(4, missing.exitCode());
      assertTrue(missing.stderr().contains("does not exist"), missing.stderr());

      Result ranges = cli("ranges", "--url", url);
      assertEquals(0, ranges.exitCode());
      assertTrue(ranges.stdout().contains("\"epoch\":1"), ranges.stdout());
    }
  }

  @Test
  void theCommandLineSendsTheTokenFromItsEnvironment() throws Exception {
    try (NodeProcess node = NodeProcess.start(work.resolve("guarded"), List.of("-Dlogshard.http.data-token=data-tok",
        "-Dlogshard.admin.token=admin-tok")); HttpKv kv = new HttpKv(node.url())) {
      kv.awaitReady(Duration.ofSeconds(60));
      Result refused = cli("put", "k", "v", "--url", node.url());
      assertTrue(refused.exitCode() != 0 && refused.stderr().contains("401"), refused.stderr());
      Result put = cli(Map.of("LOGSHARD_DATA_TOKEN", "data-tok"), "put", "k", "v", "--url", node.url());
      assertEquals(0, put.exitCode(), put.stderr());
      Result get = cli(Map.of("LOGSHARD_ADMIN_TOKEN", "admin-tok"), "get", "k", "--url", node.url());
      assertEquals(0, get.exitCode(), get.stderr());
      assertEquals("v", get.stdout());
    }
  }

  @Test
  @SuppressWarnings("try") // the first node only has to hold the directory
  void aSecondNodeOnTheSameDataDirectoryIsRefusedClearly() throws Exception {
    Path data = work.resolve("shared");
    try (NodeProcess first = NodeProcess.start(data)) {
      // While the first node holds the directory:
      Result second = cli("start", "--port", "0", "--data-dir", data.toString());
      assertEquals(1, second.exitCode());
      assertTrue(second.stderr().contains("logshard:"), second.stderr());
    }
  }
}
