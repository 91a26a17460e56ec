package dev.logshard.actors.profiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.logshard.core.KeyHash;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.AccessKind;
import dev.logshard.core.profile.AccessLog;
import dev.logshard.core.profile.AccessRecorder;
import dev.logshard.core.profile.LoadReport;
import dev.logshard.core.profile.ProfileViews;
import dev.logshard.core.profile.ProfilerSettings;
import dev.logshard.core.profile.ShardLoad;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The profiler's tick, driven by hand with a manual clock: deterministic. */
class ProfilerTest {

  private static final ActorTestKit testKit = ActorTestKit.create("ProfilerTest");
  private static final ProfilerSettings SETTINGS = ProfilerSettings.create(ConfigFactory.load());
  private static final ShardMap MAP = ShardMap.initial(4, "standard");

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final AccessRecorder recorder = new AccessRecorder(MAP, new AccessLog(1 << 16), 1, clock::get);
  private final dev.logshard.core.profile.RangeSizes sizes = new dev.logshard.core.profile.RangeSizes();
  private final java.util.concurrent.BlockingQueue<LoadReport> reports = new java.util.concurrent.LinkedBlockingQueue<>();
  private final ActorRef<Profiler.Command> profiler = started();

  /** Spawned and set up: it read the clock before the test moves it. */
  private ActorRef<Profiler.Command> started() {
    ActorRef<Profiler.Command> ref = testKit.spawn(Profiler.createUnscheduled(recorder, sizes, SETTINGS,
        new Profiler.Reporting("node-a", new dev.logshard.core.profile.RingCells(1024), reports::add), clock::get));
    TestProbe<ProfileViews.LoadView> probe = testKit.createTestProbe();
    ref.tell(new Profiler.GetLoad(probe.getRef()));
    probe.receiveMessage();
    return ref;
  }

