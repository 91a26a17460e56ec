package dev.logshard.persistence.lease;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * The {@code leases} table of one keyspace, for every {@link CassandraLease} of an actor system: the
 * session (its own: the persistence plugins' session, shared by config path, creates their tables
 * when it starts, which a session opened first by the lease would not), the table
 * created once if {@code create-table}, the statements prepared once, and which lease names were
 * refused to whom (why a node cannot start). Each statement is bounded by
 * {@code lease-operation-timeout}; the one-time setup by the driver's own timeouts.
 */
final class LeaseTable {

  private static final Map<ActorSystem, LeaseTable> TABLES = new ConcurrentHashMap<>();

  private static final Duration SCHEMA_TIMEOUT = Duration.ofSeconds(60);

  private final ActorSystem system;
  private final Config config;
  private CompletableFuture<Prepared> prepared;
  private final Map<String, String> refusals = new ConcurrentHashMap<>();
  private final Set<CassandraLease> held = ConcurrentHashMap.newKeySet();
  private final Set<CompletableFuture<?>> releases = ConcurrentHashMap.newKeySet();
  private final DefaultConsistencyLevel consistency;
  private final DefaultConsistencyLevel serial;
  private final Duration timeout;

  private record Prepared(CqlSession session, PreparedStatement insert, PreparedStatement renew,
      PreparedStatement delete) {}

  private LeaseTable(ActorSystem system, Config config) {
    this.system = system;
    this.config = config;
    this.consistency = DefaultConsistencyLevel.valueOf(config.getString("consistency"));
    this.serial = DefaultConsistencyLevel.valueOf(config.getString("serial-consistency"));
    this.timeout = config.getDuration("lease-operation-timeout");
  }

  /** The session, table and statements; set up again on the next call if the last attempt failed. */
  private synchronized CompletionStage<Prepared> prepared() {
    if (prepared == null || prepared.isCompletedExceptionally()) {
      prepared = prepare().toCompletableFuture();
    }
    return prepared;
  }

  private CompletionStage<Prepared> prepare() {
    String keyspace = config.getString("keyspace");
    String table = keyspace + ".leases";
    boolean create = config.getBoolean("create-table");
    int replicationFactor = config.getInt("replication-factor");
    return CassandraSessionRegistry.get(system).sessionFor(config.getString("session-config-path")).underlying()
        .thenCompose(session -> {
          CompletionStage<?> schema = !create ? CompletableFuture.completedFuture(null)
              : session.executeAsync(schemaChange("CREATE KEYSPACE IF NOT EXISTS " + keyspace + " WITH replication = "
                  + "{'class': 'SimpleStrategy', 'replication_factor': " + replicationFactor + "}"))
                  .thenCompose(ks -> session.executeAsync(schemaChange("CREATE TABLE IF NOT EXISTS " + table
                      + " (name text PRIMARY KEY, owner text)")));
          return schema.thenCompose(done -> session.prepareAsync(
                  "INSERT INTO " + table + " (name, owner) VALUES (?, ?) IF NOT EXISTS USING TTL ?"))
              .thenCompose(insert -> session.prepareAsync("UPDATE " + table + " USING TTL ? SET owner = ? WHERE name = ? IF owner = ?")
                  .thenCompose(renew -> session.prepareAsync("DELETE FROM " + table + " WHERE name = ? IF owner = ?")
                      .thenApply(delete -> new Prepared(session, insert, renew, delete))));
        });
  }

  /** A schema change waits for the cluster's agreement: far longer than a lease's statements. */
  private static SimpleStatement schemaChange(String cql) {
    return SimpleStatement.newInstance(cql).setTimeout(SCHEMA_TIMEOUT);
  }

