package dev.logshard.persistence.lease;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease in Cassandra: one row per lease name in the {@code leases} table of the Coordinator's
 * keyspace, written with lightweight transactions and a TTL of {@code heartbeat-timeout}. Cluster
 * Sharding takes one for every shard (one range generation) before it starts the entity, and the
 * Coordinator's singleton one before it starts: so one writer per range, and one Coordinator, even
 * when two clusters run on the same keyspaces.
 *
 * <ul>
 *   <li>acquire: insert the row if absent; if present and ours (the same node restarted at the same
 *       address), renew it; anyone else's, refused;</li>
 *   <li>held: renewed every {@code heartbeat-interval} (only if still ours); a renewal that finds
 *       another owner loses the lease at once;</li>
 *   <li>trusted only until {@code heartbeat-interval} before the row's TTL could run out, counted
 *       from the start of the last renewal that succeeded: a node cut off from Cassandra stops (the
 *       lost callback; {@link #checkLease()} false) before anyone else can take the lease;</li>
 *   <li>release: delete the row if still ours.</li>
 * </ul>
 */
public final class CassandraLease extends Lease {

  private static final Logger LOG = LoggerFactory.getLogger(CassandraLease.class);

  private final LeaseSettings settings;
  private final ActorSystem system;
  private final LeaseTable table;
  private final Duration ttl;
  private final Duration interval;

  private final Object lock = new Object();
  private boolean held;
  private long trustedUntilNanos;
  private Consumer<Optional<Throwable>> lostCallback;
  private Cancellable heartbeat;
  private Cancellable deadline;

  public CassandraLease(LeaseSettings settings, ExtendedActorSystem system) {
    this.settings = settings;
    this.system = system;
    this.table = LeaseTable.of(system, settings.leaseConfig());
    this.ttl = settings.timeoutSettings().getHeartbeatTimeout();
    this.interval = settings.timeoutSettings().getHeartbeatInterval();
    if (interval.multipliedBy(2).compareTo(ttl) >= 0) {
      throw new IllegalArgumentException("lease " + settings.leaseName() + ": heartbeat-interval (" + interval
          + ") must be less than half of heartbeat-timeout (" + ttl + ")");
    }
  }

  /**
   * The leases this actor system asked for and was refused, each with the owner that held it when
   * last asked (another cluster on the same keyspaces, or a node not yet expired); empty if none.
   */
  public static Map<String, String> refusals(ActorSystem system) {
    return LeaseTable.refusals(system);
  }

  /**
   * Every lease in the lease table this actor system uses, name → owner ({@code system@host:port});
   * empty if it has used none (embedded mode).
   */
  public static CompletionStage<Map<String, String>> owners(ActorSystem system) {
    return LeaseTable.owners(system);
  }

  @Override
  public LeaseSettings getSettings() {
    return settings;
  }

  @Override
  public CompletionStage<Boolean> acquire() {
    return acquire(lost -> {});
  }

  @Override
  public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
    return table.insert(name(), owner(), ttlSeconds())
        .thenCompose(inserted -> {
          if (inserted.applied()) {
            return CompletableFuture.completedFuture(inserted);
          }
          String holder = inserted.owner();
          if (owner().equals(holder)) { // ours from before a restart at the same address: renew it
            return table.renew(name(), owner(), ttlSeconds());
          }
          table.refused(name(), holder);
          return CompletableFuture.completedFuture(inserted);
        })
        .thenApply(written -> {
          if (written.applied()) {
            table.acquired(name());
            held(written.sentNanos(), leaseLostCallback);
          }
          return written.applied();
        });
  }

  @Override
  public CompletionStage<Boolean> release() {
    synchronized (lock) {
      stopTimers();
      held = false;
      lostCallback = null;
    }
    table.forget(this);
    return table.released(table.delete(name(), owner()).thenApply(deleted -> deleted.applied() || deleted.row() == null));
  }

  @Override
  public boolean checkLease() {
    synchronized (lock) {
      return held && System.nanoTime() < trustedUntilNanos;
    }
  }

  private void held(long renewalStart, Consumer<Optional<Throwable>> callback) {
    table.remember(this);
    synchronized (lock) {
      held = true;
      lostCallback = callback;
      trust(renewalStart);
      if (heartbeat == null) {
        heartbeat = system.scheduler().scheduleWithFixedDelay(interval, interval, this::renew, system.dispatcher());
      }
    }
  }

  /** Called with the lock held: trusts the lease until one interval before the TTL from {@code renewalStart} runs out. */
  private void trust(long renewalStart) {
    trustedUntilNanos = renewalStart + ttl.minus(interval).toNanos();
    if (deadline != null) {
      deadline.cancel();
    }
    long delay = Math.max(0, trustedUntilNanos - System.nanoTime());
    deadline = system.scheduler().scheduleOnce(Duration.ofNanos(delay), this::checkDeadline, system.dispatcher());
  }

  private void renew() {
    synchronized (lock) {
      if (!held) {
        return;
      }
    }
    table.renew(name(), owner(), ttlSeconds()).whenComplete((renewed, failure) -> {
          if (failure != null) {
            // Not lost yet: trusted until its deadline, and the next heartbeat tries again.
            LOG.warn("Could not renew lease [{}]: {}", name(), failure.toString());
          } else if (renewed.applied()) {
            synchronized (lock) {
              if (held) {
                trust(renewed.sentNanos());
              }
            }
          } else {
            lost(new IllegalStateException("lease " + name() + " is now held by " + renewed.owner()));
          }
        });
  }

  private void checkDeadline() {
    synchronized (lock) {
      if (!held || System.nanoTime() < trustedUntilNanos) {
        return;
      }
    }
    lost(new IllegalStateException("lease " + name() + " not renewed within " + ttl.minus(interval)
        + " (Cassandra unreachable?): given up before its TTL runs out"));
  }

  private void lost(Throwable reason) {
    Consumer<Optional<Throwable>> callback;
    synchronized (lock) {
      if (!held) {
        return;
      }
      held = false;
      stopTimers();
      table.forget(this);
      callback = lostCallback;
      lostCallback = null;
    }
    LOG.warn("Lost lease [{}]: {}", name(), reason.getMessage());
    if (callback != null) {
      callback.accept(Optional.of(reason));
    }
  }

  private void stopTimers() {
    if (heartbeat != null) {
      heartbeat.cancel();
      heartbeat = null;
    }
    if (deadline != null) {
      deadline.cancel();
      deadline = null;
    }
  }

  private String name() {
    return settings.leaseName();
  }

  private String owner() {
    return settings.ownerName();
  }

  private int ttlSeconds() {
    return (int) Math.max(1, ttl.toSeconds());
  }
}
