package dev.logshard.core.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.coordinator.CoordinatorEvent;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.planner.PlannerInput.Instance;
import dev.logshard.core.planner.PlannerInput.RangeLoad;
import dev.logshard.core.transfer.TransferKind;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Seeded, deterministic simulation of the planner on the real code ({@link Planner} for the rounds,
 * {@link CoordinatorState} for plans, commits and decisions, as the Coordinator journals them): a
 * ring whose load is a uniform background plus a hotspot that shifts, transfers whose duration grows
 * with their bytes, one round every 5 s. After every round: transfers in flight stay within the
 * limit, the fast tier within its capacity, and nothing flaps (no merge of hashes split within the
 * flap window, no hashes moved twice along one axis (nodes, log instances) within it). Progress: a
 * hotspot ends up split so that no range carries a quarter of the load, with its hot part on the fast
 * tier; the three nodes end within {@code balance.tolerance} of their mean load; a uniform load moves nothing.
 */
class PlannerSimulationTest {

  private static final PlannerSettings SETTINGS = PlannerSettings.create(ConfigFactory.load());
  private static final long ROUND_MILLIS = 5_000;
  private static final double RING = Math.pow(2, 64);
  /** Data is spread evenly over the ring: a range holds its width's share of this. */
  private static final long DATA_BYTES = 4L << 30;
  /** Copy pace: a transfer takes a round per this many bytes (at least one). */
  private static final long BYTES_PER_ROUND = 256L << 20;

  @Test
  void aShiftingHotspotIsSplitAndTieredAndNothingFlaps() {
    for (long seed = 1; seed <= 40; seed++) {
      Simulation sim = new Simulation(seed, 0.8);
      for (int shift = 0; shift < 3; shift++) {
        sim.moveHotspot();
        sim.run(40);
        String where = "seed " + seed + " shift " + shift;
        assertTrue(sim.maxShare() < 0.25 + 1e-9, where + ": a range still carries " + sim.maxShare() + " of the load");
        assertTrue(sim.hotPartOnFast(), where + ": the hotspot's hashes are not on the fast tier");
      }
    }
  }

  /** Three nodes, the ranges dealt out evenly by count: the hotspot's node carries most of the load until the planner moves ranges. */
  @Test
  void theNodesEndBalancedByLoad() {
    for (long seed = 1; seed <= 20; seed++) {
      Simulation sim = new Simulation(seed, 0.8);
      sim.moveHotspot();
      assertTrue(sim.nodeMaxOverMean() > 1.5, "seed " + seed + ": the hotspot's node starts at " + sim.nodeMaxOverMean());
      sim.run(300);
      assertTrue(sim.nodeMaxOverMean() <= 1 + SETTINGS.balanceTolerance(),
          "seed " + seed + ": the most loaded node at " + sim.nodeMaxOverMean() + " times the mean");
    }
  }

  @Test
  void aUniformLoadMovesNothing() {
    for (long seed = 1; seed <= 10; seed++) {
      Simulation sim = new Simulation(seed, 0.0);
      sim.run(100);
      assertEquals(0, sim.transfersStarted, "seed " + seed);
    }
  }

  private static final class Simulation {
    final Random random;
    final double hotShare;
    final Planner planner = new Planner(SETTINGS);
    final List<Instance> instances = List.of(new Instance("fast", "fast", 8L << 30, 0),
        new Instance("standard", "standard", 64L << 30, 0));
    CoordinatorState state = CoordinatorState.empty();
    /** Three nodes; the node each range runs on (a transfer's destinations go where it names, else to the fewest ranges). */
    final List<String> nodes = List.of("n1:1", "n2:1", "n3:1");
    final Map<String, String> nodeOf = new HashMap<>();
    final Map<String, Integer> roundsLeft = new HashMap<>();
    /** Generations relocated this round, by range: on their new node from the next. */
    final Map<String, String> relocated = new HashMap<>();
    long now = 1_000_000;
    double hotStart;
    final double hotWidth = 1.0 / 64;
    final double totalRequests = 2_000;
    int transfersStarted;

    Simulation(long seed, double hotShare) {
      this.random = new Random(seed);
      this.hotShare = hotShare;
      state = state.apply(new CoordinatorEvent.MapInitialized(1, ShardMap.initial(16, "standard").placements()));
      state.placements().forEach(p -> nodeOf.put(p.rangeId(), nodes.get(nodeOf.size() % nodes.size())));
    }

