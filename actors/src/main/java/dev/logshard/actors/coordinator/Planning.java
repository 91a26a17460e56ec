package dev.logshard.actors.coordinator;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.coordinator.CoordinatorEvent;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.forecast.ForecastSettings;
import dev.logshard.core.planner.Decision;
import dev.logshard.core.planner.PlanRound;
import dev.logshard.core.planner.PlannedTransfer;
import dev.logshard.core.planner.Planner;
import dev.logshard.core.planner.PlannerInput;
import dev.logshard.core.planner.PlannerModes;
import dev.logshard.core.planner.PlannerSettings;
import dev.logshard.core.transfer.TransferKind;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferRequest;
import dev.logshard.persistence.LogInstances;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The Coordinator's side of the planner: turns the cluster-wide load and the Coordinator's state
 * into a {@link PlannerInput}, runs the {@link Planner}, and keeps the last rounds for the admin
 * API. Not an actor: the Coordinator calls it on its own thread.
 */
public final class Planning {

  /** Rounds kept for {@code GET /v1/admin/plan}. */
  private static final int ROUNDS_KEPT = 20;

  /** One round as the admin API shows it: what was started (with the transfer ids) and what was skipped, and why. */
  public record Round(long timeMillis, String mode, List<Started> started, List<PlanRound.Skipped> skipped)
      implements CborSerializable {}

  public record Started(String transferId, String kind, List<String> ranges, String toInstance, String toNode,
      Long splitAt, String reason, double expectedGain, long costBytes, String refusal) implements CborSerializable {}

  /** What {@code GET /v1/admin/plan} answers: the mode and the latest rounds, newest last, and the latest decisions. */
  public record View(String mode, List<Round> rounds, List<Decision> decisions) implements CborSerializable {}

  /**
   * A log instance as {@code GET /v1/admin/log-instances} shows it: its ranges now, whether it is
   * being drained, whether it can be removed (drained: no range on it or on its way to it, and
   * not the Coordinator's journal), whether it was added at runtime, and what its storage engine
   * tells of it on the Coordinator's node (RocksDB: space, memtables, compactions, stalls).
   */
  public record InstanceView(String name, String tier, long capacityBytes, double capacityRequestsPerSecond,
      boolean draining, int ranges, boolean holdsCoordinator, boolean removable, boolean addedAtRuntime,
      Map<String, Long> storage) implements CborSerializable {}

  public record InstancesView(List<InstanceView> instances) implements CborSerializable {}

  private final PlannerSettings settings;
  private final PlannerModes modes;
  private final LogInstances logInstances;
  private final Supplier<Set<String>> nodesUp;
  private final ArrayDeque<Round> rounds = new ArrayDeque<>();
  private String mode;

  /**
   * {@code logInstances}: this node's (null: none, in tests of other things); {@code nodesUp}: the
   * cluster's nodes that can run ranges now ({@code host:port}).
   */
  public Planning(PlannerSettings settings, LogInstances logInstances, Supplier<Set<String>> nodesUp) {
    this.logInstances = logInstances;
    this.nodesUp = nodesUp;
    this.settings = settings;
    this.modes = new PlannerModes(settings);
    this.mode = settings.mode();
  }

  /** The configured log instances, then those added at runtime. */
  private List<PlannerInput.Instance> instances(List<CoordinatorState.AddedInstance> added) {
    List<PlannerInput.Instance> all = new ArrayList<>();
    if (logInstances != null) {
      logInstances.configured().forEach(i -> all.add(
          new PlannerInput.Instance(i.name(), i.tier(), i.capacityBytes(), i.capacityRequestsPerSecond())));
    }
    added.forEach(i -> all.add(new PlannerInput.Instance(i.name(), i.tier(), i.capacityBytes(),
        i.capacityRequestsPerSecond())));
    return all;
  }

  /** Whether {@code instance} is a log instance, configured or added at runtime. */
  boolean knows(CoordinatorState state, String instance) {
    return instances(state.added()).stream().anyMatch(i -> i.name().equals(instance));
  }

  /** Why a transfer asked for by hand may not start (empty: it may): an unknown instance, or one split too many. */
  Optional<String> refusal(CoordinatorState state, TransferRequest request) {
    String to = request.toInstance();
    if (to != null && !knows(state, to)) {
      return Optional.of("no log instance '" + to + "'; there are " + instanceNames(state));
    }
    if (request.kind() == TransferKind.SPLIT && state.placements().size() >= settings.maxRanges()) {
      return Optional.of("the map already has " + state.placements().size()
          + " ranges, the most logshard.planner.split.max-ranges allows; merge cold ranges first");
    }
    return Optional.empty();
  }

  /** The names of every log instance, sorted. */
  List<String> instanceNames(CoordinatorState state) {
    return instances(state.added()).stream().map(PlannerInput.Instance::name).sorted().toList();
  }