  private static List<String> keysOfRange(int range, int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; keys.size() < n; i++) {
      if (MAP.indexOf(KeyHash.of("k" + i)) == range) {
        keys.add("k" + i);
      }
    }
    return keys;
  }

  private void access(String key, AccessKind kind, int times) {
    for (int i = 0; i < times; i++) {
      recorder.record(key, KeyHash.of(key), kind, 100, 0);
    }
  }

  /** Moves the clock and waits until the profiler has aggregated the tick. */
  private void tick(long millis) {
    clock.addAndGet(millis);
    profiler.tell(Profiler.Tick.INSTANCE);
    load();
  }

  private ProfileViews.LoadView load() {
    TestProbe<ProfileViews.LoadView> probe = testKit.createTestProbe();
    profiler.tell(new Profiler.GetLoad(probe.getRef()));
    return probe.receiveMessage();
  }

  @Test
  void loadIsPerRangeAndPerSecond() {
    List<String> r1 = keysOfRange(1, 3);
    access(r1.get(0), AccessKind.READ, 300);
    access(r1.get(1), AccessKind.WRITE, 100);
    access(keysOfRange(3, 1).get(0), AccessKind.WRITE, 50);
    sizes.of("r1.1").update(7, 700);
    for (int micros = 1_000; micros <= 100_000; micros += 1_000) {
      recorder.recordLatency(KeyHash.of(r1.get(0)), micros);
    }
    tick(2_000);
    ProfileViews.LoadView view = load();
    assertEquals(4, view.ranges().size());
    ShardLoad range1 = view.ranges().get(1);
    assertEquals("r1", range1.rangeId());
    assertEquals(150.0, range1.readsPerSecond(), 1e-9);
    assertEquals(50.0, range1.writesPerSecond(), 1e-9);
    assertEquals(5_000.0, range1.bytesInPerSecond(), 1e-9);
    assertEquals(25.0, view.ranges().get(3).writesPerSecond(), 1e-9);
    assertEquals(0.0, view.ranges().get(0).readsPerSecond(), 1e-9);
    assertEquals(50.0, range1.p50LatencyMillis(), 0.1);
    assertEquals(99.0, range1.p99LatencyMillis(), 0.1);
    assertEquals(200.0, range1.averageRequestsPerSecond(), 1e-9); // one tick so far: 400 accesses / 2 s
    tick(1_000); // a quiet second: the last tick is 0, the moving average remembers
    ShardLoad quiet = load().ranges().get(1);
    assertEquals(0.0, quiet.readsPerSecond(), 1e-9);
    assertEquals(100.0, quiet.averageRequestsPerSecond(), 1e-9);
    assertEquals(0.0, view.ranges().get(3).p99LatencyMillis(), 1e-9);
    assertEquals(7L, range1.keyCount());
    assertEquals(700L, range1.storedBytes());
    assertEquals(null, view.ranges().get(0).keyCount(), "r0 has not run on this node");
  }

  @Test
  void eachTickReportsTheLoadAndWhereOnTheRingItFell() throws Exception {
    String hot = keysOfRange(2, 1).get(0);
    access(hot, AccessKind.WRITE, 40);
    access(keysOfRange(0, 1).get(0), AccessKind.READ, 10);
    tick(1_000);
    LoadReport report = reports.poll(5, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals("node-a", report.node());
    assertEquals(MAP.epoch(), report.epoch());
    assertEquals(1_000, report.tickMillis());
    assertEquals(40.0, report.ranges().get(2).writesPerSecond(), 1e-9);
    double[] cells = new double[1024];
    assertEquals(50.0, report.cells().addTo(cells), 1e-9);
    // Every access is sampled here: all 40 writes sit in the hot key's cell.
    assertEquals(40.0, cells[new dev.logshard.core.profile.RingCells(1024).cell(KeyHash.of(hot))], 1e-9);
  }

  @Test
  void aPlantedHotKeyIsReportedWithASplitPoint() {
    List<String> keys = keysOfRange(2, 200);
    for (int i = 0; i < 200; i++) {
      access(keys.get(i), AccessKind.READ, 1);
    }
    access(keys.get(7), AccessKind.READ, 300);
    tick(1_000);
    TestProbe<ProfileViews.HotKeysView> probe = testKit.createTestProbe();
    profiler.tell(new Profiler.GetHotKeys("r2", probe.getRef()));
    ProfileViews.HotKeysView view = probe.receiveMessage();
    assertTrue(view.found());
    assertEquals(500, view.sampled());
    assertEquals(keys.get(7), view.hotKeys().get(0).key());
    assertTrue(MAP.byRangeId("r2").orElseThrow().range().contains(Long.parseUnsignedLong(view.splitPoint())));
    profiler.tell(new Profiler.GetHotKeys("r99", probe.getRef()));
    assertFalse(probe.receiveMessage().found());
  }

  @Test
  void aStepInARangesLoadIsAnAnomalyWithinThreeTicks() {
    String key = keysOfRange(0, 1).get(0);
    TestProbe<ProfileViews.AnomaliesView> probe = testKit.createTestProbe();
    for (int t = 0; t < 40; t++) {
      access(key, AccessKind.READ, 100 + (t % 5));
      tick(1_000);
    }
    profiler.tell(new Profiler.GetAnomalies(probe.getRef()));
    assertTrue(probe.receiveMessage().anomalies().isEmpty(), "a steady load is no anomaly");
    boolean flagged = false;
    for (int t = 0; t < 3 && !flagged; t++) {
      access(key, AccessKind.READ, 1_000);
      tick(1_000);
      profiler.tell(new Profiler.GetAnomalies(probe.getRef()));
      flagged = probe.receiveMessage().anomalies().stream().anyMatch(a -> a.rangeId().equals("r0"));
    }
    assertTrue(flagged);
  }

  @Test
  void rangesOneClientUsesTogetherAreTheTopPair() {
    String inR1 = keysOfRange(1, 1).get(0);
    String inR3 = keysOfRange(3, 1).get(0);
    for (int i = 0; i < 50; i++) {
      recorder.record(inR1, KeyHash.of(inR1), AccessKind.READ, 0, 42);
      recorder.record(inR3, KeyHash.of(inR3), AccessKind.WRITE, 0, 42);
      String lone = keysOfRange(i % 4, 1).get(0);
      recorder.record(lone, KeyHash.of(lone), AccessKind.READ, 0, 1000 + i); // one access per client
    }
    tick(1_000);
    TestProbe<ProfileViews.CorrelationsView> probe = testKit.createTestProbe();
    profiler.tell(new Profiler.GetCorrelations(probe.getRef()));
    ProfileViews.CorrelatedRanges top = probe.receiveMessage().pairs().get(0);
    assertEquals(List.of("r1", "r3"), List.of(top.a(), top.b()));
    assertTrue(top.coAccess() >= 50);
  }

  @Test
  void theHeatmapHoldsEveryTicksAccesses() {
    access(keysOfRange(1, 1).get(0), AccessKind.READ, 40);
    access(keysOfRange(2, 1).get(0), AccessKind.WRITE, 60);
    tick(1_000);
    TestProbe<ProfileViews.HeatmapView> probe = testKit.createTestProbe();
    profiler.tell(new Profiler.GetHeatmap(0, probe.getRef()));
    ProfileViews.HeatmapView view = probe.receiveMessage();
    assertEquals(List.of("r0", "r1", "r2", "r3"), view.rangeIds());
    int last = view.heat()[0].length - 1;
    assertEquals(40.0, view.heat()[1][last], 1e-6);
    assertEquals(60.0, view.heat()[2][last], 1e-6);
    assertEquals(0.0, view.heat()[0][last], 1e-6);
  }
}
