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

/** The baseline mode: Pekko's least-shard rule over log instances, blind to load and tier. */
class CountBalancerTest {

  private static final PlannerSettings DEFAULTS = PlannerSettings.create(ConfigFactory.load());
  private static final CountBalancer BALANCER = new CountBalancer(DEFAULTS);
  private static final List<Instance> INSTANCES = List.of(
      new Instance("fast", "fast", 8L << 30, 0), new Instance("standard", "standard", 64L << 30, 0));
  private static final long NOW = 10_000_000;

  private static PlanRound plan(ShardMap map, Map<String, RangeLoad> loads, Set<String> inTransfer, int inFlight,
      List<Decision> recent) {
    return BALANCER.plan(new PlannerInput(map, loads, INSTANCES, inTransfer, inFlight, recent, NOW));
  }

  @Test
  void rangesMoveFromTheFullestInstanceToTheEmptiestUpToTheLimitOnTransfers() {
    ShardMap map = ShardMap.initial(16, "standard");
    PlanRound round = plan(map, Map.of(), Set.of(), 0, List.of());
    assertEquals(List.of(TransferRequest.move("r15", "fast"), TransferRequest.move("r14", "fast")),
        round.transfers().stream().map(PlannedTransfer::request).toList(), "max-in-flight 2, the last ranges first");
    assertEquals(1, plan(map, Map.of(), Set.of(), 1, List.of()).transfers().size(), "one already in flight");
  }

  @Test
  void itIsBlindToLoadAndNeverSplitsOrMerges() {
    ShardMap map = ShardMap.initial(16, "standard");
    Map<String, RangeLoad> loads = new HashMap<>();
    for (RangePlacement p : map.placements()) {
      loads.put(p.rangeId(), new RangeLoad(p.rangeId().equals("r3") ? 5_000 : 0, 0, 0, 1_000, null));
    }
    PlanRound round = plan(map, loads, Set.of(), 0, List.of());
    assertTrue(round.transfers().stream().allMatch(t -> t.request().kind() == TransferKind.MOVE), round.toString());
    assertTrue(round.transfers().stream().noneMatch(t -> t.request().rangeIds().contains("r3")),
        "the hot range is not chosen for its load: " + round);
  }

  @Test
  void balancedCountsRangesInTransferAndCooldownsHoldItBack() {
    ShardMap map = ShardMap.initial(16, "standard");
    List<RangePlacement> half = map.placements().stream()
        .map(p -> Integer.parseInt(p.rangeId().substring(1)) % 2 == 0 ? p : new RangePlacement(p.rangeId(), p.range(),
            p.generation(), "fast"))
        .toList();
    assertEquals(List.of(), plan(new ShardMap(2, half), Map.of(), Set.of(), 0, List.of()).transfers(), "8 and 8");

    PlanRound busy = plan(map, Map.of(), Set.of("r15"), 0, List.of(new Decision(TransferKind.MOVE,
        List.of("r14"), "0", "1", "fast", "baseline", NOW - 1_000)));
    assertEquals(List.of(TransferRequest.move("r13", "fast"), TransferRequest.move("r12", "fast")),
        busy.transfers().stream().map(PlannedTransfer::request).toList());
    assertTrue(busy.skipped().stream().anyMatch(s -> s.rangeId().equals("r14") && s.why().equals("cooldown")));
  }
}
