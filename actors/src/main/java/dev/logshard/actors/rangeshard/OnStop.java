package dev.logshard.actors.rangeshard;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;

/**
 * Runs {@code onStop} on a range generation's PostStop, whatever ended it (hand-off, passivation,
 * failure), and passes every message and signal on. What a generation holds while it runs (its
 * place in {@link HostedRanges}, its {@link RangeLease}) is given back here.
 */
class OnStop extends BehaviorInterceptor<RangeShardCommand, RangeShardCommand> {

  private final Runnable onStop;

  OnStop(Runnable onStop) {
    super(RangeShardCommand.class);
    this.onStop = onStop;
  }

  @Override
  public Behavior<RangeShardCommand> aroundReceive(TypedActorContext<RangeShardCommand> ctx, RangeShardCommand msg,
      ReceiveTarget<RangeShardCommand> target) {
    return target.apply(ctx, msg);
  }

  @Override
  public final Behavior<RangeShardCommand> aroundSignal(TypedActorContext<RangeShardCommand> ctx, Signal signal,
      SignalTarget<RangeShardCommand> target) {
    if (signal instanceof PostStop) {
      onStop.run();
    }
    return target.apply(ctx, signal);
  }
}
