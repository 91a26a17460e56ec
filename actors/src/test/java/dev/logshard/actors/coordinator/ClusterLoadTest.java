package dev.logshard.actors.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.logshard.actors.coordinator.CoordinatorCommand.CurrentShardMap;
import dev.logshard.actors.support.OnLogInstance;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.forecast.ForecastSettings;
import dev.logshard.core.planner.PlannerSettings;
import dev.logshard.core.profile.CellCounts;
import dev.logshard.core.profile.CorrelationMatrix;
import dev.logshard.core.profile.LoadHistory;
import dev.logshard.core.profile.LoadReport;
import dev.logshard.core.profile.RingCells;
import dev.logshard.core.profile.ShardLoad;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.testkit.SnapshotMeta;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Coordinator's cluster-wide load view and its persisted history, on the in-memory test journal. */
class ClusterLoadTest {

  private static final Config CONFIG = ConfigFactory.parseString("""
          # Events and snapshots go through Jackson CBOR, as with a real journal.
          pekko.persistence.testkit.events.serialize = on
          pekko.persistence.testkit.snapshots.serialize = on
          logshard.load-history.flush-interval = 50 ms
          logshard.load-history.seed-min-accesses = 1000
          """)
      .withFallback(EventSourcedBehaviorTestKit.config())
      .withFallback(PersistenceTestKitSnapshotPlugin.config())
      .withFallback(ConfigFactory.load());
  private static final LoadHistorySettings SETTINGS = LoadHistorySettings.create(CONFIG);
  private static final ForecastSettings FORECAST = ForecastSettings.create(CONFIG);
  private static final RingCells RING = new RingCells(SETTINGS.cells());
  private static final ShardMap SEED = ShardMap.initial(8, "standard");

  private final ActorTestKit testKit = ActorTestKit.create("ClusterLoadTest", CONFIG);
  private final AtomicLong clock = new AtomicLong(1_000_000);

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  private ActorRef<CoordinatorCommand> coordinator(boolean followsLoad) {
    ActorRef<CoordinatorCommand> ref = testKit.spawn(Coordinator.create(new Coordinator.Seed(SEED, followsLoad), OnLogInstance.Plugins.DEFAULT,
        (start, self) -> Behaviors.ignore(), SETTINGS,
        new Planning(PlannerSettings.create(ConfigFactory.load()), null, Set::of), Duration.ofSeconds(5), clock::get));
    return ref;
  }

  private ShardMap map(ActorRef<CoordinatorCommand> coordinator) {
    TestProbe<CurrentShardMap> probe = testKit.createTestProbe();
    coordinator.tell(new CoordinatorCommand.GetShardMap(probe.getRef()));
    return probe.receiveMessage().toShardMap();
  }

  private ClusterLoad.View view(ActorRef<CoordinatorCommand> coordinator) {
    TestProbe<ClusterLoad.View> probe = testKit.createTestProbe();
    coordinator.tell(new CoordinatorCommand.GetClusterLoad(probe.getRef()));
    return probe.receiveMessage();
  }

  private static <T> T await(Supplier<T> value, java.util.function.Predicate<T> done, String what) {
    Instant deadline = Instant.now().plusSeconds(10);
    T current = value.get();
    while (!done.test(current)) {
      assertTrue(Instant.now().isBefore(deadline), what + ": " + current);
      current = value.get();
    }
    return current;
  }

  /** A report where every access of the tick fell into the ring's first eighth's first cells. */
  private LoadReport hotReport(String node, double writesPerSecond, long keys) {
    double[] cells = new double[RING.count()];
    for (int c = 0; c < 16; c++) {
      cells[c] = writesPerSecond / 16;
    }
    ShardLoad r0 = new ShardLoad("r0", "0", "x", 0, writesPerSecond, 0, 0, 1, node.equals("a") ? 4 : 9,
        writesPerSecond, 0, keys, keys * 100);
    return new LoadReport(node, clock.get(), 1, 1_000, List.of(r0), CellCounts.of(cells));
  }

