package dev.logshard.core.profile;

import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.ProfileViews.AnomaliesView;
import dev.logshard.core.profile.ProfileViews.Anomaly;
import dev.logshard.core.profile.ProfileViews.CorrelatedRanges;
import dev.logshard.core.profile.ProfileViews.CorrelationsView;
import dev.logshard.core.profile.ProfileViews.HeatmapView;
import dev.logshard.core.profile.ProfileViews.HotKeysView;
import dev.logshard.core.profile.ProfileViews.LoadView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A node's profile, as plain Java: each {@link #tick} turns what the request path recorded (the
 * {@link AccessRecorder}'s counters and sampled AccessLog) into per-range load per second, trends
 * and anomalies, hot keys and split points, the access heatmap and co-access between ranges, and
 * the {@link LoadReport} for the Coordinator; the views answer the admin API. The Profiler actor
 * runs it on its own thread, never on the request path.
 *
 * <p>Lifecycle: one per node. When the ShardMap changes, range-keyed state starts afresh; the
 * heatmap keeps its history (it is keyed by hash interval). Not thread-safe.
 */
public final class NodeProfile {

  /** The heatmap's two resolutions: 1 s buckets for 10 min, 1 min buckets for 24 h. */
  public static final List<AccessHeatmap.Resolution> RESOLUTIONS = List.of(
      new AccessHeatmap.Resolution("1s", 1_000, 600), new AccessHeatmap.Resolution("1m", 60_000, 1_440));
  /** The heatmap's ring cells: fine enough that ranges of a split still see their own history. */
  private static final int HEATMAP_CELLS = 1024;
  /** Anomalies kept for the admin API, newest last. */
  private static final int MAX_ANOMALIES = 256;
  /** A hot key takes at least this share of its range's sampled accesses. */
  private static final double HOT_KEY_SHARE = 0.01;
  /** Samples a range's profile window needs before its top key's share is reported. */
  private static final long TOP_KEY_MIN_SAMPLES = 100;
  /** Co-accessed range pairs shown. */
  private static final int TOP_PAIRS = 50;
  /** Each range's key-hash histogram for its load median, and its frequent-items sketch (log2 of its size). */
  private static final int HISTOGRAM_BUCKETS = 256;
  private static final int HOT_KEY_SKETCH = 64;
  /** Co-access: within 100 ms by one client or batch; bounded at 10k pairs, 10k clients, 8 recent ranges each. */
  private static final long CO_ACCESS_WINDOW_MILLIS = 100;
  private static final int MAX_PAIRS = 10_000;
  private static final int MAX_CLIENTS = 10_000;
  private static final int RECENT_PER_CLIENT = 8;
  /** A trend's slope is fitted over at most this many ticks. */
  private static final int MAX_SLOPE_TICKS = 30;

  private final ProfilerSettings settings;
  private final String node;
  private final RingCells ring;
  private final AccessHeatmap heatmap = new AccessHeatmap(HEATMAP_CELLS, RESOLUTIONS);
  private final ArrayDeque<Anomaly> anomalies = new ArrayDeque<>();
  private final CorrelationMatrix correlations =
      new CorrelationMatrix(CO_ACCESS_WINDOW_MILLIS, MAX_PAIRS, MAX_CLIENTS, RECENT_PER_CLIENT);
  private ShardMap map;
  private RangeProfile[] profiles;
  private RangeProfile[] completedProfiles;
  private LoadTrend[] trends;
  private int ticksInWindow;
  private long lastTickMillis;
  private LoadView latest;

  /** {@code node} names this node in its reports; {@code ring} must be the Coordinator's. */
  public NodeProfile(ShardMap map, ProfilerSettings settings, String node, RingCells ring, long nowMillis) {
    this.settings = settings;
    this.node = node;
    this.ring = ring;
    this.lastTickMillis = nowMillis;
    startRanges(map);
    this.latest = new LoadView(nowMillis, map.epoch(), List.of());
  }