    void moveHotspot() {
      hotStart = random.nextDouble() * (1 - hotWidth);
    }

    void run(int rounds) {
      for (int r = 0; r < rounds; r++) {
        now += ROUND_MILLIS;
        finishTransfers();
        PlanRound round = planner.plan(input());
        int relocations = 0;
        for (PlannedTransfer t : round.transfers()) {
          assertTrue(state.conflictWith(t.request()).isEmpty(), "the planner proposed a range in transfer: " + t);
          if (SETTINGS.relocates(t.request())) {
            // The same generation on another node, running there by the next round (a hand-off).
            RangePlacement p = state.shardMap().byRangeId(t.request().rangeIds().get(0)).orElseThrow();
            state = state.apply(new CoordinatorEvent.DecisionRecorded(Decision.relocation(t, p, now)))
                .apply(new CoordinatorEvent.GenerationRelocated(p.entityId(), t.request().toNode()));
            relocated.put(p.rangeId(), t.request().toNode());
            relocations++;
            continue;
          }
          TransferPlan plan = state.plan(t.request()).startedBy("planner: " + t.reason());
          state = state.apply(new CoordinatorEvent.DecisionRecorded(Decision.of(t, plan, now)))
              .apply(new CoordinatorEvent.TransferPlanned(plan));
          long bytes = plan.sources().stream().mapToLong(p -> bytesOf(p.range())).sum();
          roundsLeft.put(plan.id(), (int) Math.max(1, (bytes + BYTES_PER_ROUND - 1) / BYTES_PER_ROUND));
          transfersStarted++;
        }
        assertTrue(relocations <= SETTINGS.maxRelocations(), "relocations in a round: " + relocations);
        checkInvariants();
      }
    }

    private void finishTransfers() {
      relocated.forEach((rangeId, node) -> nodeOf.computeIfPresent(rangeId, (id, before) -> node));
      relocated.clear();
      for (var t : List.copyOf(state.active())) {
        String id = t.plan().id();
        int left = roundsLeft.merge(id, -1, Integer::sum);
        if (left <= 0) {
          state = state.apply(new CoordinatorEvent.TransferCommitted(id, state.epoch() + 1))
              .apply(new CoordinatorEvent.TransferEnded(TransferProgress.planned(t.plan(), now)));
          roundsLeft.remove(id);
          t.plan().sources().forEach(p -> nodeOf.remove(p.rangeId()));
          for (RangePlacement d : t.plan().destinations()) {
            nodeOf.put(d.rangeId(), t.plan().toNode() != null ? t.plan().toNode() : fewestRanges());
          }
        }
      }
    }

    private PlannerInput input() {
      Map<String, RangeLoad> loads = new HashMap<>();
      for (RangePlacement p : state.placements()) {
        double requests = loadOf(p.range());
        loads.put(p.rangeId(), new RangeLoad(requests, requests * 1024, requests, bytesOf(p.range()), median(p.range())));
      }
      Set<String> inTransfer = new HashSet<>();
      state.active().forEach(t -> {
        t.plan().sources().forEach(p -> inTransfer.add(p.rangeId()));
        t.plan().destinations().forEach(p -> inTransfer.add(p.rangeId()));
      });
      return new PlannerInput(state.shardMap(), loads, instances, inTransfer, state.active().size(), state.decisions(),
          now, new PlannerInput.Hosts(nodes, where(), List.of()));
    }

    /** Where each range runs, or is on its way to. */
    private Map<String, String> where() {
      Map<String, String> where = new HashMap<>(nodeOf);
      where.putAll(relocated);
      state.active().stream().filter(t -> t.plan().toNode() != null)
          .forEach(t -> t.plan().destinations().forEach(d -> where.put(d.rangeId(), t.plan().toNode())));
      return where;
    }

    private String fewestRanges() {
      return nodes.stream().min(Comparator.comparingLong(
          (String n) -> nodeOf.values().stream().filter(n::equals).count()).thenComparing(n -> n)).orElseThrow();
    }

