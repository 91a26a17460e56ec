package dev.logshard.core.planner;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.planner.PlannerInput.Instance;
import dev.logshard.core.planner.PlannerInput.RangeLoad;
import dev.logshard.core.transfer.TransferRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The planner's rules for log instances that must shed ranges: a draining one ({@link #drain}), and
 * ({@link #propose}) one whose planned load (requests per second, measured or
 * forecast) is above its capacity, or more than {@code balance.tolerance} above the mean of its
 * tier's instances: move ranges off it, to the least used instance of its tier with room (over
 * capacity, of another tier if its own has none), until it
 * is back under {@code 1 - relief.headroom} of its capacity and within half the tolerance of the
 * mean. Cheap moves first: the ranges that cost the fewest bytes per request per second they take
 * away, and the instance's hottest range only if the others are not enough (moving it disturbs the
 * most requests). A move only to balance never takes more than the least used instance can take
 * and stay within the tolerance (so the two do not trade places). Instances without a requests
 * capacity (0) are relieved only to balance.
 */
final class InstanceRelief {

  /** Its rank among a round's proposals: after entering the fast tier, before leaving it. */
  static final int RANK = 2;

  /** Fallbacks come after every instance's first choices. */
  private static final double FALLBACK_ORDER = 1_000_000;

  private final PlannerSettings settings;

  InstanceRelief(PlannerSettings settings) {
    this.settings = settings;
  }

  /**
   * Every range on a draining instance moves: to an instance of its tier with room, else to any
   * with room. The operator asked for it, so it goes ahead of cooldown and hysteresis (not of the
   * limit on transfers in flight). {@code proposed}: ranges another rule already moves or splits.
   */
  List<Candidate> drain(PlannerInput in, Set<String> proposed) {
    Map<String, Instance> draining = new java.util.HashMap<>();
    in.instances().stream().filter(Instance::draining).forEach(i -> draining.put(i.name(), i));
    List<Candidate> out = new ArrayList<>();
    for (RangePlacement p : in.map().placements()) {
      Instance on = draining.get(p.logInstance());
      if (on == null || in.rangesInTransfer().contains(p.rangeId()) || proposed.contains(p.rangeId())) {
        continue;
      }
      RangeLoad load = in.loadOf(p.rangeId());
      out.add(new Candidate(RANK, List.of(p.rangeId()), TransferRequest.move(p.rangeId(), null),
          () -> "drain " + on.name() + ": every range moves off it", load.plannedRequestsPerSecond(), load.storedBytes())
          .towardTier(on.tier()).orAnyTier(true).forced());
    }
    return out;
  }