  /** Journals 4,000 accesses of r0's first cells with no Coordinator (and so no map) around. */
  private LoadHistory pastHistory() {
    ActorRef<ClusterLoad.Command> history = testKit.spawn(ClusterLoad.create(OnLogInstance.Plugins.DEFAULT, SETTINGS, FORECAST, clock::get));
    for (int i = 0; i < 40; i++) {
      history.tell(new ClusterLoad.Report(hotReport("a", 100, 5)));
    }
    history.tell(ClusterLoad.Flush.INSTANCE);
    TestProbe<LoadHistory> probe = testKit.createTestProbe();
    LoadHistory past = await(() -> {
      history.tell(new ClusterLoad.GetHistory(probe.getRef()));
      return probe.receiveMessage();
    }, h -> h.accesses() >= 4_000, "the history was never written");
    testKit.stop(history);
    return past;
  }

  private ClusterLoad.RangeLoad r0(ActorRef<ClusterLoad.Command> load) {
    TestProbe<ClusterLoad.View> probe = testKit.createTestProbe();
    load.tell(new ClusterLoad.GetView(SEED, probe.getRef()));
    return probe.receiveMessage().ranges().get(0);
  }

  @Test
  void theForecastLearnsEveryStepAndIsBackAfterARestart() {
    ActorRef<ClusterLoad.Command> load = testKit.spawn(
        ClusterLoad.create(OnLogInstance.Plugins.DEFAULT, SETTINGS, FORECAST, clock::get));
    assertEquals(0, r0(load).forecast().observedRequestsPerSecond(), 1e-9);
    load.tell(new ClusterLoad.Report(hotReport("a", 100, 5))); // 100 accesses in r0's first cells
    clock.addAndGet(10_000);
    load.tell(ClusterLoad.Step.INSTANCE); // a step of 10 s
    ClusterLoad.Forecast forecast = r0(load).forecast();
    assertEquals(10, forecast.observedRequestsPerSecond(), 1e-9);
    assertEquals(10, forecast.requestsPerSecond(), 1e-9, "the last step's rate, before two seasons");
    assertFalse(forecast.ready());
    assertEquals(FORECAST.step().toSeconds(), forecast.stepSeconds());
    testKit.stop(load);

    ActorRef<ClusterLoad.Command> again = testKit.spawn(
        ClusterLoad.create(OnLogInstance.Plugins.DEFAULT, SETTINGS, FORECAST, clock::get));
    assertEquals(10, r0(again).forecast().observedRequestsPerSecond(), 1e-9, "the forecast was persisted");
    assertEquals(0, r0(again).forecast().requestsPerSecond() - 10, 1e-9);
  }

  @Test
  void aSnapshotWrittenBeforeTheForecastsIsReadAsTheHistoryWithAFreshForecast() {
    double[] cells = new double[RING.count()];
    cells[3] = 500;
    LoadHistory old = LoadHistory.empty(RING.count()).add(clock.get(), CellCounts.of(cells), 1000);
    SnapshotTestKit.create(testKit.system()).persistForRecovery("ClusterLoad", List.of(Pair.create(SnapshotMeta.create(1), (Object) old)));
    ActorRef<ClusterLoad.Command> load = testKit.spawn(
        ClusterLoad.create(OnLogInstance.Plugins.DEFAULT, SETTINGS, FORECAST, clock::get));
    TestProbe<LoadHistory> probe = testKit.createTestProbe();
    load.tell(new ClusterLoad.GetHistory(probe.getRef()));
    assertEquals(500, probe.receiveMessage().accesses(), 1e-9);
    assertEquals(0, r0(load).forecast().observedRequestsPerSecond(), 1e-9);
    assertEquals(1.0, r0(load).historyShare(), 1e-9);
  }

  @Test
  void reportsOfEveryNodeAreSummedPerRange() {
    ActorRef<CoordinatorCommand> coordinator = coordinator(true);
    map(coordinator);
    coordinator.tell(new CoordinatorCommand.ReportLoad(hotReport("a", 100, 5)));
    coordinator.tell(new CoordinatorCommand.ReportLoad(hotReport("b", 30, 0)));
    ClusterLoad.View view = view(coordinator);
    assertEquals(2, view.nodes().size());
    assertEquals(8, view.ranges().size());
    ClusterLoad.RangeLoad r0 = view.ranges().get(0);
    assertEquals("r0", r0.rangeId());
    assertEquals(130.0, r0.writesPerSecond(), 1e-9);
    assertEquals(9.0, r0.p99LatencyMillis(), 1e-9, "the worst node's latency");
    assertEquals(2, r0.reportingNodes());
    assertEquals(5L, r0.keyCount(), "the size its host reports");
    assertEquals("a", r0.node(), "the node that runs it: the one that knows its size");
    assertEquals(0, view.ranges().get(1).writesPerSecond(), 1e-9);
    // A node that stopped reporting drops out of the view.
    clock.addAndGet(SETTINGS.reportExpiry().toMillis() + 1);
    coordinator.tell(new CoordinatorCommand.ReportLoad(hotReport("b", 30, 0)));
    view = view(coordinator);
    assertEquals(List.of("b"), view.nodes().stream().map(ClusterLoad.NodeLoad::node).toList());
    assertEquals(30.0, view.ranges().get(0).writesPerSecond(), 1e-9);
  }

