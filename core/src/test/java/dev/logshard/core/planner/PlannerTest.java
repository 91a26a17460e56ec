package dev.logshard.core.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.planner.PlannerInput.Instance;
import dev.logshard.core.planner.PlannerInput.RangeLoad;
import dev.logshard.core.transfer.TransferKind;
import dev.logshard.core.transfer.TransferRequest;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlannerTest {

  private static final PlannerSettings DEFAULTS = PlannerSettings.create(ConfigFactory.load());
  private static final Planner PLANNER = new Planner(DEFAULTS);
  private static final List<Instance> INSTANCES = List.of(
      new Instance("fast", "fast", 8L << 30, 0), new Instance("standard", "standard", 64L << 30, 0));
  private static final long NOW = 10_000_000;

  private static ShardMap map(int ranges) {
    return ShardMap.initial(ranges, "standard");
  }

  /** Every range at {@code each} requests/s, 1 MB stored, its median in the middle. */
  private static Map<String, RangeLoad> uniform(ShardMap map, double each) {
    Map<String, RangeLoad> loads = new HashMap<>();
    for (RangePlacement p : map.placements()) {
      loads.put(p.rangeId(), load(p, each));
    }
    return loads;
  }

  private static RangeLoad load(RangePlacement p, double requests) {
    return new RangeLoad(requests, requests * 1024, requests, 1_000_000, middle(p));
  }

  /** Gives the map's range at {@code index} this load (its median in the middle); returns it. */
  private static RangePlacement hot(ShardMap map, Map<String, RangeLoad> loads, int index, double requests) {
    RangePlacement p = map.placements().get(index);
    loads.put(p.rangeId(), new RangeLoad(requests, 0, requests, 1_000_000, middle(p)));
    return p;
  }

  private static Long middle(RangePlacement p) {
    BigInteger start = new BigInteger(p.range().startString());
    return start.add(p.range().width().shiftRight(1)).longValue();
  }

  private static PlanRound plan(ShardMap map, Map<String, RangeLoad> loads) {
    return plan(map, loads, List.of(), 0);
  }

  private static PlanRound plan(ShardMap map, Map<String, RangeLoad> loads, List<Decision> recent, int inFlight) {
    return PLANNER.plan(new PlannerInput(map, loads, INSTANCES, Set.of(), inFlight, recent, NOW));
  }

  private static List<TransferRequest> requests(PlanRound round) {
    return round.transfers().stream().map(PlannedTransfer::request).toList();
  }

  @Test
  void aUniformLoadPlansNothing() {
    ShardMap map = map(16);
    assertEquals(List.of(), plan(map, uniform(map, 62.5)).transfers());
    assertEquals(List.of(), plan(map, uniform(map, 625)).transfers(), "a heavy uniform load neither");
  }

  @Test
  void aRangeWithMostOfTheLoadIsSplitAtItsLoadMedianThenGoesToTheFastTier() {
    ShardMap map = map(16);
    Map<String, RangeLoad> loads = uniform(map, 200.0 / 15);
    RangePlacement hot = map.placements().get(3);
    long median = hot.range().start() + 12345;
    loads.put(hot.rangeId(), new RangeLoad(800, 800 * 1024, 800, 5_000_000, median));
    PlanRound round = plan(map, loads);
    assertEquals(TransferRequest.split(hot.rangeId(), median), requests(round).get(0), "the split first");
    assertTrue(round.transfers().get(0).reason().contains("80 %"), round.transfers().get(0).reason());
    assertEquals(5_000_000, round.transfers().get(0).costBytes());
    // The range is taken by its split this round: its move waits (the hot half moves once measured).
    assertEquals(1, round.transfers().size());
    assertTrue(round.skipped().stream().anyMatch(s -> s.rangeId().equals(hot.rangeId()) && s.wanted().equals("move")));
  }

  @Test
  void aHotKeyNoSplitCanDivideGoesToTheFastTierInstead() {
    ShardMap map = map(16);
    Map<String, RangeLoad> loads = uniform(map, 200.0 / 15);
    RangePlacement hot = map.placements().get(5);
    loads.put(hot.rangeId(), new RangeLoad(800, 0, 800, 1_000_000, null)); // no median inside: one key
    PlanRound round = plan(map, loads);
    assertEquals(List.of(TransferRequest.move(hot.rangeId(), "fast")), requests(round));
    assertTrue(round.skipped().stream().anyMatch(s -> s.wanted().equals("split") && s.why().startsWith("no load median")));
  }

  @Test
  void aHotRangeDoesNotGoToAFastInstanceWithoutRoom() {
    ShardMap map = map(16);
    Map<String, RangeLoad> loads = uniform(map, 10);
    RangePlacement hot = map.placements().get(2);
    loads.put(hot.rangeId(), new RangeLoad(300, 0, 300, 9L << 30, null)); // 9 GiB: more than fast holds
    PlanRound round = PLANNER.plan(new PlannerInput(map, loads, INSTANCES, Set.of(), 0, List.of(), NOW));
    assertTrue(requests(round).stream().noneMatch(r -> r.kind() == TransferKind.MOVE), requests(round).toString());
    assertTrue(round.skipped().stream().anyMatch(s -> s.why().contains("no fast-tier log instance has room")));
  }

  @Test
  void aColdRangeLeavesTheFastTierAndOneBetweenTheThresholdsStays() {
    List<RangePlacement> placements = new ArrayList<>(map(16).placements());
    RangePlacement cold = placements.get(7);
    RangePlacement warm = placements.get(9);
    placements.set(7, new RangePlacement(cold.rangeId(), cold.range(), cold.generation(), "fast"));
    placements.set(9, new RangePlacement(warm.rangeId(), warm.range(), warm.generation(), "fast"));
    ShardMap map = new ShardMap(1, placements);
    Map<String, RangeLoad> loads = uniform(map, 100);
    loads.put(cold.rangeId(), load(cold, 10)); // below leave (50)
    loads.put(warm.rangeId(), load(warm, 100)); // between leave (50) and enter (200): stays
    assertEquals(List.of(TransferRequest.move(cold.rangeId(), "standard")), requests(plan(map, loads)));
  }

  @Test
  void aForecastHotRangeMovesBeforeItsLoadArrives() {
    ShardMap map = map(16);
    Map<String, RangeLoad> loads = uniform(map, 20);
    RangePlacement rising = map.placements().get(11);
    loads.put(rising.rangeId(), new RangeLoad(40, 0, 900, 1_000_000, null)); // 40 now, 900 forecast
    assertEquals(List.of(TransferRequest.move(rising.rangeId(), "fast")), requests(plan(map, loads)));
  }

  @Test
  void coldNeighboursMergeOnlyAboveTheRangeFloor() {
    ShardMap eighteen = map(18);
    Map<String, RangeLoad> loads = uniform(eighteen, 100);
    RangePlacement a = eighteen.placements().get(4);
    RangePlacement b = eighteen.placements().get(5);
    loads.put(a.rangeId(), load(a, 1));
    loads.put(b.rangeId(), load(b, 2));
    assertEquals(List.of(TransferRequest.merge(a.rangeId(), b.rangeId())), requests(plan(eighteen, loads)));

    ShardMap sixteen = map(16);
    Map<String, RangeLoad> same = uniform(sixteen, 100);
    same.put(sixteen.placements().get(4).rangeId(), load(sixteen.placements().get(4), 1));
    same.put(sixteen.placements().get(5).rangeId(), load(sixteen.placements().get(5), 2));
    PlanRound round = plan(sixteen, same);
    assertEquals(List.of(), round.transfers());
    assertTrue(round.skipped().stream().anyMatch(s -> s.why().contains("merge.min-ranges")));
  }

  @Test
  void hashesSplitRecentlyAreNotMergedAndARecentRangeCoolsDown() {
    ShardMap map = map(18);
    Map<String, RangeLoad> loads = uniform(map, 100);
    RangePlacement a = map.placements().get(4);
    RangePlacement b = map.placements().get(5);
    loads.put(a.rangeId(), load(a, 1));
    loads.put(b.rangeId(), load(b, 2));
    Decision split = new Decision(TransferKind.SPLIT, List.of("r99"), a.range().startString(), b.range().endString(),
        null, "split", NOW - 120_000); // 2 minutes ago: out of cooldown, inside the flap window
    PlanRound round = plan(map, loads, List.of(split), 0);
    assertEquals(List.of(), round.transfers());
    assertTrue(round.skipped().stream().anyMatch(s -> s.why().startsWith("hysteresis")), round.skipped().toString());

    Decision moved = new Decision(TransferKind.MOVE, List.of(a.rangeId()), "0", "1", "fast", "hot", NOW - 10_000);
    PlanRound cooling = plan(map, loads, List.of(moved), 0);
    assertTrue(cooling.skipped().stream().anyMatch(s -> s.why().startsWith("cooldown")), cooling.skipped().toString());
  }

  @Test
  void noSplitBeyondTheMaximumRangeCount() {
    ShardMap map = map(16);
    Map<String, RangeLoad> loads = uniform(map, 1);
    hot(map, loads, 3, 3000);
    Planner capped = new Planner(PlannerSettings.create(ConfigFactory.parseString("logshard.planner.split.max-ranges = 16")
        .withFallback(ConfigFactory.load())));
    PlanRound round = capped.plan(new PlannerInput(map, loads, INSTANCES, Set.of(), 0, List.of(), NOW));
    assertTrue(requests(round).stream().noneMatch(r -> r.kind() == TransferKind.SPLIT), requests(round).toString());
    assertTrue(round.skipped().stream().anyMatch(s -> s.why().contains("split.max-ranges 16")), round.skipped().toString());
    assertTrue(requests(plan(map, loads)).stream().anyMatch(r -> r.kind() == TransferKind.SPLIT), "at the default it splits");
  }

  @Test
  void noMoreTransfersThanTheInFlightLimit() {
    ShardMap map = map(16);
    Map<String, RangeLoad> loads = uniform(map, 1);
    for (int i : new int[] {1, 6, 12}) {
      hot(map, loads, i, 3000);
    }
    assertEquals(2, plan(map, loads).transfers().size(), "max-in-flight 2");
    PlanRound oneRunning = plan(map, loads, List.of(), 1);
    assertEquals(1, oneRunning.transfers().size());
    assertTrue(oneRunning.skipped().stream().anyMatch(s -> s.why().contains("max-in-flight")));
  }

  @Test
  void theSameInputGivesTheSameRound() {
    ShardMap map = map(16);
    Map<String, RangeLoad> loads = uniform(map, 5);
    loads.put(map.placements().get(0).rangeId(), new RangeLoad(900, 0, 900, 1_000_000, middle(map.placements().get(0))));
    assertEquals(plan(map, loads), plan(map, loads));
  }

  @Test
  void aHalfJustSplitIsNotSplitAgainWithinTheCooldownButMayGoToTheFastTier() {
    ShardMap map = map(16);
    Map<String, RangeLoad> loads = uniform(map, 1);
    RangePlacement half = hot(map, loads, 3, 900);
    Decision split = new Decision(TransferKind.SPLIT, List.of("r99"), half.range().startString(),
        half.range().endString(), null, "split", NOW - 10_000);
    PlanRound round = plan(map, loads, List.of(split), 0);
    assertEquals(List.of(TransferRequest.move(half.rangeId(), "fast")), requests(round));
    assertTrue(round.skipped().stream().anyMatch(s -> s.wanted().equals("split") && s.why().startsWith("cooldown")),
        round.skipped().toString());
  }

  @Test
  void aRangeOneKeyCarriesIsNotSplitButGoesToTheFastTier() {
    ShardMap map = map(16);
    Map<String, RangeLoad> loads = uniform(map, 200.0 / 15);
    RangePlacement hot = map.placements().get(3);
    loads.put(hot.rangeId(), new RangeLoad(3000, 0, 3000, 5_000_000, middle(hot), 0.9));
    PlanRound round = plan(map, loads);
    assertEquals(List.of(TransferRequest.move(hot.rangeId(), "fast")), requests(round));
    assertTrue(round.skipped().stream().anyMatch(s -> s.wanted().equals("split") && s.why().startsWith("one key carries 90 %")),
        round.skipped().toString());
    // Below half the load on one key, the split goes ahead.
    loads.put(hot.rangeId(), new RangeLoad(3000, 0, 3000, 5_000_000, middle(hot), 0.4));
    assertEquals(TransferKind.SPLIT, requests(plan(map, loads)).get(0).kind());
    // Not known yet (too few samples): the split waits.
    loads.put(hot.rangeId(), new RangeLoad(3000, 0, 3000, 5_000_000, middle(hot), Double.NaN));
    PlanRound waiting = plan(map, loads);
    assertTrue(requests(waiting).stream().noneMatch(r -> r.kind() == TransferKind.SPLIT), waiting.toString());
    assertTrue(waiting.skipped().stream().anyMatch(s -> s.why().startsWith("its keys are not profiled yet")),
        waiting.skipped().toString());
  }

  @Test
  void mergesWaitForACalmRound() {
    ShardMap map = map(18);
    Map<String, RangeLoad> loads = uniform(map, 0);
    RangePlacement hot = map.placements().get(10);
    loads.put(hot.rangeId(), new RangeLoad(900, 0, 900, 1_000_000, middle(hot)));
    PlanRound busy = plan(map, loads);
    assertEquals(List.of(TransferKind.SPLIT), requests(busy).stream().map(TransferRequest::kind).distinct().toList());
    assertTrue(busy.skipped().stream().anyMatch(s -> s.why().endsWith("merges of cold neighbours wait until no transfer runs or is wanted")),
        busy.skipped().toString());
    assertTrue(requests(plan(map, uniform(map, 0), List.of(), 1)).isEmpty(), "not while a transfer runs");
    assertEquals(TransferKind.MERGE, requests(plan(map, uniform(map, 0))).get(0).kind(), "calm: merge");
  }
}
