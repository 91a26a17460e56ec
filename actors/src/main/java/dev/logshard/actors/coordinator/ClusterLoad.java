package dev.logshard.actors.coordinator;

import dev.logshard.actors.support.OnLogInstance;
import dev.logshard.actors.support.Supervision;
import dev.logshard.core.CborSerializable;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.coordinator.ClusterLoadState;
import dev.logshard.core.forecast.ForecastSettings;
import dev.logshard.core.forecast.RingForecast;
import dev.logshard.core.profile.CellCounts;
import dev.logshard.core.profile.CorrelationMatrix;
import dev.logshard.core.profile.LoadHistory;
import dev.logshard.core.profile.LoadReport;
import dev.logshard.core.profile.ShardLoad;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The cluster-wide view of load, kept by the Coordinator (a child of the singleton, so one per
 * cluster): the latest {@link LoadReport} of every node, summed per range, the persisted
 * {@link LoadHistory} of where on the ring the accesses fell, and the {@link RingForecast} learnt
 * from them (a {@link ClusterLoadState}).
 *
 * <p>Lifecycle: spawned by the Coordinator, on its journal under its own persistence id (the
 * history does not grow the map's journal, and survives the map). Reports are held in memory;
 * every {@code flush-interval} the accesses reported since the last flush are journaled as one
 * {@link HistoryRecorded} event, and every forecast step the requests per second per ring segment
 * since the last step as one {@link ForecastStepped}. Snapshots every hour's worth of events
 * replace the events before them, so the journal stays small. After a restart the history and the
 * forecasts are back, the reports come in again.
 */
public final class ClusterLoad extends OnLogInstance<ClusterLoad.Command, ClusterLoad.Event, ClusterLoadState> {

  /** Journaled on the Coordinator's log instance, with it. */
  static final String PERSISTENCE_ID = "ClusterLoad";

  public sealed interface Command extends CborSerializable {}

  /** A node's report, forwarded by the Coordinator. */
  public record Report(LoadReport report) implements Command {}

  /** The cluster-wide view over the ranges of {@code map} (null: before the map exists). */
  public record GetView(ShardMap map, ActorRef<View> replyTo) implements Command {}

  public record GetHistory(ActorRef<LoadHistory> replyTo) implements Command {}

  /** Journal what was reported since the last flush. */
  enum Flush implements Command { INSTANCE }

  /** Feed the forecasts what was reported since the last step. */
  enum Step implements Command { INSTANCE }

  public sealed interface Event extends CborSerializable {}

  /** Accesses reported over one flush interval, per cell. */
  public record HistoryRecorded(long timeMillis, CellCounts cells) implements Event {}

  /** Requests per second per ring segment over one forecast step. */
  public record ForecastStepped(long timeMillis, double[] requestsPerSecond) implements Event {}

  /** A node that reported within the expiry, with its requests per second. */
  public record NodeLoad(String node, long reportedAtMillis, long epoch, double requestsPerSecond,
      Map<String, Double> roundTripMillis) implements CborSerializable {}

  /**
   * A range's load summed over the nodes that reported it (latency: the worst node's), its size as
   * its host reported it, the hash that divides the last reports' accesses in it in two
   * ({@code recentSplitPoint}, null without accesses), and what the history says of it: its share
   * of the past load and the hash that divides its past load in two (null without history); and
   * its forecast; the largest share of its accesses any node saw go to one key (null: unknown); and
   * the node that runs it ({@code host:port}, the one that reports its size; null: not known yet).
   */
  public record RangeLoad(
      String rangeId, String start, String end, double readsPerSecond, double writesPerSecond,
      double bytesInPerSecond, double bytesOutPerSecond, double p50LatencyMillis, double p99LatencyMillis,
      double averageRequestsPerSecond, double trendSlope, Long keyCount, Long storedBytes, int reportingNodes,
      double historyShare, String historySplitPoint, String recentSplitPoint, Forecast forecast, Double topKeyShare,
      String node) implements CborSerializable {}

  /**
   * A range's forecast: requests per second {@code horizonSeconds} ahead, the last step's observed
   * rate, the mean absolute percentage error at that horizon (null before any came true), and whether
   * the models have two seasons behind them (before that, the forecast is the last step's rate).
   */
  public record Forecast(double requestsPerSecond, double observedRequestsPerSecond, Double mape, boolean ready,
      long horizonSeconds, long stepSeconds) implements CborSerializable {}

  /**
   * The whole cluster's load, per range of the current map, and the pairs of ranges used together
   * (each pair's strength summed over the nodes that saw it).
   */
  public record View(long timeMillis, long epoch, List<NodeLoad> nodes, List<RangeLoad> ranges,
      double historyAccesses, long historyAsOfMillis, List<CorrelationMatrix.Pair> correlated)
      implements CborSerializable {}

  private record Received(LoadReport report, long arrivedMillis) {}

  private final LoadHistorySettings settings;
  private final ForecastSettings forecastSettings;
  private final LongSupplier clock;
  private final Map<String, Received> latest = new LinkedHashMap<>();
  private double[] pending;
  private boolean anyPending;
  /** Accesses per cell since the last forecast step, which began at {@code stepStartMillis}. */
  private double[] stepPending;
  private long stepStartMillis;

  public static Behavior<Command> create(Plugins plugins, LoadHistorySettings settings, ForecastSettings forecast,
      LongSupplier clock) {
    return Behaviors.<Command>supervise(Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Flush.INSTANCE, settings.flushInterval());
      timers.startTimerWithFixedDelay(Step.INSTANCE, forecast.step());
      return new ClusterLoad(plugins, settings, forecast, clock);
    })).onFailure(Supervision.restartWithBackoff());
  }

  private ClusterLoad(Plugins plugins, LoadHistorySettings settings, ForecastSettings forecast, LongSupplier clock) {
    super(PersistenceId.ofUniqueId(PERSISTENCE_ID), plugins);
    this.settings = settings;
    this.forecastSettings = forecast;
    this.clock = clock;
    this.pending = new double[settings.cells()];
    this.stepPending = new double[settings.cells()];
    this.stepStartMillis = clock.getAsLong();
    if (settings.cells() % forecast.segments() != 0) {
      throw new IllegalArgumentException("logshard.planner.forecast.segments (" + forecast.segments()
          + ") must divide logshard.load-history.cells (" + settings.cells() + ")");
    }
  }

  @Override
  public ClusterLoadState emptyState() {
    return ClusterLoadState.empty(settings.cells(), forecastSettings);
  }

  /** Snapshots written before the forecast existed hold the history alone. */
  @Override
  public SnapshotAdapter<ClusterLoadState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(ClusterLoadState state) {
        return state;
      }

      @Override
      public ClusterLoadState fromJournal(Object from) {
        return from instanceof LoadHistory history
            ? new ClusterLoadState(history, RingForecast.create(forecastSettings))
            : (ClusterLoadState) from;
      }
    };
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    long perHour = Math.max(1, java.time.Duration.ofHours(1).toMillis() / settings.flushInterval().toMillis());
    return RetentionCriteria.snapshotEvery((int) Math.min(perHour, 1_000), 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, ClusterLoadState> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Report.class, this::onReport)
        .onCommand(Flush.class, this::onFlush)
        .onCommand(Step.class, this::onStep)
        .onCommand(GetView.class, this::onGetView)
        .onCommand(GetHistory.class, (state, query) -> Effect().reply(query.replyTo(), state.history()))
        .build();
  }

  private ReplyEffect<Event, ClusterLoadState> onReport(ClusterLoadState state, Report message) {
    LoadReport report = message.report();
    latest.put(report.node(), new Received(report, clock.getAsLong()));
    if (report.cells().addTo(pending) > 0) {
      anyPending = true;
    }
    report.cells().addTo(stepPending);
    return Effect().noReply();
  }

  /** Every step, even one without accesses: a quiet step is an observation too. */
  private ReplyEffect<Event, ClusterLoadState> onStep(ClusterLoadState state, Step step) {
    long now = clock.getAsLong();
    double seconds = Math.max(1, now - stepStartMillis) / 1000.0;
    double[] rates = state.forecast(forecastSettings).rates(stepPending, seconds);
    stepPending = new double[settings.cells()];
    stepStartMillis = now;
    return Effect().persist(new ForecastStepped(now, rates)).thenNoReply();
  }

  private ReplyEffect<Event, ClusterLoadState> onFlush(ClusterLoadState state, Flush flush) {
    long now = clock.getAsLong();
    latest.values().removeIf(r -> now - r.arrivedMillis() > settings.reportExpiry().toMillis());
    if (!anyPending) {
      return Effect().noReply();
    }
    CellCounts cells = CellCounts.of(pending);
    pending = new double[settings.cells()];
    anyPending = false;
    return Effect().persist(new HistoryRecorded(now, cells)).thenNoReply();
  }

  private ReplyEffect<Event, ClusterLoadState> onGetView(ClusterLoadState state, GetView query) {
    LoadHistory history = state.history();
    RingForecast forecast = state.forecast(forecastSettings);
    long now = clock.getAsLong();
    List<LoadReport> fresh = latest.values().stream()
        .filter(r -> now - r.arrivedMillis() <= settings.reportExpiry().toMillis())
        .map(Received::report)
        .toList();
    List<NodeLoad> nodes = fresh.stream()
        .map(r -> new NodeLoad(r.node(), r.timeMillis(), r.epoch(),
            r.ranges().stream().mapToDouble(l -> l.readsPerSecond() + l.writesPerSecond()).sum(), r.roundTripMillis()))
        .toList();
    List<RangeLoad> ranges = new ArrayList<>();
    if (query.map() != null) {
      double total = history.totalLoad();
      // The last tick of every node, on the ring: where the load is now (the history fades over hours).
      LoadHistory recent = LoadHistory.empty(settings.cells());
      for (LoadReport report : fresh) {
        recent = recent.add(report.timeMillis(), report.cells(), settings.halfLife().toMillis());
      }
      // Each report's ranges by id, once: a view over many ranges stays linear in them.
      Map<String, List<Reported>> byRange = new HashMap<>();
      for (LoadReport report : fresh) {
        for (ShardLoad load : report.ranges()) {
          byRange.computeIfAbsent(load.rangeId(), id -> new ArrayList<>()).add(new Reported(report.node(), load));
        }
      }
      for (RangePlacement p : query.map().placements()) {
        ranges.add(rangeLoad(p, byRange.getOrDefault(p.rangeId(), List.of()), history, total, recent,
            forecast(forecast, p.range(), history)));
      }
    }
    return Effect().reply(query.replyTo(), new View(now, query.map() == null ? 0 : query.map().epoch(),
        nodes, List.copyOf(ranges), history.accesses(), history.asOfMillis(), correlated(fresh)));
  }

  /** The pairs every fresh report names, each pair's strengths summed, strongest first. */
  private static List<CorrelationMatrix.Pair> correlated(List<LoadReport> fresh) {
    Map<List<String>, Double> strength = new HashMap<>();
    for (LoadReport report : fresh) {
      report.correlated().forEach(p -> strength.merge(List.of(p.a(), p.b()), p.strength(), Double::sum));
    }
    return strength.entrySet().stream()
        .map(e -> new CorrelationMatrix.Pair(e.getKey().get(0), e.getKey().get(1), e.getValue()))
        .sorted(Comparator.comparingDouble(CorrelationMatrix.Pair::strength).reversed()
            .thenComparing(CorrelationMatrix.Pair::a).thenComparing(CorrelationMatrix.Pair::b))
        .toList();
  }

  private Forecast forecast(RingForecast forecast, KeyRange range, LoadHistory history) {
    RingForecast.Forecast f = forecast.of(range, history);
    return new Forecast(f.requestsPerSecond(), f.observedRequestsPerSecond(), Double.isNaN(f.mape()) ? null : f.mape(),
        f.ready(), forecastSettings.horizonSteps() * forecastSettings.step().toSeconds(),
        forecastSettings.step().toSeconds());
  }

  /** {@code p}'s load from what each node reported of it ({@code reported}). */
  /** One node's report of one range. */
  private record Reported(String node, ShardLoad load) {}

  private static RangeLoad rangeLoad(RangePlacement p, List<Reported> reported, LoadHistory history, double total,
      LoadHistory recent, Forecast forecast) {
    double reads = 0;
    double writes = 0;
    double bytesIn = 0;
    double bytesOut = 0;
    double p50 = 0;
    double p99 = 0;
    double average = 0;
    double slope = 0;
    Long keys = null;
    Long bytes = null;
    Double topKey = null;
    String node = null;
    int reporting = 0;
    for (Reported one : reported) {
      ShardLoad load = one.load();
      reporting++;
      reads += load.readsPerSecond();
      writes += load.writesPerSecond();
      bytesIn += load.bytesInPerSecond();
      bytesOut += load.bytesOutPerSecond();
      p50 = Math.max(p50, load.p50LatencyMillis());
      p99 = Math.max(p99, load.p99LatencyMillis());
      average += load.averageRequestsPerSecond();
      slope += load.trendSlope();
      if (load.topKeyShare() != null && (topKey == null || load.topKeyShare() > topKey)) {
        topKey = load.topKeyShare();
      }
      // The node that hosts the range knows its size.
      if (load.keyCount() != null && (keys == null || load.keyCount() > keys)) {
        keys = load.keyCount();
        bytes = load.storedBytes();
        node = one.node();
      }
    }
    KeyRange range = p.range();
    var median = history.median(range);
    var recentMedian = recent.median(range);
    return new RangeLoad(p.rangeId(), range.startString(), range.endString(), reads, writes, bytesIn, bytesOut,
        p50, p99, average, slope, keys, bytes, reporting, total > 0 ? history.loadIn(range) / total : 0,
        median.isPresent() ? Long.toUnsignedString(median.getAsLong()) : null,
        recentMedian.isPresent() ? Long.toUnsignedString(recentMedian.getAsLong()) : null, forecast, topKey, node);
  }

  @Override
  public EventHandler<ClusterLoadState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(HistoryRecorded.class,
            (state, e) -> state.recorded(e.timeMillis(), e.cells(), settings.halfLife().toMillis()))
        .onEvent(ForecastStepped.class, (state, e) -> state.stepped(e.requestsPerSecond(), forecastSettings))
        .build();
  }
}
