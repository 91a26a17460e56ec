package dev.logshard.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.logshard.cassandra.CassandraCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redundancy: the project's launcher starts a three-node Cassandra on 127.0.0.1–3, a LogShard node
 * runs on it with replication factor 3 (QUORUM reads and writes, the default consistency), and one
 * Cassandra node is killed: every acknowledged write is still read back, and writes go on.
 */
class CassandraReplicationIT {

  @TempDir
  static Path work;

  @Test
  void withReplicationFactorThreeACassandraNodeKilledLosesNothingAndWritesGoOn() throws Exception {
    int keys = 100;
    try (CassandraCluster cassandra = CassandraCluster.start(work.resolve("cassandra"), 3, freePort(), freePort(),
            "512m", Duration.ofMinutes(3));
        NodeProcess node = NodeProcess.start(work.resolve("node"),
            List.of("-Dlogshard.cassandra.replication-factor=3", "-Dlogshard.planner.mode=off"),
            List.of("--mode", "cluster", "--cassandra", String.join(",", cassandra.contactPoints()),
                "--cluster-port", String.valueOf(freePort())));
        HttpKv kv = new HttpKv(node.url())) {
      kv.awaitReady(Duration.ofSeconds(90));
      assertEquals(3, replicationFactor(cassandra, "logshard_standard"), "the log instance's keyspace");
      assertEquals(2, peers(cassandra), "the first Cassandra node sees the two others");

      List<String> written = new ArrayList<>();
      for (int i = 0; i < keys; i++) {
        written.add(put(kv, "rf3-" + i, "before-" + i));
      }
      cassandra.nodes().get(2).kill();

      // Two replicas of three answer: QUORUM holds. Every key is read back and overwritten.
      for (int i = 0; i < keys; i++) {
        HttpResponse<byte[]> read = kv.get(written.get(i)).get(30, TimeUnit.SECONDS);
        assertEquals(200, read.statusCode(), written.get(i) + ": " + new String(read.body(), StandardCharsets.UTF_8));
        assertArrayEquals(("before-" + i).getBytes(StandardCharsets.UTF_8), read.body());
        put(kv, written.get(i), "after-" + i);
      }
      for (int i = 0; i < keys; i++) {
        assertArrayEquals(("after-" + i).getBytes(StandardCharsets.UTF_8),
            kv.get(written.get(i)).get(30, TimeUnit.SECONDS).body(), written.get(i));
      }
    }
  }

  private static String put(HttpKv kv, String key, String value) throws Exception {
    HttpResponse<byte[]> response = kv.put(key, value.getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
    assertTrue(response.statusCode() == 200 || response.statusCode() == 201,
        key + ": " + response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8));
    return key;
  }

  private static int replicationFactor(CassandraCluster cassandra, String keyspace) {
    try (CqlSession session = session(cassandra)) {
      Row row = session.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?", keyspace).one();
      Map<String, String> replication = row.getMap("replication", String.class, String.class);
      return Integer.parseInt(replication.get("replication_factor"));
    }
  }

  private static int peers(CassandraCluster cassandra) {
    try (CqlSession session = session(cassandra)) {
      return session.execute("SELECT peer FROM system.peers").all().size();
    }
  }

  /** A session on the first Cassandra node only. */
  private static CqlSession session(CassandraCluster cassandra) {
    String[] hostPort = cassandra.contactPoints().get(0).split(":");
    return CqlSession.builder()
        .addContactPoint(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])))
        .withLocalDatacenter("datacenter1")
        .build();
  }

  private static int freePort() throws IOException {
    return Ports.free();
  }
}
