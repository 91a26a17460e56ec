package dev.logshard.actors.coordinator;

import dev.logshard.actors.support.OnLogInstance;
import dev.logshard.actors.support.Supervision;
import dev.logshard.core.CborSerializable;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.CellCounts;
import dev.logshard.core.profile.LoadHistory;
import dev.logshard.core.profile.LoadReport;
import dev.logshard.core.profile.ShardLoad;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The cluster-wide view of load, kept by the Coordinator (a child of the singleton, so one per
 * cluster): the latest {@link LoadReport} of every node, summed per range, and the persisted
 * {@link LoadHistory} of where on the ring the accesses fell.
 *
 * <p>Lifecycle: spawned by the Coordinator, on its journal under its own persistence id (the
 * history does not grow the map's journal, and survives the map). Reports are held in memory;
 * every {@code flush-interval} the accesses reported since the last flush are journaled as one
 * {@link HistoryRecorded} event. Snapshots every hour's worth of events replace the events before
 * them, so the journal stays small. After a restart the history is back, the reports come in again.
 */
public final class ClusterLoad
    extends OnLogInstance<ClusterLoad.Command, ClusterLoad.HistoryRecorded, LoadHistory> {

  public sealed interface Command extends CborSerializable {}

  /** A node's report, forwarded by the Coordinator. */
  public record Report(LoadReport report) implements Command {}

  /** The cluster-wide view over the ranges of {@code map} (null: before the map exists). */
  public record GetView(ShardMap map, ActorRef<View> replyTo) implements Command {}

  public record GetHistory(ActorRef<LoadHistory> replyTo) implements Command {}

  /** Journal what was reported since the last flush. */
  enum Flush implements Command { INSTANCE }

  /** Accesses reported over one flush interval, per cell. */
  public record HistoryRecorded(long timeMillis, CellCounts cells) implements CborSerializable {}

  /** A node that reported within the expiry, with its requests per second. */
  public record NodeLoad(String node, long reportedAtMillis, long epoch, double requestsPerSecond)
      implements CborSerializable {}

  /**
   * A range's load summed over the nodes that reported it (latency: the worst node's), its size as
   * its host reported it, the hash that divides the last reports' accesses in it in two
   * ({@code recentSplitPoint}, null without accesses), and what the history says of it: its share
   * of the past load and the hash that divides its past load in two (null without history).
   */
  public record RangeLoad(
      String rangeId, String start, String end, double readsPerSecond, double writesPerSecond,
      double bytesInPerSecond, double bytesOutPerSecond, double p50LatencyMillis, double p99LatencyMillis,
      double averageRequestsPerSecond, double trendSlope, Long keyCount, Long storedBytes, int reportingNodes,
      double historyShare, String historySplitPoint, String recentSplitPoint) implements CborSerializable {}

  /** The whole cluster's load, per range of the current map. */
  public record View(long timeMillis, long epoch, List<NodeLoad> nodes, List<RangeLoad> ranges,
      double historyAccesses, long historyAsOfMillis) implements CborSerializable {}

  private record Received(LoadReport report, long arrivedMillis) {}

  private final LoadHistorySettings settings;
  private final LongSupplier clock;
  private final Map<String, Received> latest = new LinkedHashMap<>();
  private double[] pending;
  private boolean anyPending;

  public static Behavior<Command> create(Plugins plugins, LoadHistorySettings settings,
      LongSupplier clock) {
    return Behaviors.<Command>supervise(Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Flush.INSTANCE, settings.flushInterval());
      return new ClusterLoad(plugins, settings, clock);
    })).onFailure(Supervision.restartWithBackoff());
  }

  private ClusterLoad(Plugins plugins, LoadHistorySettings settings,
      LongSupplier clock) {
    super(PersistenceId.ofUniqueId("ClusterLoad"), plugins);
    this.settings = settings;
    this.clock = clock;
    this.pending = new double[settings.cells()];
  }

  @Override
  public LoadHistory emptyState() {
    return LoadHistory.empty(settings.cells());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    long perHour = Math.max(1, java.time.Duration.ofHours(1).toMillis() / settings.flushInterval().toMillis());
    return RetentionCriteria.snapshotEvery((int) Math.min(perHour, 1_000), 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public CommandHandlerWithReply<Command, HistoryRecorded, LoadHistory> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Report.class, this::onReport)
        .onCommand(Flush.class, this::onFlush)
        .onCommand(GetView.class, this::onGetView)
        .onCommand(GetHistory.class, (history, query) -> Effect().reply(query.replyTo(), history))
        .build();
  }

  private ReplyEffect<HistoryRecorded, LoadHistory> onReport(LoadHistory history, Report message) {
    LoadReport report = message.report();
    latest.put(report.node(), new Received(report, clock.getAsLong()));
    if (report.cells().addTo(pending) > 0) {
      anyPending = true;
    }
    return Effect().noReply();
  }

  private ReplyEffect<HistoryRecorded, LoadHistory> onFlush(LoadHistory history, Flush flush) {
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

  private ReplyEffect<HistoryRecorded, LoadHistory> onGetView(LoadHistory history, GetView query) {
    long now = clock.getAsLong();
    List<LoadReport> fresh = latest.values().stream()
        .filter(r -> now - r.arrivedMillis() <= settings.reportExpiry().toMillis())
        .map(Received::report)
        .toList();
    List<NodeLoad> nodes = fresh.stream()
        .map(r -> new NodeLoad(r.node(), r.timeMillis(), r.epoch(),
            r.ranges().stream().mapToDouble(l -> l.readsPerSecond() + l.writesPerSecond()).sum()))
        .toList();
    List<RangeLoad> ranges = new ArrayList<>();
    if (query.map() != null) {
      double total = history.totalLoad();
      // The last tick of every node, on the ring: where the load is now (the history fades over hours).
      LoadHistory recent = LoadHistory.empty(settings.cells());
      for (LoadReport report : fresh) {
        recent = recent.add(report.timeMillis(), report.cells(), settings.halfLife().toMillis());
      }
      for (RangePlacement p : query.map().placements()) {
        ranges.add(rangeLoad(p, fresh, history, total, recent));
      }
    }
    return Effect().reply(query.replyTo(), new View(now, query.map() == null ? 0 : query.map().epoch(),
        nodes, List.copyOf(ranges), history.accesses(), history.asOfMillis()));
  }

  private static RangeLoad rangeLoad(RangePlacement p, List<LoadReport> reports, LoadHistory history, double total,
      LoadHistory recent) {
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
    int reporting = 0;
    for (LoadReport report : reports) {
      for (ShardLoad load : report.ranges()) {
        if (load.rangeId().equals(p.rangeId())) {
          reporting++;
          reads += load.readsPerSecond();
          writes += load.writesPerSecond();
          bytesIn += load.bytesInPerSecond();
          bytesOut += load.bytesOutPerSecond();
          p50 = Math.max(p50, load.p50LatencyMillis());
          p99 = Math.max(p99, load.p99LatencyMillis());
          average += load.averageRequestsPerSecond();
          slope += load.trendSlope();
          // The node that hosts the range knows its size.
          if (load.keyCount() != null && (keys == null || load.keyCount() > keys)) {
            keys = load.keyCount();
            bytes = load.storedBytes();
          }
        }
      }
    }
    KeyRange range = p.range();
    var median = history.median(range);
    var recentMedian = recent.median(range);
    return new RangeLoad(p.rangeId(), range.startString(), range.endString(), reads, writes, bytesIn, bytesOut,
        p50, p99, average, slope, keys, bytes, reporting, total > 0 ? history.loadIn(range) / total : 0,
        median.isPresent() ? Long.toUnsignedString(median.getAsLong()) : null,
        recentMedian.isPresent() ? Long.toUnsignedString(recentMedian.getAsLong()) : null);
  }

  @Override
  public EventHandler<LoadHistory, HistoryRecorded> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onAnyEvent((history, e) -> history.add(e.timeMillis(), e.cells(), settings.halfLife().toMillis()));
  }
}
