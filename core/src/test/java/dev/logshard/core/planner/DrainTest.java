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

/** A draining log instance is emptied by every mode, and nothing moves to it. */
class DrainTest {

  private static final PlannerSettings DEFAULTS = PlannerSettings.create(ConfigFactory.load());
  private static final long NOW = 10_000_000;
  private static final Instance FAST = new Instance("fast", "fast", 8L << 30, 0);
  private static final Instance STANDARD_1 = new Instance("standard-1", "standard", 64L << 30, 0);
  private static final Instance STANDARD_2 = new Instance("standard-2", "standard", 64L << 30, 0);

  private static Map<String, RangeLoad> quiet(ShardMap map) {
    Map<String, RangeLoad> loads = new HashMap<>();
    map.placements().forEach(p -> loads.put(p.rangeId(), new RangeLoad(10, 0, 10, 1 << 20, null)));
    return loads;
  }

  private static List<TransferRequest> requests(PlanRound round) {
    return round.transfers().stream().map(PlannedTransfer::request).toList();
  }

  @Test
  void aDrainingInstanceIsEmptiedIntoItsTierAheadOfCooldownAndHysteresis() {
    ShardMap map = ShardMap.initial(4, "standard-1");
    // r0 was moved 10 s ago: cooldown and hysteresis would hold it back, a drain does not.
    Decision moved = new Decision(TransferKind.MOVE, List.of("r0"), map.placements().get(0).range().startString(),
        map.placements().get(0).range().endString(), "standard-1", "by the planner", NOW - 10_000);
    PlanRound round = new Planner(DEFAULTS).plan(new PlannerInput(map, quiet(map),
        List.of(FAST, STANDARD_1.draining(true), STANDARD_2), Set.of(), 0, List.of(moved), NOW));
    assertEquals(List.of(TransferRequest.move("r0", "standard-2"), TransferRequest.move("r1", "standard-2")),
        requests(round), "two in flight at most");
    assertTrue(round.transfers().get(0).reason().startsWith("drain standard-1"), round.transfers().get(0).reason());
  }

  @Test
  void aHotRangeOnADrainingInstanceIsMovedOffNotSplitInItsCooldown() {
    ShardMap map = ShardMap.initial(4, "fast");
    RangePlacement r0 = map.placements().get(0);
    Map<String, RangeLoad> loads = quiet(map);
    long median = r0.range().start() + (r0.range().last() - r0.range().start()) / 2;
    loads.put(r0.rangeId(), new RangeLoad(5000, 0, 5000, 1 << 20, median, 0.01));
    // r0 came to fast 40 s ago: inside its cooldown a split would be held back, and hold the drain with it.
    Decision moved = new Decision(TransferKind.MOVE, List.of("r0"), r0.range().startString(), r0.range().endString(),
        "fast", "hot", NOW - 40_000);
    PlanRound round = new Planner(DEFAULTS).plan(new PlannerInput(map, loads,
        List.of(FAST.draining(true), STANDARD_1), Set.of(), 0, List.of(moved), NOW));
    assertEquals(List.of(TransferRequest.move("r0", "standard-1"), TransferRequest.move("r1", "standard-1")),
        requests(round));
    assertTrue(round.transfers().get(0).reason().startsWith("drain fast"), round.transfers().get(0).reason());
  }

  @Test
  void withoutRoomInItsTierARangeGoesToAnotherAndNothingGoesToADrainingInstance() {
    ShardMap map = ShardMap.initial(4, "standard-1");
    PlanRound round = new Planner(DEFAULTS).plan(new PlannerInput(map, quiet(map),
        List.of(FAST, STANDARD_1.draining(true)), Set.of(), 0, List.of(), NOW));
    assertEquals(List.of(TransferRequest.move("r0", "fast"), TransferRequest.move("r1", "fast")), requests(round));

    // A hot range would go to fast, but fast is draining.
    Map<String, RangeLoad> hot = quiet(map);
    RangePlacement r2 = map.placements().get(2);
    hot.put(r2.rangeId(), new RangeLoad(900, 0, 900, 1 << 20, null));
    PlanRound held = new Planner(DEFAULTS).plan(new PlannerInput(map, hot,
        List.of(FAST.draining(true), STANDARD_1), Set.of(), 0, List.of(), NOW));
    assertEquals(List.of(), requests(held));
    assertTrue(held.skipped().stream().anyMatch(s -> s.why().contains("no fast-tier log instance has room")),
        held.skipped().toString());
  }

  @Test
  void theBaselineDrainsToo() {
    ShardMap map = ShardMap.initial(4, "standard-1");
    PlanRound round = new CountBalancer(DEFAULTS).plan(new PlannerInput(map, quiet(map),
        List.of(FAST, STANDARD_1.draining(true), STANDARD_2), Set.of(), 0, List.of(), NOW));
    assertEquals(List.of(TransferRequest.move("r0", "fast"), TransferRequest.move("r1", "standard-2")), requests(round));
  }
}
