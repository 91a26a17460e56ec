package dev.logshard.actors.rangeshard;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The range generations running on this node now: an entity is added when it starts and removed when
 * it stops (hand-off, passivation, failure). {@link #version} changes with every change, so a
 * publisher can tell cheaply whether there is anything new to say.
 */
public final class HostedRanges {

  private final Set<String> running = ConcurrentHashMap.newKeySet();
  private final AtomicLong version = new AtomicLong();

  /** {@code behavior}, with {@code entityId} counted as running here from its start to its stop. */
  public Behavior<RangeShardCommand> track(String entityId, Behavior<RangeShardCommand> behavior) {
    return Behaviors.setup(ctx -> {
      running.add(entityId);
      version.incrementAndGet();
      return Behaviors.intercept(() -> new OnStop(() -> {
        running.remove(entityId);
        version.incrementAndGet();
      }), behavior);
    });
  }

  /** A copy of the entity ids running here. */
  public Set<String> snapshot() {
    return Set.copyOf(running);
  }

  public long version() {
    return version.get();
  }
}
