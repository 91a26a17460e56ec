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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The planner relieves a log instance whose planned load is over its requests capacity, cheap moves first. */
class InstanceReliefTest {

  private static final PlannerSettings DEFAULTS = PlannerSettings.create(ConfigFactory.load());
  private static final Planner PLANNER = new Planner(DEFAULTS);
  private static final long NOW = 10_000_000;

  private static List<Instance> instances(double capacity) {
    return List.of(new Instance("fast", "fast", 8L << 30, 0), new Instance("standard-1", "standard", 64L << 30, capacity),
        new Instance("standard-2", "standard", 64L << 30, capacity));
  }

  /** 16 ranges on standard-1 at 100 requests/s each (r0 and r1 at 150), 1 GB each except r5 and r9 (1 MB). */
  private static Map<String, RangeLoad> loads(ShardMap map) {
    Map<String, RangeLoad> loads = new HashMap<>();
    for (RangePlacement p : map.placements()) {
      String id = p.rangeId();
      double requests = id.equals("r0") || id.equals("r1") ? 150 : 100;
      long bytes = id.equals("r5") || id.equals("r9") ? 1L << 20 : 1L << 30;
      loads.put(id, new RangeLoad(requests, 0, requests, bytes, null));
    }
    return loads;
  }

  private static PlanRound plan(ShardMap map, Map<String, RangeLoad> loads, double capacity) {
    return PLANNER.plan(new PlannerInput(map, loads, instances(capacity), Set.of(), 0, List.of(), NOW));
  }

  @Test
  void theSmallRangesMoveFirstToAnotherInstanceOfTheTier() {
    ShardMap map = ShardMap.initial(16, "standard-1");
    // 1,700 requests/s planned on standard-1, capacity 1,600: relieve to under 1,440 (260 to go).
    PlanRound round = plan(map, loads(map), 1_600);
    assertEquals(List.of(TransferRequest.move("r5", "standard-2"), TransferRequest.move("r9", "standard-2")),
        round.transfers().stream().map(PlannedTransfer::request).toList());
    assertTrue(round.transfers().get(0).reason().startsWith("relieve standard-1"), round.transfers().get(0).reason());
    assertTrue(round.transfers().get(0).reason().contains("a cheap move"), round.transfers().get(0).reason());
  }

  @Test
  void underCapacityAndBalancedNothingMoves() {
    ShardMap map = ShardMap.initial(16, "standard-1");
    ShardMap halves = new ShardMap(2, map.placements().stream().map(p -> Integer.parseInt(p.rangeId().substring(1)) < 8
        ? p : new RangePlacement(p.rangeId(), p.range(), p.generation(), "standard-2")).toList());
    // 900 and 800 requests/s: within 10 % of their mean (850), under the capacity of 1,000.
    assertEquals(List.of(), plan(halves, loads(halves), 1_000).transfers());
    assertEquals(List.of(), plan(halves, loads(halves), 0).transfers(), "no requests capacity: unbounded");
  }

  @Test
  void anInstanceFarAboveItsTiersMeanIsBalancedWithoutACapacity() {
    ShardMap map = ShardMap.initial(16, "standard-1");
    // 1,700 and 0 requests/s, mean 850: standard-1 sheds cheap ranges toward 892 (within half the tolerance).
    PlanRound round = plan(map, loads(map), 0);
    assertEquals(List.of(TransferRequest.move("r5", "standard-2"), TransferRequest.move("r9", "standard-2")),
        round.transfers().stream().map(PlannedTransfer::request).toList(), "max-in-flight 2, the cheapest first");
    assertTrue(round.transfers().get(0).reason().contains("above its tier's mean"), round.transfers().get(0).reason());
  }

  @Test
  void theHottestRangeMovesOnlyWhenTheOthersAreNotEnough() {
    ShardMap two = new ShardMap(1, ShardMap.initial(2, "standard-1").placements());
    Map<String, RangeLoad> loads = new HashMap<>();
    loads.put("r0", new RangeLoad(190, 0, 190, 1L << 20, null)); // hot and small
    loads.put("r1", new RangeLoad(20, 0, 20, 1L << 30, null));
    // 210 planned, capacity 200, target 180: r1 (20) is not enough, r0 alone is: r0 goes, alone; not to
    // standard-2 (190 of its 200 is above the 180 a move may fill it to: it would be relieved in turn)
    // but, over capacity, to another tier.
    PlanRound round = plan(two, loads, 200);
    assertEquals(List.of(TransferRequest.move("r0", "fast")),
        round.transfers().stream().map(PlannedTransfer::request).toList());
    assertTrue(round.transfers().get(0).reason().contains("its hottest range"), round.transfers().get(0).reason());
  }

  @Test
  void aMoveLeavesTheDestinationTheReliefsHeadroomSoNothingCyclesBetweenTiers() {
    ShardMap map = ShardMap.initial(64, "standard-1");
    ShardMap withFast = new ShardMap(2, map.placements().stream().map(p -> p.rangeId().equals("r1")
        ? new RangePlacement("r1", p.range(), p.generation(), "fast") : p).toList());
    List<Instance> instances = List.of(new Instance("fast", "fast", 8L << 30, 2_000),
        new Instance("standard-1", "standard", 64L << 30, 0));
    Map<String, RangeLoad> loads = new HashMap<>();
    withFast.placements().forEach(p -> loads.put(p.rangeId(), new RangeLoad(1, 0, 1, 1L << 20, null, 0)));
    loads.put("r1", new RangeLoad(1_590, 0, 1_590, 1L << 20, null, 1.0)); // on fast, one key
    for (double hot : new double[] {210, 250}) {
      loads.put("r3", new RangeLoad(hot, 0, hot, 1L << 20, null, 1.0)); // hot, one key: the tier rule wants it on fast
      PlanRound round = PLANNER.plan(new PlannerInput(withFast, loads, instances, Set.of(), 0, List.of(), NOW));
      List<TransferRequest> moves = round.transfers().stream().map(PlannedTransfer::request).toList();
      // fast may be filled to 1,800 of its 2,000 (where the relief takes it back when it goes over):
      // 1,590 + 210 fits, 1,590 + 250 does not (it would be moved in, then relieved, then moved in...).
      assertEquals(hot == 210 ? List.of(TransferRequest.move("r3", "fast")) : List.of(), moves, round.toString());
    }
  }

