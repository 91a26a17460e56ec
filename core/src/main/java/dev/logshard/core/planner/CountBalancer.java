package dev.logshard.core.planner;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.planner.PlanRound.Skipped;
import dev.logshard.core.transfer.TransferRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code baseline} mode: what Pekko's own shard allocation does, as a yardstick for the
 * load-aware modes. It balances range <em>counts</em> over the log instances (tier, load and size
 * unseen), never splits or merges, and, like Pekko's least-shard strategy, moves one range at a time
 * from the instance with the most ranges to the one with the fewest while they differ by more than
 * one; a draining instance is emptied first (as Pekko hands a leaving node's shards to the others).
 * It keeps to the limits every mode keeps: transfers in flight, ranges in a transfer, and the
 * cooldown. Deterministic.
 */
public final class CountBalancer {

  private final PlannerSettings settings;

  public CountBalancer(PlannerSettings settings) {
    this.settings = settings;
  }

  public PlanRound plan(PlannerInput in) {
    Map<String, List<RangePlacement>> byInstance = new LinkedHashMap<>();
    in.instances().stream().filter(i -> !i.draining()).forEach(i -> byInstance.put(i.name(), new ArrayList<>()));
    List<RangePlacement> leaving = new ArrayList<>();
    for (RangePlacement p : in.map().placements()) {
      boolean draining = in.instances().stream().anyMatch(i -> i.draining() && i.name().equals(p.logInstance()));
      if (draining) {
        leaving.add(p);
      } else {
        byInstance.computeIfAbsent(p.logInstance(), name -> new ArrayList<>()).add(p);
      }
    }
    List<PlannedTransfer> transfers = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    int slots = settings.maxInFlight() - in.transfersInFlight();
    Comparator<Map.Entry<String, List<RangePlacement>>> bySize = Comparator.comparingInt(e -> e.getValue().size());
    for (RangePlacement p : leaving) {
      if (transfers.size() >= slots || byInstance.isEmpty()) {
        break;
      }
      if (!in.rangesInTransfer().contains(p.rangeId())) {
        var to = byInstance.entrySet().stream().min(bySize.thenComparing(Map.Entry::getKey)).orElseThrow();
        to.getValue().add(p);
        transfers.add(new PlannedTransfer(TransferRequest.move(p.rangeId(), to.getKey()),
            "baseline: drain " + p.logInstance(), 0, in.loadOf(p.rangeId()).storedBytes()));
      }
    }
    while (transfers.size() < slots && byInstance.size() > 1) {
      var most = byInstance.entrySet().stream().max(bySize.thenComparing(Map.Entry::getKey)).orElseThrow();
      var fewest = byInstance.entrySet().stream().min(bySize.thenComparing(Map.Entry::getKey)).orElseThrow();
      if (most.getValue().size() - fewest.getValue().size() <= 1) {
        break;
      }
      RangePlacement range = movable(in, most.getValue(), skipped);
      if (range == null) {
        break;
      }
      most.getValue().remove(range);
      fewest.getValue().add(range);
      transfers.add(new PlannedTransfer(TransferRequest.move(range.rangeId(), fewest.getKey()),
          "baseline: " + (most.getValue().size() + 1) + " ranges on " + most.getKey() + ", "
              + (fewest.getValue().size() - 1) + " on " + fewest.getKey(),
          0, in.loadOf(range.rangeId()).storedBytes()));
    }
    return new PlanRound(List.copyOf(transfers), List.copyOf(skipped));
  }

  /** The last range of {@code ranges} (in ring order) that is not in a transfer or cooling down. */
  private RangePlacement movable(PlannerInput in, List<RangePlacement> ranges, List<Skipped> skipped) {
    for (int i = ranges.size() - 1; i >= 0; i--) {
      RangePlacement p = ranges.get(i);
      if (in.rangesInTransfer().contains(p.rangeId())) {
        continue;
      }
      boolean cooling = in.recent().stream().anyMatch(d -> d.rangeIds().contains(p.rangeId())
          && in.nowMillis() - d.atMillis() < settings.cooldown().toMillis());
      if (cooling) {
        skipped.add(new Skipped(p.rangeId(), "move", "cooldown"));
        continue;
      }
      return p;
    }
    return null;
  }
}