  /**
   * The table an actor system's leases use, from the lease's config (the same for all of them).
   * Before the system terminates, every lease it still holds is released and every release under
   * way is awaited (bounded), so a node that stops cleanly leaves nothing for the others to wait
   * out: the shards release theirs as they stop, but the node may exit before those deletes land.
   */
  static LeaseTable of(ActorSystem system, Config config) {
    return TABLES.computeIfAbsent(system, s -> {
      s.registerOnTermination(() -> TABLES.remove(s));
      LeaseTable table = new LeaseTable(s, config);
      CoordinatedShutdown.get(s).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "release-leases",
          table::releaseAll);
      return table;
    });
  }

  private CompletionStage<Done> releaseAll() {
    List<CassandraLease> held = new ArrayList<>(this.held);
    held.forEach(CassandraLease::release);
    List<CompletableFuture<?>> pending = new ArrayList<>(releases);
    return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
        .completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((done, failure) -> Done.getInstance());
  }

  void remember(CassandraLease lease) {
    held.add(lease);
  }

  void forget(CassandraLease lease) {
    held.remove(lease);
  }

  /** Tracks a release under way until it completes (see {@link #of}). */
  <T> CompletionStage<T> released(CompletionStage<T> release) {
    CompletableFuture<T> future = release.toCompletableFuture();
    releases.add(future);
    future.whenComplete((result, failure) -> releases.remove(future));
    return future;
  }

  /**
   * Lease names refused to this actor system, each with the owner that held it when last asked:
   * empty if none was (or no lease was ever asked for).
   */
  static Map<String, String> refusals(ActorSystem system) {
    LeaseTable table = TABLES.get(system);
    return table == null ? Map.of() : Map.copyOf(table.refusals);
  }

  /** Every lease in the table now, name → owner (a lease gone past its TTL is not there). */
  static CompletionStage<Map<String, String>> owners(ActorSystem system) {
    LeaseTable table = TABLES.get(system);
    return table == null ? CompletableFuture.completedFuture(Map.of()) : table.owners();
  }

  private CompletionStage<Map<String, String>> owners() {
    String select = "SELECT name, owner FROM " + config.getString("keyspace") + ".leases";
    return prepared().thenCompose(p -> p.session().executeAsync(
            SimpleStatement.newInstance(select).setConsistencyLevel(consistency).setTimeout(timeout)))
        .thenCompose(page -> collect(page, new TreeMap<>()));
  }

  private static CompletionStage<Map<String, String>> collect(AsyncResultSet page, Map<String, String> owners) {
    page.currentPage().forEach(row -> owners.put(row.getString("name"), row.getString("owner")));
    return page.hasMorePages() ? page.fetchNextPage().thenCompose(next -> collect(next, owners))
        : CompletableFuture.completedFuture(Map.copyOf(owners));
  }

  void refused(String name, String holder) {
    refusals.put(name, holder == null ? "(unknown)" : holder);
  }

  void acquired(String name) {
    refusals.remove(name);
  }

  /** A statement's result, and when it was sent (nanoTime): a lease written by it lives at most its TTL from then. */
  record Sent(boolean applied, Row row, long sentNanos) {
    /** The lease's owner in the row a conditional write that was not applied returns; null if none. */
    String owner() {
      return row == null || row.getColumnDefinitions().firstIndexOf("owner") < 0 ? null : row.getString("owner");
    }
  }

  CompletionStage<Sent> insert(String name, String owner, int ttlSeconds) {
    return execute(p -> p.insert().bind(name, owner, ttlSeconds));
  }

  CompletionStage<Sent> renew(String name, String owner, int ttlSeconds) {
    return execute(p -> p.renew().bind(ttlSeconds, owner, name, owner));
  }

  CompletionStage<Sent> delete(String name, String owner) {
    return execute(p -> p.delete().bind(name, owner));
  }

  private CompletionStage<Sent> execute(Function<Prepared, BoundStatement> statement) {
    return prepared().thenCompose(p -> {
      long sent = System.nanoTime();
      return p.session().executeAsync(statement.apply(p)
              .setConsistencyLevel(consistency).setSerialConsistencyLevel(serial).setTimeout(timeout))
          .thenApply(result -> new Sent(result.wasApplied(), result.one(), sent));
    });
  }
}