  /**
   * Whether {@code added} may be added: null if so, its storage prepared on this node (where the
   * sagas run); else the refusal ({@code conflict}: the name exists).
   */
  CoordinatorCommand.LogInstanceAdded admit(CoordinatorState state, CoordinatorState.AddedInstance added) {
    if (knows(state, added.name())) {
      return new CoordinatorCommand.LogInstanceAdded(null, "log instance '" + added.name() + "' exists already", true);
    }
    try {
      register(added);
      return null;
    } catch (RuntimeException e) {
      return new CoordinatorCommand.LogInstanceAdded(null, e.getMessage(), false);
    }
  }

  /** Makes every instance added at runtime known on this node again; answers those that failed, and why. */
  Map<String, String> registerAdded(CoordinatorState state) {
    Map<String, String> failed = new TreeMap<>();
    for (CoordinatorState.AddedInstance added : state.added()) {
      try {
        register(added);
      } catch (RuntimeException e) {
        failed.put(added.name(), e.getMessage());
      }
    }
    return failed;
  }

  /** Prepares an instance added at runtime on this node (idempotent); throws if it cannot. */
  private void register(CoordinatorState.AddedInstance added) {
    if (logInstances == null) {
      throw new IllegalStateException("this node has no log instances");
    }
    logInstances.register(added.name(), added.tier(), added.capacityBytes(), added.capacityRequestsPerSecond());
  }

  String mode() {
    return mode;
  }

  java.time.Duration interval() {
    return settings.interval();
  }

  ForecastSettings forecastSettings() {
    return settings.forecast();
  }

  boolean on() {
    return !mode.equals("off");
  }

  void setMode(String mode) {
    this.mode = mode;
  }

  /**
   * What a round decided: the events to persist (a decision, then its transfer or relocation, each),
   * the sagas to start, and the generations to relocate (entity id → {@code host:port}).
   */
  record Decided(List<CoordinatorEvent> events, List<TransferPlan> plans, Map<String, String> relocations) {}

  /**
   * Plans on {@code state} and the cluster's load now, and turns the round's transfers into plans
   * with fresh ids and generations (each on the state after the ones before); records the round.
   */
  Decided decide(CoordinatorState state, ClusterLoad.View load, long nowMillis) {
    PlanRound round = plan(state, load, nowMillis);
    List<CoordinatorEvent> events = new ArrayList<>();
    List<TransferPlan> plans = new ArrayList<>();
    List<Started> started = new ArrayList<>();
    CoordinatorState next = state;
    Map<String, String> relocations = new HashMap<>();
    for (PlannedTransfer t : round.transfers()) {
      TransferRequest request = t.request();
      RangePlacement relocated = relocatable(next, t);
      if (relocated != null) {
        // The same generation on another node: no copy, Cluster Sharding hands it off.
        CoordinatorEvent decision = new CoordinatorEvent.DecisionRecorded(Decision.relocation(t, relocated, nowMillis));
        CoordinatorEvent event = new CoordinatorEvent.GenerationRelocated(relocated.entityId(), request.toNode());
        next = next.apply(decision).apply(event);
        events.add(decision);
        events.add(event);
        relocations.put(relocated.entityId(), request.toNode());
        started.add(new Started(null, "relocate", request.rangeIds(), null, request.toNode(), null, t.reason(),
            t.expectedGain(), 0, null));
        continue;
      }
      String refusal = next.conflictWith(request).map(id -> "in transfer " + id).orElse(null);
      TransferPlan plan = null;
      if (refusal == null) {
        try {
          plan = next.plan(request).startedBy("planner: " + t.reason());
        } catch (IllegalArgumentException e) {
          refusal = e.getMessage();
        }
      }
      if (plan != null) {
        CoordinatorEvent decision = new CoordinatorEvent.DecisionRecorded(Decision.of(t, plan, nowMillis));
        CoordinatorEvent planned = new CoordinatorEvent.TransferPlanned(plan);
        next = next.apply(decision).apply(planned);
        events.add(decision);
        events.add(planned);
        plans.add(plan);
      }
      started.add(new Started(plan == null ? null : plan.id(), request.kind().name().toLowerCase(Locale.ROOT),
          request.rangeIds(), request.toInstance(), request.toNode(), request.splitAt(), t.reason(), t.expectedGain(),
          t.costBytes(),
          refusal));
    }
    if (!started.isEmpty() || !round.skipped().isEmpty()) {
      record(new Round(nowMillis, mode, List.copyOf(started), round.skipped()));
    }
    return new Decided(List.copyOf(events), List.copyOf(plans), Map.copyOf(relocations));
  }

  /**
   * The placement whose generation {@code t} relocates, or null when it is to be a transfer: only a
   * move of one range to another node, with {@code planner.nodes.relocate} on, of a range in no transfer.
   */
  private RangePlacement relocatable(CoordinatorState state, PlannedTransfer t) {
    if (!settings.relocates(t.request()) || state.conflictWith(t.request()).isPresent()) {
      return null;
    }
    return state.shardMap().byRangeId(t.request().rangeIds().get(0)).orElse(null);
  }

