package dev.logshard.bench.planner;

import static dev.logshard.bench.planner.PlannerSimulation.BYTES_PER_KEY;
import static dev.logshard.bench.planner.PlannerSimulation.COPY_BYTES_PER_SECOND;
import static dev.logshard.bench.planner.PlannerSimulation.EVENT_SECONDS;
import static dev.logshard.bench.planner.PlannerSimulation.RAMP_SECONDS;
import static dev.logshard.bench.planner.PlannerSimulation.TICK_SECONDS;

import dev.logshard.bench.planner.PlannerSimulation.Metrics;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.coordinator.CoordinatorEvent;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.forecast.RingForecast;
import dev.logshard.core.planner.Decision;
import dev.logshard.core.planner.PlanRound;
import dev.logshard.core.planner.PlannedTransfer;
import dev.logshard.core.planner.PlannerInput;
import dev.logshard.core.planner.PlannerModes;
import dev.logshard.core.planner.PlannerSettings;
import dev.logshard.core.profile.CellCounts;
import dev.logshard.core.profile.LoadHistory;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One planner mode on one trace (see {@link PlannerSimulation}): three log instances and three
 * nodes. The map, plans and commits are the real {@link CoordinatorState}; a committed transfer's
 * generations run on the node it names, else (as Pekko's least-shard allocation would place them)
 * on the node with the fewest ranges; a relocated generation runs on its new node
 * {@link PlannerSimulation#RELOCATE_SECONDS} later. The planner sees where each range runs and, unless
 * {@code colocation} is off, the ranges the workload's batches use together.
 */
final class SimulatedCluster {
  final PlannerSettings settings;
  final String mode;
  final Workload workload;
  final PlannerModes modes;
  final double capacity;
  List<PlannerInput.Instance> instances;
  CoordinatorState state = CoordinatorState.empty();
  final Map<String, Double> secondsLeft = new HashMap<>();
  /** Generations relocated to another node, by range, until they run there. */
  final Map<String, Relocation> relocating = new HashMap<>();
  LoadHistory history = LoadHistory.empty(1024);
  RingForecast forecast;
  double[] minuteCells = new double[1024];
  double[] stepCells = new double[1024];
  double[] prefix;
  final List<String> nodes = new ArrayList<>(List.of("n1:1", "n2:1", "n3:1"));
  final Map<String, String> nodeOf = new HashMap<>();
  final Set<String> drainingNodes = new TreeSet<>();
  final boolean colocation;
  int afterShiftTicks = -1;

  /** {@code capacity}: each log instance's requests per second. */
  SimulatedCluster(PlannerSettings settings, String mode, Workload workload, boolean colocation, double capacity) {
    this.settings = settings;
    this.capacity = capacity;
    this.instances = List.of(new PlannerInput.Instance("fast-1", "fast", 8L << 30, capacity),
        new PlannerInput.Instance("standard-1", "standard", 64L << 30, capacity),
        new PlannerInput.Instance("standard-2", "standard", 64L << 30, capacity));
    this.mode = mode;
    this.workload = workload;
    this.colocation = colocation;
    this.modes = new PlannerModes(settings);
    this.forecast = RingForecast.create(settings.forecast());
    state = state.apply(new CoordinatorEvent.MapInitialized(1, ShardMap.initial(16, "standard-1").placements()));
    state.placements().forEach(p -> nodeOf.put(p.rangeId(), nodes.get(nodeOf.size() % nodes.size())));
  }

  Metrics run(double hours, double measureFrom) {
    Metrics m = new Metrics();
    double step = settings.forecast().step().toSeconds();
    for (double t = TICK_SECONDS; t <= hours * 3600; t += TICK_SECONDS) {
      long now = (long) (t * 1000);
      double[] rates = workload.rates(t);
      prefix = new double[rates.length + 1];
      for (int i = 0; i < rates.length; i++) {
        prefix[i + 1] = prefix[i] + rates[i];
        int cell = (int) (workload.hashes[i] >>> 54);
        minuteCells[cell] += rates[i] * TICK_SECONDS;
        stepCells[cell] += rates[i] * TICK_SECONDS;
      }
      finishTransfers(now);
      finishRelocations();
      if (t % 60 == 0) {
        history = history.add(now, CellCounts.of(minuteCells), 6 * 3_600_000L);
        minuteCells = new double[1024];
      }
      if (t % step == 0) {
        forecast = forecast.observe(forecast.rates(stepCells, step));
        stepCells = new double[1024];
      }
      boolean measured = t >= measureFrom;
      if (t == EVENT_SECONDS && workload.shape.equals("grow")) {
        instances = List.of(instances.get(0), instances.get(1), instances.get(2),
            new PlannerInput.Instance("standard-3", "standard", 64L << 30, capacity));
      } else if (t == EVENT_SECONDS && workload.shape.equals("drain")) {
        instances = List.of(instances.get(0), instances.get(1), instances.get(2).draining(true));
      } else if (t == EVENT_SECONDS && workload.shape.equals("node-added")) {
        nodes.add("n4:1");
      } else if (t == EVENT_SECONDS && workload.shape.equals("node-drain")) {
        drainingNodes.add("n3:1");
      }
      if (workload.shiftsAt(t, TICK_SECONDS)) {
        afterShiftTicks = 2;
      } else if (afterShiftTicks >= 0) {
        afterShiftTicks--;
      }
      plan(now, m, measured);
      measure(t, m, measured);
    }
    if (mode.equals("predictive")) {
      m.mape = forecast.of(KeyRange.full(), history).mape();
    }
    return m;
  }

  /** One tick's metrics: the instances', then the nodes'. */
  private void measure(double t, Metrics m, boolean measured) {
    double[] loads = instanceLoads();
    boolean over = false;
    double peak = 0;
    for (int i = 0; i < loads.length; i++) {
      over |= loads[i] > instances.get(i).capacityRequestsPerSecond();
      peak = Math.max(peak, loads[i] / instances.get(i).capacityRequestsPerSecond());
    }
    // The standard tier's instances (not drained): the fast tier holds the hot ranges by design.
    double tierMax = 0;
    double tierSum = 0;
    int tierSize = 0;
    for (int i = 0; i < loads.length; i++) {
      if (instances.get(i).tier().equals("standard") && !instances.get(i).draining()) {
        tierMax = Math.max(tierMax, loads[i]);
        tierSum += loads[i];
        tierSize++;
      }
    }
    double maxOverMean = tierSum > 0 ? tierMax / (tierSum / tierSize) : 1;
    if (t >= EVENT_SECONDS && Double.isNaN(m.eventMinutes) && eventDone(loads, tierSum / tierSize)) {
      m.eventMinutes = (t - EVENT_SECONDS) / 60;
    }
    if (afterShiftTicks == 0 && measured) {
      m.afterShiftSum += maxOverMean;
      m.shifts++;
    }
    if (measured) {
      m.ticks++;
      m.overTicks += over ? 1 : 0;
      m.maxOverMeanSum += maxOverMean;
      m.peakUse = Math.max(m.peakUse, peak);
    }
    Map<String, Double> onNode = nodeLoads();
    // Over the nodes that are not drained (a drained node ends with nothing, by design).
    double total = onNode.values().stream().mapToDouble(Double::doubleValue).sum();
    double nodeMean = total / (nodes.size() - drainingNodes.size());
    double nodeMax = onNode.entrySet().stream().filter(e -> !drainingNodes.contains(e.getKey()))
        .mapToDouble(Map.Entry::getValue).max().orElse(0) / nodeMean;
    boolean nodeEventDone = switch (workload.shape) {
      case "node-added" -> onNode.containsKey("n4:1") && Math.abs(onNode.get("n4:1") - nodeMean) <= 0.1 * nodeMean;
      case "node-drain" -> !nodeOf.containsValue("n3:1") && state.inFlight().isEmpty();
      default -> false;
    };
    if (t >= EVENT_SECONDS && Double.isNaN(m.eventMinutes) && nodeEventDone) {
      m.eventMinutes = (t - EVENT_SECONDS) / 60;
    }
    if (afterShiftTicks == 0 && measured) {
      m.nodeAfterShiftSum += nodeMax;
    }
    if (measured) {
      m.nodeMaxOverMeanSum += nodeMax;
      double batches = 0;
      double hops = 0;
      for (Workload.Batch b : workload.batches()) {
        batches += b.rate();
        hops += b.rate() * (rangesOf(b).stream().map(nodeOf::get).distinct().count() - 1);
      }
      if (batches > 0) {
        m.fanOutSum += hops / batches;
        m.fanOutTicks++;
      }
    }
  }

  /** Requests per second on each node now (a range in transfer still on its source's node). */
  private Map<String, Double> nodeLoads() {
    Map<String, Double> loads = new HashMap<>();
    nodes.forEach(n -> loads.put(n, 0.0));
    for (RangePlacement p : state.placements()) {
      double requests = prefix[endKey(p.range())] - prefix[firstKey(p.range().start())];
      loads.merge(nodeOf.get(p.rangeId()), requests, Double::sum);
    }
    return loads;
  }

  /** The ranges a batch touches now. */
  private List<String> rangesOf(Workload.Batch batch) {
    List<String> ranges = new ArrayList<>();
    for (int key : batch.keys()) {
      ranges.add(state.shardMap().placements().get(state.shardMap().indexOf(workload.hashes[key])).rangeId());
    }
    return ranges.stream().distinct().toList();
  }

  /** In a cluster, where each range runs and (unless {@code colocation} is off) the ranges batches use together. */
  private PlannerInput.Hosts hosts() {
    List<PlannerInput.Correlated> correlated = new ArrayList<>();
    if (colocation) {
      Map<List<String>, Double> strength = new HashMap<>();
      for (Workload.Batch b : workload.batches()) {
        List<String> ranges = rangesOf(b).stream().sorted().toList();
        for (int i = 0; i < ranges.size(); i++) {
          for (int j = i + 1; j < ranges.size(); j++) {
            // About what a profiler counts in a minute of 1-in-100 samples.
            strength.merge(List.of(ranges.get(i), ranges.get(j)), b.rate() * 60 / 100, Double::sum);
          }
        }
      }
      strength.forEach((pair, s) -> correlated.add(new PlannerInput.Correlated(pair.get(0), pair.get(1), s)));
    }
    Map<String, String> where = new HashMap<>(nodeOf);
    relocating.forEach((rangeId, r) -> where.put(rangeId, r.node())); // on its way there
    for (CoordinatorState.ActiveTransfer t : state.inFlight()) {
      if (t.plan().toNode() != null) {
        t.plan().destinations().forEach(d -> where.put(d.rangeId(), t.plan().toNode())); // on its way there
      }
    }
    return new PlannerInput.Hosts(List.copyOf(nodes), where, correlated, Map.of(), Set.copyOf(drainingNodes));
  }

  private void plan(long now, Metrics m, boolean measured) {
    Map<String, PlannerInput.RangeLoad> loads = new HashMap<>();
    for (RangePlacement p : state.placements()) {
      int from = firstKey(p.range().start());
      int to = endKey(p.range());
      double requests = prefix[to] - prefix[from];
      RingForecast.Forecast f = mode.equals("predictive") ? forecast.of(p.range(), history) : null;
      double planned = f == null ? requests : modes.planned(mode, requests, f.requestsPerSecond(), f.mape(),
          f.ready());
      double top = 0;
      for (int k = from; k < to; k++) {
        top = Math.max(top, prefix[k + 1] - prefix[k]);
      }
      loads.put(p.rangeId(), new PlannerInput.RangeLoad(requests, requests * 1024, planned,
          (long) (to - from) * BYTES_PER_KEY, median(p.range(), from, to), requests > 0 ? top / requests : 0));
    }
    Set<String> inTransfer = new HashSet<>();
    state.inFlight().forEach(t -> {
      t.plan().sources().forEach(p -> inTransfer.add(p.rangeId()));
      t.plan().destinations().forEach(p -> inTransfer.add(p.rangeId()));
    });
    PlannerInput input = new PlannerInput(state.shardMap(), loads, instances, inTransfer, state.inFlight().size(),
        state.decisions(), now, hosts());
    PlanRound round = modes.plan(mode, input);
    for (PlannedTransfer t : round.transfers()) {
      if (state.conflictWith(t.request()).isPresent()) {
        continue;
      }
      if (settings.relocates(t.request())) {
        // The same generation to another node: handed off at sharding's next rebalance, then recovered.
        RangePlacement p = state.shardMap().byRangeId(t.request().rangeIds().get(0)).orElseThrow();
        state = state.apply(new CoordinatorEvent.DecisionRecorded(Decision.relocation(t, p, now)))
            .apply(new CoordinatorEvent.GenerationRelocated(p.entityId(), t.request().toNode()));
        relocating.put(p.rangeId(), new Relocation(t.request().toNode(), PlannerSimulation.RELOCATE_SECONDS));
        if (measured) {
          m.transfers++;
        }
        continue;
      }
      TransferPlan plan = state.plan(t.request()).startedBy("planner: " + t.reason());
      state = state.apply(new CoordinatorEvent.DecisionRecorded(Decision.of(t, plan, now)))
          .apply(new CoordinatorEvent.TransferPlanned(plan));
      long bytes = plan.sources().stream().mapToLong(p -> keysIn(p.range()) * BYTES_PER_KEY).sum();
      secondsLeft.put(plan.id(), RAMP_SECONDS + bytes / COPY_BYTES_PER_SECOND);
      if (measured) {
        m.transfers++;
        m.bytesMoved += bytes;
      }
    }
  }

  /** A relocation under way: the node it goes to, and the seconds until it runs there. */
  private record Relocation(String node, double secondsLeft) {}

  private void finishRelocations() {
    for (Map.Entry<String, Relocation> r : List.copyOf(relocating.entrySet())) {
      double left = r.getValue().secondsLeft() - TICK_SECONDS;
      if (left > 0) {
        relocating.put(r.getKey(), new Relocation(r.getValue().node(), left));
      } else {
        relocating.remove(r.getKey());
        nodeOf.computeIfPresent(r.getKey(), (rangeId, before) -> r.getValue().node()); // unless it left the map
      }
    }
  }

  private void finishTransfers(long now) {
    for (CoordinatorState.ActiveTransfer t : List.copyOf(state.active())) {
      String id = t.plan().id();
      double left = secondsLeft.merge(id, -TICK_SECONDS, Double::sum);
      if (left <= 0) {
        state = state.apply(new CoordinatorEvent.TransferCommitted(id, state.epoch() + 1))
            .apply(new CoordinatorEvent.TransferEnded(TransferProgress.planned(t.plan(), now)));
        secondsLeft.remove(id);
        t.plan().sources().forEach(p -> nodeOf.remove(p.rangeId()));
        for (RangePlacement d : t.plan().destinations()) {
          nodeOf.put(d.rangeId(), t.plan().toNode() != null ? t.plan().toNode() : fewestRanges());
        }
      }
    }
  }

  /** Where Pekko's least-shard allocation puts a new shard: the node with the fewest. */
  private String fewestRanges() {
    Map<String, Integer> count = new HashMap<>();
    nodes.forEach(n -> count.put(n, 0));
    nodeOf.values().forEach(n -> count.merge(n, 1, Integer::sum));
    return nodes.stream().min(Comparator.comparingInt((String n) -> count.get(n)).thenComparing(n -> n)).orElseThrow();
  }

  /** Whether the added instance carries its share (within 10 % of its tier's mean), or the drained one is empty. */
  private boolean eventDone(double[] loads, double tierMean) {
    return switch (workload.shape) {
      case "grow" -> Math.abs(loads[3] - tierMean) <= 0.1 * tierMean;
      case "drain" -> state.placements().stream().noneMatch(p -> p.logInstance().equals("standard-2"))
          && state.inFlight().isEmpty();
      default -> false;
    };
  }

  /** Requests per second on each instance now (a range in transfer still on its source). */
  private double[] instanceLoads() {
    double[] loads = new double[instances.size()];
    for (RangePlacement p : state.placements()) {
      int from = firstKey(p.range().start());
      int to = endKey(p.range());
      for (int i = 0; i < loads.length; i++) {
        if (instances.get(i).name().equals(p.logInstance())) {
          loads[i] += prefix[to] - prefix[from];
        }
      }
    }
    return loads;
  }

  /** The hash that starts the key dividing the range's load in two, if inside the range. */
  private Long median(KeyRange range, int from, int to) {
    double half = (prefix[to] - prefix[from]) / 2;
    if (half <= 0) {
      return null;
    }
    int lo = from;
    int hi = to;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (prefix[mid + 1] - prefix[from] < half) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    long at = workload.hashes[lo];
    return Long.compareUnsigned(at, range.start()) > 0 ? at : null;
  }

  private long keysIn(KeyRange range) {
    return endKey(range) - firstKey(range.start());
  }

  /** The index after the range's last key. */
  private int endKey(KeyRange range) {
    return range.last() == -1L ? workload.hashes.length : firstKey(range.last() + 1);
  }

  /** The index of the first key whose hash is at or after {@code hash}. */
  private int firstKey(long hash) {
    int lo = 0;
    int hi = workload.hashes.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(workload.hashes[mid], hash) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