  @Test
  void rangesUsedTogetherAreSummedOverTheNodesThatSawThemAndEachNodesRoundTripsKept() {
    ActorRef<CoordinatorCommand> coordinator = coordinator(true);
    map(coordinator);
    LoadReport a = hotReport("a", 100, 5);
    LoadReport b = hotReport("b", 30, 0);
    coordinator.tell(new CoordinatorCommand.ReportLoad(new LoadReport(a.node(), a.timeMillis(), a.epoch(), a.tickMillis(),
        a.ranges(), a.cells(), List.of(new CorrelationMatrix.Pair("r0", "r5", 40), new CorrelationMatrix.Pair("r1", "r2", 30)),
        Map.of("b", 0.7))));
    coordinator.tell(new CoordinatorCommand.ReportLoad(new LoadReport(b.node(), b.timeMillis(), b.epoch(), b.tickMillis(),
        b.ranges(), b.cells(), List.of(new CorrelationMatrix.Pair("r1", "r2", 25)), Map.of("a", 0.9))));
    ClusterLoad.View view = view(coordinator);
    assertEquals(List.of(new CorrelationMatrix.Pair("r1", "r2", 55), new CorrelationMatrix.Pair("r0", "r5", 40)),
        view.correlated());
    assertEquals(Map.of("a", Map.of("b", 0.7), "b", Map.of("a", 0.9)),
        view.nodes().stream().collect(Collectors.toMap(ClusterLoad.NodeLoad::node,
            ClusterLoad.NodeLoad::roundTripMillis)));
  }

  @Test
  void theHistorySurvivesARestartAndSaysWhereToSplit() {
    ActorRef<CoordinatorCommand> coordinator = coordinator(true);
    map(coordinator);
    for (int i = 0; i < 10; i++) {
      coordinator.tell(new CoordinatorCommand.ReportLoad(hotReport("a", 100, 5)));
    }
    await(() -> view(coordinator), v -> v.historyAccesses() >= 1_000, "the reports never reached the history");
    testKit.stop(coordinator);

    ActorRef<CoordinatorCommand> restarted = coordinator(true);
    ClusterLoad.View view = view(restarted);
    assertEquals(1_000, view.historyAccesses(), 1e-6);
    assertTrue(view.nodes().isEmpty(), "reports are not persisted, only the history");
    ClusterLoad.RangeLoad r0 = view.ranges().get(0);
    assertEquals(1.0, r0.historyShare(), 1e-9);
    // All the past load sat in r0's first 16 cells: its split point is in the middle of them.
    long point = Long.parseUnsignedLong(r0.historySplitPoint());
    assertEquals(8, RING.cell(point), 1);
    assertNull(view.ranges().get(3).historySplitPoint(), "a range without past load has no split point");
  }

  @Test
  void aMapCreatedAnewCutsTheRingToEqualPastLoad() {
    // The history of an earlier life of the cluster, without a map in the Coordinator's journal.
    LoadHistory past = pastHistory();

    ShardMap map = map(coordinator(true));
    assertEquals(8, map.size());
    assertNotEquals(SEED.placements().get(1).range(), map.placements().get(1).range());
    for (RangePlacement p : map.placements()) {
      assertEquals(1.0 / 8, past.loadIn(p.range()) / past.totalLoad(), 0.01, p.toString());
      assertEquals(SEED.byRangeId(p.rangeId()).orElseThrow().generation(), p.generation());
    }
    // The hot first sixty-fourth of the ring is cut into 7 ranges, the rest is one.
    assertTrue(Long.compareUnsigned(map.placements().get(6).range().last(), RING.cellLast(15)) <= 0);
    KeyRange rest = map.placements().get(7).range();
    assertEquals(-1L, rest.last());
  }

  @Test
  void aStoredMapIsNotCutAgain() {
    pastHistory();
    ShardMap map = map(coordinator(false));
    assertEquals(SEED.placements(), map.placements());
  }
}
