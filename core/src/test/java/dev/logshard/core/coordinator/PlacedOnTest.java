package dev.logshard.core.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.logshard.core.ShardMap;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferRequest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The nodes transfers placed the map's generations on, journaled so a full restart puts them back. */
class PlacedOnTest {

  private static CoordinatorState commit(CoordinatorState state, TransferPlan plan) {
    return state.apply(new CoordinatorEvent.TransferPlanned(plan))
        .apply(new CoordinatorEvent.TransferCommitted(plan.id(), state.epoch() + 1));
  }

  @Test
  void aTransferToANamedNodePlacesItsDestinationsThereUntilTheyLeaveTheMap() {
    CoordinatorState state = CoordinatorState.empty()
        .apply(new CoordinatorEvent.MapInitialized(1, ShardMap.initial(4, "standard").placements()));
    assertEquals(Map.of(), state.placedOn());

    TransferPlan toB = state.plan(TransferRequest.move("r2", "fast").withToNode("127.0.0.1:2552"));
    String moved = toB.destinations().get(0).entityId();
    state = state.apply(new CoordinatorEvent.TransferPlanned(toB));
    assertEquals(Map.of(), state.placedOn(), "not before it commits");
    state = state.apply(new CoordinatorEvent.TransferCommitted(toB.id(), state.epoch() + 1));
    assertEquals(Map.of(moved, "127.0.0.1:2552"), state.placedOn());

    TransferPlan toC = state.plan(TransferRequest.move("r1", "fast").withToNode("127.0.0.1:2553"));
    state = commit(state, toC);
    assertEquals(Map.of(moved, "127.0.0.1:2552", toC.destinations().get(0).entityId(), "127.0.0.1:2553"),
        state.placedOn());

    // Split where it is (no node named): its old generation leaves the map, and with it its node.
    TransferPlan split = state.plan(TransferRequest.split("r2", state.shardMap().placements().stream()
        .filter(p -> p.rangeId().equals("r2")).findFirst().orElseThrow().range().start() + 1000));
    state = commit(state, split);
    assertEquals(Map.of(toC.destinations().get(0).entityId(), "127.0.0.1:2553"), state.placedOn());
  }

  @Test
  void aRelocatedGenerationIsPlacedOnItsNewNodeAndAGenerationNotInTheMapIsIgnored() {
    CoordinatorState state = CoordinatorState.empty()
        .apply(new CoordinatorEvent.MapInitialized(1, ShardMap.initial(4, "standard").placements()));
    String r1 = state.shardMap().byRangeId("r1").orElseThrow().entityId();
    state = state.apply(new CoordinatorEvent.GenerationRelocated(r1, "127.0.0.1:2552"));
    assertEquals(Map.of(r1, "127.0.0.1:2552"), state.placedOn());
    state = state.apply(new CoordinatorEvent.GenerationRelocated(r1, "127.0.0.1:2553"));
    assertEquals(Map.of(r1, "127.0.0.1:2553"), state.placedOn(), "relocated again");
    state = state.apply(new CoordinatorEvent.GenerationRelocated("r1.99", "127.0.0.1:2552"));
    assertEquals(Map.of(r1, "127.0.0.1:2553"), state.placedOn(), "a retired or unknown generation is not placed");
    assertEquals(1, state.epoch(), "the map is unchanged");
  }

  @Test
  void aSnapshotOfAnOlderVersionHasNoPlacedNodes() {
    CoordinatorState old = new CoordinatorState(1, ShardMap.initial(2, "standard").placements(), java.util.List.of(),
        1, 2, 0, java.util.List.of(), null, null, null, null, null);
    assertEquals(Map.of(), old.placedOn());
  }
}