  @Test
  void overCapacityWithoutRoomInTheTierARangeGoesToAnotherTierAndWithoutAnyRoomNowhere() {
    ShardMap map = ShardMap.initial(16, "standard-1");
    Map<String, RangeLoad> loads = loads(map);
    // standard-2 is as full: nothing can go there without putting it over capacity; fast has room.
    ShardMap both = new ShardMap(2, map.placements().stream().map(p -> Integer.parseInt(p.rangeId().substring(1)) < 8 ? p
        : new RangePlacement(p.rangeId(), p.range(), p.generation(), "standard-2")).toList());
    PlanRound round = plan(both, loads, 820);
    // 900 planned, target 738: r5 (100, the cheapest) and r0 (150) go, to fast.
    assertEquals(List.of(TransferRequest.move("r5", "fast"), TransferRequest.move("r0", "fast")),
        round.transfers().stream().map(PlannedTransfer::request).toList(), round.toString());

    List<Instance> full = List.of(new Instance("fast", "fast", 8L << 30, 50),
        new Instance("standard-1", "standard", 64L << 30, 820), new Instance("standard-2", "standard", 64L << 30, 820));
    PlanRound nowhere = PLANNER.plan(new PlannerInput(both, loads, full, Set.of(), 0, List.of(), NOW));
    assertEquals(List.of(), nowhere.transfers(), nowhere.toString());
    assertTrue(nowhere.skipped().stream().anyMatch(s -> s.why().contains("no log instance has room")),
        nowhere.skipped().toString());
  }

  /** r0–r7 on standard-1, r8–r15 on standard-2. */
  private static ShardMap halves() {
    ShardMap map = ShardMap.initial(16, "standard-1");
    return new ShardMap(2, map.placements().stream().map(p -> Integer.parseInt(p.rangeId().substring(1)) < 8 ? p
        : new RangePlacement(p.rangeId(), p.range(), p.generation(), "standard-2")).toList());
  }

  @Test
  void aRangeJustMovedIsNotTheOneShedTheNextCheapestIs() {
    ShardMap both = halves();
    Map<String, RangeLoad> loads = loads(both);
    loads.put("r2", new RangeLoad(200, 0, 200, 1L << 30, null));
    // standard-1 1,000, standard-2 800: 11 % above the tier's mean; r5 (1 MB) would be the cheap move
    // (to balance, only ranges of at most 145 requests/s may go: r3–r7).
    List<Instance> instances = instances(1_050);
    PlanRound free = PLANNER.plan(new PlannerInput(both, loads, instances, Set.of(), 0, List.of(), NOW));
    assertEquals(List.of(TransferRequest.move("r5", "standard-2")),
        free.transfers().stream().map(PlannedTransfer::request).toList(), free.toString());
    // r5 came to standard-1 ten seconds ago: moving it again would be refused, so r3 goes instead.
    RangePlacement r5 = both.placements().get(5);
    Decision moved = new Decision(TransferKind.MOVE, List.of("r5"), r5.range().startString(), r5.range().endString(),
        "standard-1", "relieve", NOW - 10_000);
    PlanRound held = PLANNER.plan(new PlannerInput(both, loads, instances, Set.of(), 0, List.of(moved), NOW));
    assertEquals(List.of(TransferRequest.move("r3", "standard-2")),
        held.transfers().stream().map(PlannedTransfer::request).toList(), held.toString());
  }

  @Test
  void whenTheCheapMoveFindsNoRoomAnotherRangeThatFitsGoes() {
    ShardMap both = halves();
    Map<String, RangeLoad> loads = loads(both);
    loads.put("r0", new RangeLoad(190, 0, 190, 1L << 30, null));
    loads.put("r1", new RangeLoad(100, 0, 100, 1L << 30, null));
    loads.put("r5", new RangeLoad(180, 0, 180, 1L << 20, null));
    // standard-1 970 over its 950 (target 855): r5 is the cheap move, but it fits nowhere (standard-2
    // would reach 980, fast 180 of its 150); r1 (100) fits on fast.
    List<Instance> instances = List.of(new Instance("fast", "fast", 8L << 30, 150),
        new Instance("standard-1", "standard", 64L << 30, 950), new Instance("standard-2", "standard", 64L << 30, 950));
    PlanRound round = PLANNER.plan(new PlannerInput(both, loads, instances, Set.of(), 0, List.of(), NOW));
    assertEquals(List.of(TransferRequest.move("r1", "fast")),
        round.transfers().stream().map(PlannedTransfer::request).toList(), round.toString());
    assertTrue(round.skipped().stream().anyMatch(s -> "r5".equals(s.rangeId()) && s.why().contains("no log instance has room")),
        round.skipped().toString());
  }
}