  /**
   * The moves that bring every over-capacity instance back under its target; {@code requestsOn}:
   * the planned requests per second on each instance; {@code alreadyProposed}: ranges another rule
   * already moves or splits this round (asked only if an instance needs relief); {@code heldBack}:
   * ranges the round would not move now (cooldown, hysteresis), shed only if nothing else can be.
   */
  List<Candidate> propose(PlannerInput in, Map<String, Double> requestsOn, Supplier<Set<String>> alreadyProposed,
      Predicate<String> heldBack) {
    Set<String> proposed = null;
    List<Candidate> out = new ArrayList<>();
    double tolerance = settings.balanceTolerance();
    for (Instance instance : in.instances()) {
      if (instance.draining()) {
        continue; // every range leaves it anyway
      }
      double capacity = instance.capacityRequestsPerSecond();
      double planned = requestsOn.getOrDefault(instance.name(), 0.0);
      List<Double> tier = in.instances().stream().filter(i -> i.tier().equals(instance.tier()) && !i.draining())
          .map(i -> requestsOn.getOrDefault(i.name(), 0.0)).toList();
      double tierMean = tier.stream().mapToDouble(Double::doubleValue).average().orElse(0);
      boolean overCapacity = capacity > 0 && planned > capacity;
      boolean unbalanced = tier.size() > 1 && planned > tierMean * (1 + tolerance);
      if (!overCapacity && !unbalanced) {
        continue;
      }
      double target = Math.min(overCapacity ? capacity * (1 - settings.reliefHeadroom()) : Double.MAX_VALUE,
          tier.size() > 1 ? tierMean * (1 + tolerance / 2) : Double.MAX_VALUE);
      double excess = planned - target;
      // Only to balance: a range the least used instance can take and stay within the tolerance.
      double largest = overCapacity ? Double.MAX_VALUE
          : tierMean * (1 + tolerance / 2) - tier.stream().mapToDouble(Double::doubleValue).min().orElse(0);
      String why = overCapacity ? String.format(Locale.ROOT, "over its capacity of %.0f", capacity)
          : String.format(Locale.ROOT, "%.0f %% above its tier's mean", 100 * (planned / tierMean - 1));
      proposed = proposed != null ? proposed : alreadyProposed.get();
      List<Movable> movable = new ArrayList<>();
      for (RangePlacement p : in.map().placements()) {
        if (!p.logInstance().equals(instance.name()) || in.rangesInTransfer().contains(p.rangeId())
            || proposed.contains(p.rangeId())) {
          continue;
        }
        RangeLoad load = in.loadOf(p.rangeId());
        double requests = load.plannedRequestsPerSecond();
        if (requests > 0 && requests <= largest) {
          movable.add(new Movable(p, requests, load.storedBytes()));
        }
      }
      // A range just moved here (or off here) would be refused: the others are shed instead.
      List<Movable> free = movable.stream().filter(m -> !heldBack.test(m.placement().rangeId())).toList();
      if (!free.isEmpty()) {
        movable = new ArrayList<>(free);
      }
      if (movable.isEmpty()) {
        continue;
      }
      Movable hottest = movable.stream()
          .max(Comparator.comparingDouble(Movable::requests).thenComparing(m -> m.placement().rangeId()))
          .orElseThrow();
      movable.remove(hottest);
      movable.sort(Comparator.comparingDouble(Movable::bytesPerRequest).thenComparing(m -> m.placement().rangeId()));
      List<Movable> chosen = new ArrayList<>();
      double relieved = 0;
      for (Movable m : movable) {
        if (relieved >= excess) {
          break;
        }
        chosen.add(m);
        relieved += m.requests();
      }
      if (relieved < excess) {
        // The cheap moves are not enough: the hottest range goes, alone if it is enough by itself.
        if (hottest.requests() >= excess) {
          chosen.clear();
        }
        chosen.add(hottest);
      }
      // The rest, cheap first, in case a chosen one finds no room (each only while still needed).
      List<Movable> fallbacks = new ArrayList<>(movable);
      fallbacks.removeAll(chosen);
      if (!chosen.contains(hottest)) {
        fallbacks.add(hottest);
      }
      for (Movable m : chosen) {
        out.add(move(instance, planned, why, m, m == hottest, overCapacity, target, false, out.size()));
      }
      for (Movable m : fallbacks) {
        out.add(move(instance, planned, why, m, m == hottest, overCapacity, target, true, out.size()));
      }
    }
    return out;
  }

  private static Candidate move(Instance instance, double planned, String why, Movable m, boolean hottest,
      boolean overCapacity, double target, boolean fallback, int order) {
    String rangeId = m.placement().rangeId();
    return new Candidate(RANK, List.of(rangeId), TransferRequest.move(rangeId, null),
        () -> String.format(Locale.ROOT,
            "relieve %s: %.0f requests/s planned, %s; %s (%d bytes, %.0f requests/s)",
            instance.name(), planned, why, hottest ? "its hottest range, the others are not enough"
                : "a cheap move", m.bytes(), m.requests()),
        // Over capacity, a range goes to another tier if its own has no room (balancing stays in the tier).
        m.requests(), m.bytes()).towardTier(instance.tier()).orAnyTier(overCapacity).ordered(fallback ? -FALLBACK_ORDER - order : -order)
        .relieving(instance.name(), target, fallback);
  }

  /** A range that may move off the instance: its planned requests per second and its bytes. */
  private record Movable(RangePlacement placement, double requests, long bytes) {
    double bytesPerRequest() {
      return bytes / requests;
    }
  }
}
