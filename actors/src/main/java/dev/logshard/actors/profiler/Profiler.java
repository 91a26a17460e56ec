package dev.logshard.actors.profiler;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.profile.AccessRecorder;
import dev.logshard.core.profile.LoadReport;
import dev.logshard.core.profile.NodeProfile;
import dev.logshard.core.profile.ProfileViews.AnomaliesView;
import dev.logshard.core.profile.ProfileViews.CorrelationsView;
import dev.logshard.core.profile.ProfileViews.HeatmapView;
import dev.logshard.core.profile.ProfileViews.HotKeysView;
import dev.logshard.core.profile.ProfileViews.LoadView;
import dev.logshard.core.profile.ProfilerSettings;
import dev.logshard.core.profile.RangeSizes;
import dev.logshard.core.profile.RingCells;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The node's profiler (DESIGN.md, "Profiler"): once per tick it has its {@link NodeProfile}
 * aggregate what the request path recorded, sends the resulting {@link LoadReport} to the
 * Coordinator, and answers queries about the node's profile. All aggregation happens here, on the
 * actor, never on the request path.
 *
 * <p>Lifecycle: spawned by the node's guardian when {@code logshard.profiler.enabled}; ticks on a
 * timer (tests send {@link Tick} themselves).
 */
public final class Profiler extends AbstractBehavior<Profiler.Command> {

  public sealed interface Command extends CborSerializable {}

  /** Aggregate what was recorded since the last tick. */
  public enum Tick implements Command { INSTANCE }

  public record GetLoad(ActorRef<LoadView> replyTo) implements Command {}

  public record GetHotKeys(String rangeId, ActorRef<HotKeysView> replyTo) implements Command {}

  public record GetHeatmap(int resolution, ActorRef<HeatmapView> replyTo) implements Command {}

  public record GetAnomalies(ActorRef<AnomaliesView> replyTo) implements Command {}

  public record GetCorrelations(ActorRef<CorrelationsView> replyTo) implements Command {}

  /**
   * Where and as whom the profiler reports each tick; {@code ring} must be the Coordinator's;
   * {@code roundTrips}: the latest round trips to the other nodes ({@link NodeLatency}).
   */
  public record Reporting(String node, RingCells ring, Consumer<LoadReport> to,
      Supplier<Map<String, Double>> roundTrips) {

    public Reporting(String node, RingCells ring, Consumer<LoadReport> to) {
      this(node, ring, to, Map::of);
    }
  }

  private final AccessRecorder recorder;
  private final RangeSizes sizes;
  private final LongSupplier clock;
  private final Consumer<LoadReport> reportTo;
  private final Supplier<Map<String, Double>> roundTrips;
  private final NodeProfile profile;

  public static Behavior<Command> create(AccessRecorder recorder, RangeSizes sizes, ProfilerSettings settings,
      Reporting reporting, LongSupplier clockMillis) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.tick());
      return new Profiler(ctx, recorder, sizes, settings, reporting, clockMillis);
    }));
  }

  /** Without its timer: ticks only when sent {@link Tick} (deterministic tests). */
  static Behavior<Command> createUnscheduled(AccessRecorder recorder, RangeSizes sizes, ProfilerSettings settings,
      Reporting reporting, LongSupplier clockMillis) {
    return Behaviors.setup(ctx -> new Profiler(ctx, recorder, sizes, settings, reporting, clockMillis));
  }

  private Profiler(ActorContext<Command> ctx, AccessRecorder recorder, RangeSizes sizes, ProfilerSettings settings,
      Reporting reporting, LongSupplier clock) {
    super(ctx);
    this.recorder = recorder;
    this.sizes = sizes;
    this.clock = clock;
    this.reportTo = reporting.to();
    this.roundTrips = reporting.roundTrips();
    this.profile = new NodeProfile(recorder.map(), settings, reporting.node(), reporting.ring(), clock.getAsLong());
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessage(GetLoad.class, this::onGetLoad)
        .onMessage(GetHotKeys.class, this::onGetHotKeys)
        .onMessage(GetHeatmap.class, this::onGetHeatmap)
        .onMessage(GetAnomalies.class, this::onGetAnomalies)
        .onMessage(GetCorrelations.class, this::onGetCorrelations)
        .build();
  }

  private Behavior<Command> onTick() {
    reportTo.accept(profile.tick(recorder, sizes, clock.getAsLong()).withRoundTrips(roundTrips.get()));
    return this;
  }

  private Behavior<Command> onGetLoad(GetLoad query) {
    query.replyTo().tell(profile.load());
    return this;
  }

  private Behavior<Command> onGetHotKeys(GetHotKeys query) {
    query.replyTo().tell(profile.hotKeys(query.rangeId()));
    return this;
  }

  private Behavior<Command> onGetHeatmap(GetHeatmap query) {
    query.replyTo().tell(profile.heatmap(query.resolution()));
    return this;
  }

  private Behavior<Command> onGetCorrelations(GetCorrelations query) {
    query.replyTo().tell(profile.correlations());
    return this;
  }

  private Behavior<Command> onGetAnomalies(GetAnomalies query) {
    query.replyTo().tell(profile.anomalies());
    return this;
  }
}
