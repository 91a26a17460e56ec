package dev.logshard.core.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.logshard.core.ShardMap;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import dev.logshard.core.transfer.TransferRequest;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which range generations may stop for good: retired ones only, never one a saga may still reach. */
class RetiredGenerationsTest {

  @Test
  void aGenerationIsRetiredOnlyOnceItsTransferHasEnded() {
    CoordinatorState state = CoordinatorState.empty()
        .apply(new CoordinatorEvent.MapInitialized(1, ShardMap.initial(4, "standard").placements()));
    String source = state.placements().get(0).entityId();
    TransferPlan split = state.plan(TransferRequest.split("r0", state.placements().get(0).range().start() + 1000));
    List<String> destinations = split.destinations().stream().map(p -> p.entityId()).toList();
    Set<String> all = Set.of(source, destinations.get(0), destinations.get(1), "r1.1", "r9.4");
    // What is placed may not stop; ids nobody knows may (the split's generations before it is planned).
    assertEquals(Set.of(destinations.get(0), destinations.get(1), "r9.4"), state.retired(all));

    state = state.apply(new CoordinatorEvent.TransferPlanned(split));
    assertEquals(Set.of("r9.4"), state.retired(all), "the source and destinations of a running split");
    state = state.apply(new CoordinatorEvent.TransferCommitted(split.id(), state.epoch() + 1));
    assertEquals(Set.of("r9.4"), state.retired(all), "committed, its saga still cleans up the source");
    state = state.apply(new CoordinatorEvent.TransferEnded(TransferProgress.planned(split, 0)));
    assertEquals(Set.of(source, "r9.4"), state.retired(all), "ended: only the old generation is retired");
  }

  @Test
  void theDestinationsOfARolledBackTransferAreRetiredWhenItEnds() {
    CoordinatorState state = CoordinatorState.empty()
        .apply(new CoordinatorEvent.MapInitialized(1, ShardMap.initial(4, "standard").placements()));
    TransferPlan move = state.plan(TransferRequest.move("r2", "fast"));
    String destination = move.destinations().get(0).entityId();
    state = state.apply(new CoordinatorEvent.TransferPlanned(move))
        .apply(new CoordinatorEvent.TransferRollingBack(move.id()));
    assertEquals(Set.of(), state.retired(Set.of(destination, "r2.1")));
    state = state.apply(new CoordinatorEvent.TransferEnded(TransferProgress.planned(move, 0)));
    assertEquals(Set.of(destination), state.retired(Set.of(destination, "r2.1")));
  }
}