  /** The round for {@code state} and the cluster's load now. */
  PlanRound plan(CoordinatorState state, ClusterLoad.View load, long nowMillis) {
    Map<String, PlannerInput.RangeLoad> loads = new HashMap<>();
    for (ClusterLoad.RangeLoad r : load.ranges()) {
      double requests = r.readsPerSecond() + r.writesPerSecond();
      Double error = r.forecast().mape(); // null until a forecast came true
      double forecast = modes.planned(mode, requests, r.forecast().requestsPerSecond(),
          error == null ? Double.NaN : error, r.forecast().ready());
      String median = r.recentSplitPoint() != null ? r.recentSplitPoint() : r.historySplitPoint();
      loads.put(r.rangeId(), new PlannerInput.RangeLoad(requests, r.bytesInPerSecond() + r.bytesOutPerSecond(),
          forecast, r.storedBytes() == null ? 0 : r.storedBytes(), median == null ? null : Long.parseUnsignedLong(median),
          r.topKeyShare() == null ? Double.NaN : r.topKeyShare()));
    }
    Set<String> inTransfer = new HashSet<>();
    for (CoordinatorState.ActiveTransfer t : state.inFlight()) {
      t.plan().sources().forEach(p -> inTransfer.add(p.rangeId()));
      t.plan().destinations().forEach(p -> inTransfer.add(p.rangeId()));
    }
    List<PlannerInput.Instance> marked = instances(state.added()).stream()
        .map(i -> i.draining(state.draining().contains(i.name()))).toList();
    PlannerInput input = new PlannerInput(state.shardMap(), loads, marked, inTransfer, state.inFlight().size(),
        state.decisions(), nowMillis, hosts(state, load));
    return modes.plan(mode, input);
  }

  /**
   * Where each range runs (a range on its way to a node: there) and which are used together, when
   * there is more than one node to choose from.
   */
  private PlannerInput.Hosts hosts(CoordinatorState state, ClusterLoad.View load) {
    List<String> up = List.copyOf(new TreeSet<>(nodesUp.get()));
    if (up.size() < 2) {
      return PlannerInput.Hosts.ONE_NODE;
    }
    Map<String, String> nodeOf = new HashMap<>();
    load.ranges().stream().filter(r -> r.node() != null).forEach(r -> nodeOf.put(r.rangeId(), r.node()));
    // Where a generation was placed or relocated to (sharding moves it there if that node is up),
    // ahead of the nodes' load reports, which lag a relocation by a few seconds.
    for (RangePlacement p : state.placements()) {
      String placed = state.placedOn().get(p.entityId());
      if (placed != null && up.contains(placed)) {
        nodeOf.put(p.rangeId(), placed);
      }
    }
    for (CoordinatorState.ActiveTransfer t : state.inFlight()) {
      if (t.plan().toNode() != null) {
        t.plan().destinations().forEach(d -> nodeOf.put(d.rangeId(), t.plan().toNode()));
      }
    }
    List<PlannerInput.Correlated> correlated = load.correlated().stream()
        .map(p -> new PlannerInput.Correlated(p.a(), p.b(), p.strength())).toList();
    Map<String, Map<String, Double>> roundTrips = new HashMap<>();
    load.nodes().forEach(n -> roundTrips.put(n.node(), n.roundTripMillis()));
    return new PlannerInput.Hosts(up, nodeOf, correlated, roundTrips, Set.copyOf(state.drainingNodes()));
  }

  private void record(Round round) {
    rounds.addLast(round);
    if (rounds.size() > ROUNDS_KEPT) {
      rounds.removeFirst();
    }
  }

  CoordinatorCommand.DrainingNodes drainingNodes(CoordinatorState state) {
    List<String> receiving = state.inFlight().stream().map(t -> t.plan().toNode()).filter(Objects::nonNull)
        .distinct().sorted().toList();
    List<String> current = state.isInitialized()
        ? state.placements().stream().map(RangePlacement::entityId).toList() : List.of();
    return new CoordinatorCommand.DrainingNodes(state.drainingNodes(), receiving, current);
  }

  InstancesView instances(CoordinatorState state) {
    List<InstanceView> views = new ArrayList<>();
    String coordinatorInstance = logInstances == null ? null : logInstances.coordinator().name();
    for (PlannerInput.Instance i : instances(state.added())) {
      int ranges = (int) state.placements().stream().filter(p -> p.logInstance().equals(i.name())).count();
      boolean incoming = state.inFlight().stream()
          .anyMatch(t -> t.plan().destinations().stream().anyMatch(d -> d.logInstance().equals(i.name())));
      boolean draining = state.draining().contains(i.name());
      boolean holdsCoordinator = i.name().equals(coordinatorInstance);
      views.add(new InstanceView(i.name(), i.tier(), i.capacityBytes(), i.capacityRequestsPerSecond(), draining, ranges,
          holdsCoordinator, draining && ranges == 0 && !incoming && !holdsCoordinator,
          state.added(i.name()).isPresent(), logInstances == null ? Map.of() : logInstances.storageStats(i.name())));
    }
    return new InstancesView(List.copyOf(views));
  }

  View view(CoordinatorState state) {
    return new View(mode, List.copyOf(rounds), state.decisions());
  }
}