  private void startRanges(ShardMap newMap) {
    map = newMap;
    profiles = newProfiles(newMap);
    completedProfiles = newProfiles(newMap);
    trends = new LoadTrend[newMap.size()];
    for (int i = 0; i < trends.length; i++) {
      trends[i] = new LoadTrend(settings.trendWindow(), settings.anomalyZ(),
          Math.min(MAX_SLOPE_TICKS, settings.trendWindow()), 1.0);
    }
    ticksInWindow = 0;
  }

  private static RangeProfile[] newProfiles(ShardMap map) {
    RangeProfile[] result = new RangeProfile[map.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = new RangeProfile(map.placements().get(i).range(), HISTOGRAM_BUCKETS, HOT_KEY_SKETCH);
    }
    return result;
  }

  /** Aggregates what {@code recorder} holds since the last tick; the report for the Coordinator. */
  public LoadReport tick(AccessRecorder recorder, RangeSizes sizes, long now) {
    long tickMillis = now - lastTickMillis;
    double seconds = Math.max(0.001, tickMillis / 1000.0);
    lastTickMillis = now;
    ShardMap current = recorder.map();
    if (current != map) {
      startRanges(current);
    }
    LoadSpread spread = new LoadSpread(ring, map.size());
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
      var topKey = accesses > 0 ? windowProfile(i).topKeyShare(TOP_KEY_MIN_SAMPLES) : java.util.OptionalDouble.empty();
      loads.add(new ShardLoad(p.rangeId(), p.range().startString(), p.range().endString(),
          counted.reads() / seconds, counted.writes() / seconds, counted.bytesIn() / seconds,
          counted.bytesOut() / seconds, counted.p50Micros() / 1000.0, counted.p99Micros() / 1000.0,
          trends[i].movingAverage(), o.slope(),
          size == null ? null : size.keys(), size == null ? null : size.bytes(),
          topKey.isPresent() ? topKey.getAsDouble() : null));
    }
    latest = new LoadView(now, map.epoch(), List.copyOf(loads));
    if (++ticksInWindow >= settings.profileWindow()) {
      completedProfiles = profiles;
      profiles = newProfiles(map);
      ticksInWindow = 0;
    }
    return new LoadReport(node, now, map.epoch(), tickMillis, latest.ranges(),
        spread.spread(map.placements().stream().map(RangePlacement::range).toList(), accessesPerRange),
        correlations.topPairs(TOP_PAIRS), Map.of());
  }

  public LoadView load() {
    return latest;
  }

  public HotKeysView hotKeys(String rangeId) {
    int index = -1;
    for (int i = 0; i < map.size(); i++) {
      if (map.placements().get(i).rangeId().equals(rangeId)) {
        index = i;
      }
    }
    if (index < 0) {
      return new HotKeysView(false, rangeId, 0, List.of(), null);
    }
    RangeProfile profile = windowProfile(index);
    return new HotKeysView(true, rangeId, profile.sampled(), profile.hotKeys(HOT_KEY_SHARE),
        profile.loadMedian().isPresent() ? Long.toUnsignedString(profile.loadMedian().getAsLong()) : null);
  }

  /** The window being filled, or the last complete one while the new one has less to say. */
  private RangeProfile windowProfile(int index) {
    return profiles[index].sampled() >= completedProfiles[index].sampled() ? profiles[index] : completedProfiles[index];
  }

  /** {@code resolution}: an index into {@link #RESOLUTIONS}. */
  public HeatmapView heatmap(int resolution) {
    AccessHeatmap.Resolution r = RESOLUTIONS.get(resolution);
    long to = lastTickMillis;
    long from = to - r.bucketMillis() * (r.buckets() - 1);
    List<KeyRange> ranges = map.placements().stream().map(RangePlacement::range).toList();
    return new HeatmapView(r.name(), r.bucketMillis(), Math.floorDiv(from, r.bucketMillis()) * r.bucketMillis(),
        map.placements().stream().map(RangePlacement::rangeId).toList(), heatmap.matrix(resolution, ranges, from, to));
  }

  public CorrelationsView correlations() {
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
    return new CorrelationsView(List.copyOf(pairs));
  }

  public AnomaliesView anomalies() {
    return new AnomaliesView(List.copyOf(anomalies));
  }
}
