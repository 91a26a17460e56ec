package dev.logshard.actors;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.AccessHeatmap;
import dev.logshard.core.profile.AccessRecorder;
import dev.logshard.core.profile.CorrelationMatrix;
import dev.logshard.core.profile.LoadSpread;
import dev.logshard.core.profile.LoadTrend;
import dev.logshard.core.profile.RangeLoadCounters;
import dev.logshard.core.profile.RangeProfile;
import dev.logshard.core.profile.RangeSizes;
import dev.logshard.core.profile.RingCells;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The node's profiler: once per tick it turns what the request path recorded (the
 * {@link AccessRecorder}'s counters and sampled AccessLog) into per-range load per second, trends
 * and anomalies, hot keys and split points, the access heatmap and co-access between ranges, and
 * answers queries about them. Each tick it also sends a {@link LoadReport} (the ranges' load and
 * where on the ring the accesses fell) to the Coordinator, which keeps the cluster-wide view.
 * All aggregation happens here, on the actor, never on the request path.
 *
 * <p>Lifecycle: spawned by the node's guardian when {@code logshard.profiler.enabled}; ticks on a
 * timer (tests send {@link Tick} themselves). When the ShardMap changes, range-keyed state starts
 * afresh; the heatmap keeps its history (it is keyed by hash interval).
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

  /** Every range's load over the last tick. */
  public record LoadView(long timeMillis, long epoch, List<ShardLoad> ranges) implements CborSerializable {}

  /** A range's hot keys and load-median split point over the current profile window; {@code found} false for an unknown range. */
  public record HotKeysView(boolean found, String rangeId, long sampled, List<RangeProfile.HotKey> hotKeys, String splitPoint)
      implements CborSerializable {}

  /** Heat per range (rows, in ring order) per time bucket (columns, oldest first). */
  public record HeatmapView(String resolution, long bucketMillis, long fromMillis, List<String> rangeIds, double[][] heat)
      implements CborSerializable {}

  /** A tick whose load was {@code zScore} standard deviations off its range's moving average. */
  public record Anomaly(long timeMillis, String rangeId, double requestsPerSecond, double movingAverage, double zScore)
      implements CborSerializable {}

  public record AnomaliesView(List<Anomaly> anomalies) implements CborSerializable {}

  /**
   * Two ranges accessed together ({@code coAccess}: how often, by one batch or one client within
   * the window, fading) and the Pearson correlation of their per-second load over the last 10 min.
   */
  public record CorrelatedRanges(String a, String b, double coAccess, double loadCorrelation) implements CborSerializable {}

  public record CorrelationsView(List<CorrelatedRanges> pairs) implements CborSerializable {}

  /** Where and as whom the profiler reports each tick; {@code ring} must be the Coordinator's. */
  public record Reporting(String node, RingCells ring, Consumer<LoadReport> to) {}

  static final List<AccessHeatmap.Resolution> RESOLUTIONS = List.of(
      new AccessHeatmap.Resolution("1s", 1_000, 600), new AccessHeatmap.Resolution("1m", 60_000, 1_440));
  private static final int HEATMAP_CELLS = 1024;
  private static final int MAX_ANOMALIES = 256;
  private static final double HOT_KEY_SHARE = 0.01;
  private static final int TOP_PAIRS = 50;

  private final AccessRecorder recorder;
  private final RangeSizes sizes;
  private final ProfilerSettings settings;
  private final LongSupplier clock;
  private final Reporting reporting;
  private final AccessHeatmap heatmap = new AccessHeatmap(HEATMAP_CELLS, RESOLUTIONS);
  private final ArrayDeque<Anomaly> anomalies = new ArrayDeque<>();
  // Co-access within 100 ms by one client or batch; bounded: 10k pairs, 10k clients, 8 recent each.
  private final CorrelationMatrix correlations = new CorrelationMatrix(100, 10_000, 10_000, 8);
  private ShardMap map;
  private RangeProfile[] profiles;
  private RangeProfile[] completedProfiles;
  private LoadTrend[] trends;
  private int ticksInWindow;
  private long lastTickMillis;
  private LoadView latest;

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
    this.settings = settings;
    this.reporting = reporting;
    this.clock = clock;
    this.lastTickMillis = clock.getAsLong();
    startRanges(recorder.map());
    this.latest = new LoadView(lastTickMillis, map.epoch(), List.of());
  }

  private void startRanges(ShardMap newMap) {
    map = newMap;
    profiles = newProfiles(newMap);
    completedProfiles = newProfiles(newMap);
    trends = new LoadTrend[newMap.size()];
    for (int i = 0; i < trends.length; i++) {
      trends[i] = new LoadTrend(settings.trendWindow(), settings.anomalyZ(), Math.min(30, settings.trendWindow()), 1.0);
    }
    ticksInWindow = 0;
  }

  private static RangeProfile[] newProfiles(ShardMap map) {
    RangeProfile[] result = new RangeProfile[map.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = new RangeProfile(map.placements().get(i).range(), 256, 64);
    }
    return result;
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
    long now = clock.getAsLong();
    long tickMillis = now - lastTickMillis;
    double seconds = Math.max(0.001, tickMillis / 1000.0);
    lastTickMillis = now;
    ShardMap current = recorder.map();
    if (current != map) {
      startRanges(current);
    }
    LoadSpread spread = new LoadSpread(reporting.ring(), map.size());
    recorder.log().drain(access -> {
      int index = map.indexOf(access.keyHash());
      profiles[index].add(access);
      spread.sample(index, access.keyHash());
      correlations.recordAccess(access.clientId(), map.placements().get(index).rangeId(), access.timeMillis());
    });
    List<ShardLoad> loads = new ArrayList<>(map.size());
    long[] accessesPerRange = new long[map.size()];
    for (int i = 0; i < map.size(); i++) {
      RangePlacement p = map.placements().get(i);
      RangeLoadCounters.Snapshot counted = recorder.counters(i).takeSnapshot();
      RangeSizes.Size size = sizes.find(p.entityId());
      long accesses = counted.reads() + counted.writes();
      accessesPerRange[i] = accesses;
      LoadTrend.Observation o = trends[i].add(accesses / seconds);
      if (o.anomaly()) {
        anomalies.addLast(new Anomaly(now, p.rangeId(), o.value(), o.mean(), o.zScore()));
        if (anomalies.size() > MAX_ANOMALIES) {
          anomalies.removeFirst();
        }
      }
      if (accesses > 0) {
        heatmap.record(now, p.range(), accesses);
      }
      loads.add(new ShardLoad(p.rangeId(), p.range().startString(), p.range().endString(),
          counted.reads() / seconds, counted.writes() / seconds, counted.bytesIn() / seconds,
          counted.bytesOut() / seconds, counted.p50Micros() / 1000.0, counted.p99Micros() / 1000.0,
          trends[i].movingAverage(), o.slope(),
          size == null ? null : size.keys(), size == null ? null : size.bytes()));
    }
    latest = new LoadView(now, map.epoch(), List.copyOf(loads));
    reporting.to().accept(new LoadReport(reporting.node(), now, map.epoch(), tickMillis, latest.ranges(),
        spread.spread(map.placements().stream().map(RangePlacement::range).toList(), accessesPerRange)));
    if (++ticksInWindow >= settings.profileWindow()) {
      completedProfiles = profiles;
      profiles = newProfiles(map);
      ticksInWindow = 0;
    }
    return this;
  }

  private Behavior<Command> onGetLoad(GetLoad query) {
    query.replyTo().tell(latest);
    return this;
  }

  private Behavior<Command> onGetHotKeys(GetHotKeys query) {
    int index = -1;
    for (int i = 0; i < map.size(); i++) {
      if (map.placements().get(i).rangeId().equals(query.rangeId())) {
        index = i;
      }
    }
    if (index < 0) {
      query.replyTo().tell(new HotKeysView(false, query.rangeId(), 0, List.of(), null));
      return this;
    }
    // The window being filled, or the last complete one while the new one has less to say.
    RangeProfile profile = profiles[index].sampled() >= completedProfiles[index].sampled()
        ? profiles[index] : completedProfiles[index];
    query.replyTo().tell(new HotKeysView(true, query.rangeId(), profile.sampled(), profile.hotKeys(HOT_KEY_SHARE),
        profile.loadMedian().isPresent() ? Long.toUnsignedString(profile.loadMedian().getAsLong()) : null));
    return this;
  }

  private Behavior<Command> onGetHeatmap(GetHeatmap query) {
    AccessHeatmap.Resolution resolution = RESOLUTIONS.get(query.resolution());
    long to = lastTickMillis;
    long from = to - resolution.bucketMillis() * (resolution.buckets() - 1);
    List<KeyRange> ranges = map.placements().stream().map(RangePlacement::range).toList();
    query.replyTo().tell(new HeatmapView(resolution.name(), resolution.bucketMillis(),
        Math.floorDiv(from, resolution.bucketMillis()) * resolution.bucketMillis(),
        map.placements().stream().map(RangePlacement::rangeId).toList(),
        heatmap.matrix(query.resolution(), ranges, from, to)));
    return this;
  }

  private Behavior<Command> onGetCorrelations(GetCorrelations query) {
    List<String> ids = map.placements().stream().map(RangePlacement::rangeId).toList();
    AccessHeatmap.Resolution seconds = RESOLUTIONS.get(0);
    double[][] load = heatmap.matrix(0, map.placements().stream().map(RangePlacement::range).toList(),
        lastTickMillis - seconds.bucketMillis() * (seconds.buckets() - 1), lastTickMillis);
    List<CorrelatedRanges> pairs = new ArrayList<>();
    for (CorrelationMatrix.Pair pair : correlations.topPairs(TOP_PAIRS)) {
      int a = ids.indexOf(pair.a());
      int b = ids.indexOf(pair.b());
      if (a >= 0 && b >= 0) {
        pairs.add(new CorrelatedRanges(pair.a(), pair.b(), pair.strength(), CorrelationMatrix.pearson(load[a], load[b])));
      }
    }
    query.replyTo().tell(new CorrelationsView(List.copyOf(pairs)));
    return this;
  }

  private Behavior<Command> onGetAnomalies(GetAnomalies query) {
    query.replyTo().tell(new AnomaliesView(List.copyOf(anomalies)));
    return this;
  }
}
