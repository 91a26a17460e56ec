package dev.logshard.actors.rangeshard;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
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
      return Behaviors.intercept(() -> new StopSignal(() -> {
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

  /** Runs {@code onStop} once, on the behavior's PostStop (whatever ended it), and passes everything on. */
  private static final class StopSignal extends BehaviorInterceptor<RangeShardCommand, RangeShardCommand> {
    private final Runnable onStop;

    StopSignal(Runnable onStop) {
      super(RangeShardCommand.class);
      this.onStop = onStop;
    }

    @Override
    public Behavior<RangeShardCommand> aroundReceive(TypedActorContext<RangeShardCommand> ctx, RangeShardCommand msg,
        ReceiveTarget<RangeShardCommand> target) {
      return target.apply(ctx, msg);
    }

    @Override
    public Behavior<RangeShardCommand> aroundSignal(TypedActorContext<RangeShardCommand> ctx, Signal signal,
        SignalTarget<RangeShardCommand> target) {
      if (signal instanceof PostStop) {
        onStop.run();
      }
      return target.apply(ctx, signal);
    }
  }
}