    /** The most loaded node's requests over the nodes' mean. */
    double nodeMaxOverMean() {
      Map<String, Double> load = new HashMap<>();
      nodes.forEach(n -> load.put(n, 0.0));
      state.placements().forEach(p -> load.merge(nodeOf.get(p.rangeId()), loadOf(p.range()), Double::sum));
      return load.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow() / (totalRequests / nodes.size());
    }

    private void checkInvariants() {
      assertTrue(state.active().size() <= SETTINGS.maxInFlight(), "transfers in flight: " + state.active().size());
      long onFast = state.placements().stream().filter(p -> p.logInstance().equals("fast"))
          .mapToLong(p -> bytesOf(p.range())).sum();
      assertTrue(onFast <= instances.get(0).capacityBytes(), "the fast tier holds " + onFast);
      List<Decision> decisions = state.decisions();
      for (int i = 0; i < decisions.size(); i++) {
        for (int j = i + 1; j < decisions.size(); j++) {
          Decision a = decisions.get(i);
          Decision b = decisions.get(j);
          if (b.atMillis() - a.atMillis() >= SETTINGS.flapWindow().toMillis() || !overlap(a, b)) {
            continue;
          }
          assertFalse(a.kind() == TransferKind.SPLIT && b.kind() == TransferKind.MERGE, "merged after a split: " + a + ", " + b);
          // Moves to another node name no log instance; back and forth is along one axis.
          assertFalse(a.kind() == TransferKind.MOVE && b.kind() == TransferKind.MOVE
              && (a.toInstance() == null) == (b.toInstance() == null), "moved twice: " + a + ", " + b);
        }
      }
    }

    double maxShare() {
      return state.placements().stream().mapToDouble(p -> loadOf(p.range()) / totalRequests).max().orElse(0);
    }

    /** Every range that holds a hot hash (a quarter of the hotspot's width in from its edges) is on fast. */
    boolean hotPartOnFast() {
      double centre = hotStart + hotWidth / 2;
      return state.placements().stream()
          .filter(p -> fraction(p.range().start()) <= centre && centre < end(p.range()))
          .allMatch(p -> p.logInstance().equals("fast"));
    }

    // --- the load model: a uniform background plus the hotspot, uniform inside [hotStart, hotStart + hotWidth)

    private double loadOf(KeyRange range) {
      double from = fraction(range.start());
      double to = end(range);
      double background = (1 - hotShare) * (to - from);
      double hot = hotShare * Math.max(0, Math.min(to, hotStart + hotWidth) - Math.max(from, hotStart)) / hotWidth;
      return totalRequests * (background + hot);
    }

    /** The hash that divides the range's load in two (by bisection on the load model). */
    private Long median(KeyRange range) {
      double from = fraction(range.start());
      double to = end(range);
      double half = loadOf(range) / 2;
      if (half <= 0) {
        return null;
      }
      double lo = from;
      double hi = to;
      for (int i = 0; i < 100; i++) {
        double mid = (lo + hi) / 2;
        if (loadBetween(from, mid) < half) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      long at = hash(hi);
      return Long.compareUnsigned(at, range.start()) > 0 && Long.compareUnsigned(at, range.last()) <= 0 ? at : null;
    }

    private double loadBetween(double from, double to) {
      double background = (1 - hotShare) * (to - from);
      double hot = hotShare * Math.max(0, Math.min(to, hotStart + hotWidth) - Math.max(from, hotStart)) / hotWidth;
      return totalRequests * (background + hot);
    }

    private static long bytesOf(KeyRange range) {
      return (long) (DATA_BYTES * (end(range) - fraction(range.start())));
    }

    private static boolean overlap(Decision a, Decision b) {
      BigInteger aStart = new BigInteger(a.start());
      BigInteger aEnd = new BigInteger(a.end());
      BigInteger bStart = new BigInteger(b.start());
      BigInteger bEnd = new BigInteger(b.end());
      return aStart.compareTo(bEnd) < 0 && bStart.compareTo(aEnd) < 0;
    }

    private static double fraction(long hash) {
      return new BigDecimal(new BigInteger(Long.toUnsignedString(hash))).doubleValue() / RING;
    }

    private static double end(KeyRange range) {
      return new BigDecimal(range.end()).doubleValue() / RING;
    }

    private static long hash(double fraction) {
      return new BigDecimal(fraction).multiply(new BigDecimal(RING)).toBigInteger().longValue();
    }
  }
}
