package dev.logshard.cassandra;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Several real Cassandra nodes on one machine, one per loopback address ({@code 127.0.0.1},
 * {@code 127.0.0.2}, …; Linux routes all of 127/8 to loopback), each in its own JVM and directory,
 * sharing the CQL and internode ports: a cluster on which keyspaces of replication factor up to
 * {@code nodes} can be tested, and a node killed. Started one after another (a node joins only once
 * the one before it serves CQL); {@link #close()} stops them all.
 */
public final class CassandraCluster implements AutoCloseable {

  private final List<CassandraServer> nodes;

  private CassandraCluster(List<CassandraServer> nodes) {
    this.nodes = nodes;
  }

  /** Starts {@code count} nodes under {@code baseDir} ({@code node1}, {@code node2}, …), the first as seed. */
  public static CassandraCluster start(Path baseDir, int count, int cqlPort, int storagePort, String heap,
      Duration readyTimeout) {
    if (count < 1 || count > 9) {
      throw new IllegalArgumentException("a local Cassandra cluster has 1 to 9 nodes, not " + count);
    }
    List<CassandraServer> started = new ArrayList<>();
    try {
      for (int i = 1; i <= count; i++) {
        started.add(CassandraServer.start(new CassandraServer.Settings(baseDir.resolve("node" + i), cqlPort,
            storagePort, heap, readyTimeout, address(i), address(1), Math.min(count, 3))));
      }
    } catch (RuntimeException e) {
      started.forEach(CassandraServer::close);
      throw e;
    }
    return new CassandraCluster(List.copyOf(started));
  }

  /** The loopback address of node {@code i} (from 1). */
  public static String address(int i) {
    return "127.0.0." + i;
  }

  public List<CassandraServer> nodes() {
    return nodes;
  }

  /** Every node's {@code address:port}, for the driver's contact points. */
  public List<String> contactPoints() {
    return nodes.stream().map(CassandraServer::contactPoint).toList();
  }

  @Override
  public void close() {
    nodes.forEach(CassandraServer::close);
  }
}
