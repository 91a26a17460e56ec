package dev.logshard.persistence;

import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode's start-up check of the Cassandra it writes to: whether Cassandra syncs its commit
 * log before it acknowledges a write ({@code commitlog_sync: batch} or {@code group}) or only every
 * so often ({@code periodic}, Cassandra's own default: a write it acknowledged can be lost when its
 * machine loses power). The bundled Cassandra ({@code logshard cassandra}) runs {@code batch}; an
 * external one is only read (Cassandra 4+'s {@code system_views.settings}) and warned about.
 */
public final class CassandraCommitLog {

  private static final Logger LOG = LoggerFactory.getLogger(CassandraCommitLog.class);
  /** The lease's session: one that creates no tables when it starts. */
  private static final String SESSION = "logshard.lease";

  private CassandraCommitLog() {}

  /** The warning for a {@code commitlog_sync} value (null: could not be read), or none if it syncs before acknowledging. */
  static Optional<String> warning(String commitlogSync) {
    if (commitlogSync == null) {
      return Optional.of("could not read Cassandra's commitlog_sync (system_views.settings needs Cassandra 4 or later):"
          + " check that it is batch or group, or an acknowledged write can be lost when a Cassandra machine loses power");
    }
    String mode = commitlogSync.toLowerCase(Locale.ROOT);
    if (mode.equals("batch") || mode.equals("group")) {
      return Optional.empty();
    }
    return Optional.of("Cassandra's commitlog_sync is " + commitlogSync + ": it acknowledges a write before its commit"
        + " log is on disk, so a write LogShard acknowledged can be lost when a Cassandra machine loses power (unless"
        + " enough replicas hold it: replication factor 3 and QUORUM). Set commitlog_sync: batch (or group) in cassandra.yaml");
  }

  /** Reads the setting once and logs what it means; never fails the node. */
  public static void check(ActorSystem system) {
    CassandraSessionRegistry.get(system).sessionFor(SESSION)
        .selectOne("SELECT value FROM system_views.settings WHERE name = 'commitlog_sync'")
        .whenComplete((row, failure) -> {
          String value = failure == null ? row.map(r -> r.getString("value")).orElse(null) : null;
          warning(value).ifPresentOrElse(LOG::warn,
              () -> LOG.info("Cassandra syncs its commit log before it acknowledges a write (commitlog_sync: {})", value));
        });
  }
}
