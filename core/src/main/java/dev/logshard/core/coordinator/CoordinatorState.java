package dev.logshard.core.coordinator;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.planner.Decision;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import dev.logshard.core.transfer.TransferRequest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Coordinator's state: the ShardMap (epoch 0 until the first request creates it), the running
 * Transfers with their plans, the counters that make every new generation and range id unique, the
 * most recent ended transfers, the planner's decisions, the log instances being drained (the
 * planner empties them), those added at runtime, the cluster nodes being drained ({@code host:port}),
 * and the node each generation of the map was placed on by a transfer that named one, or relocated to ({@code placedOn}:
 * entity id → {@code host:port}; recorded again for sharding at every Coordinator start, so a range
 * goes back to its node after the whole cluster restarted). Immutable: each event makes a new one (it is small).
 */
public record CoordinatorState(
    long epoch,
    List<RangePlacement> placements,
    List<ActiveTransfer> active,
    long lastGeneration,
    long lastRangeNumber,
    long transferCount,
    List<TransferProgress> ended,
    List<Decision> decisions,
    List<String> draining,
    List<AddedInstance> added,
    List<String> drainingNodes,
    Map<String, String> placedOn) implements CborSerializable {

  /** Ended transfers kept for the admin API. */
  public static final int ENDED_KEPT = 100;
  /** The planner's latest decisions kept (its memory for cooldowns and hysteresis, and the admin API). */
  public static final int DECISIONS_KEPT = 100;

  public CoordinatorState {
    decisions = decisions == null ? List.of() : decisions; // absent in snapshots of older versions
    draining = draining == null ? List.of() : draining;
    added = added == null ? List.of() : added;
    drainingNodes = drainingNodes == null ? List.of() : drainingNodes;
    placedOn = placedOn == null ? Map.of() : placedOn;
  }

  /** A log instance added at runtime (those of the configuration are not journaled). */
  public record AddedInstance(String name, String tier, long capacityBytes, double capacityRequestsPerSecond)
      implements CborSerializable {}

  /** The log instance added at runtime named {@code name}, if any. */
  public Optional<AddedInstance> added(String name) {
    return added.stream().filter(i -> i.name().equals(name)).findFirst();
  }

  private static final Pattern NUMBERED_RANGE = Pattern.compile("r(\\d{1,18})");

  /**
   * A running transfer; {@code committedEpoch} is 0 until its commit; once {@code rollingBack} it
   * can no longer commit.
   */
  public record ActiveTransfer(TransferPlan plan, long committedEpoch, boolean rollingBack) {}

  public static CoordinatorState empty() {
    return new CoordinatorState(0, List.of(), List.of(), 0, 0, 0, List.of(), List.of(), List.of(), List.of(), List.of(),
        Map.of());
  }

  public boolean isInitialized() {
    return epoch > 0;
  }

  public ShardMap shardMap() {
    return new ShardMap(epoch, placements);
  }

  public Optional<ActiveTransfer> activeTransfer(String transferId) {
    return active.stream().filter(t -> t.plan().id().equals(transferId)).findFirst();
  }

  /**
   * Those of {@code entityIds} that are retired: not placed ({@link #placementOf}) and neither a
   * source nor a destination of a transfer that has not ended (its saga may still talk to them). A
   * retired generation never serves again, so what runs for it can stop.
   */
  public Set<String> retired(Collection<String> entityIds) {
    Set<String> retired = new HashSet<>();
    for (String id : entityIds) {
      if (placementOf(id) == null && active.stream().noneMatch(t -> involves(t.plan(), id))) {
        retired.add(id);
      }
    }
    return retired;
  }

  private static boolean involves(TransferPlan plan, String entityId) {
    return plan.sources().stream().anyMatch(p -> p.entityId().equals(entityId))
        || plan.destinations().stream().anyMatch(p -> p.entityId().equals(entityId));
  }

  /**
   * The placement an entity id starts with: in the map, or a destination of an uncommitted transfer
   * that is not rolling back (a destination being discarded never starts again).
   */
  public RangePlacement placementOf(String entityId) {
    for (RangePlacement p : placements) {
      if (p.entityId().equals(entityId)) {
        return p;
      }
    }
    for (ActiveTransfer t : active) {
      if (t.committedEpoch() == 0 && !t.rollingBack()) {
        for (RangePlacement d : t.plan().destinations()) {
          if (d.entityId().equals(entityId)) {
            return d;
          }
        }
      }
    }
    return null;
  }

  /**
   * The uncommitted transfer that already involves one of the request's ranges, if any. A committed
   * one that waits to clean up its old generations holds no range: its destinations are the map's
   * ranges now, served and free to move again, and its sources are out of the map.
   */
  public Optional<String> conflictWith(TransferRequest request) {
    return inFlight().stream()
        .filter(t -> request.rangeIds().stream().anyMatch(id -> t.plan().involvesRange(id)))
        .map(t -> t.plan().id())
        .findFirst();
  }

  /** The transfers not committed yet (copying, catching up, fencing or rolling back). */
  public List<ActiveTransfer> inFlight() {
    return active.stream().filter(t -> t.committedEpoch() == 0).toList();
  }

  /** Plans the request with fresh generations and range ids. */
  public TransferPlan plan(TransferRequest request) {
    long[] generation = {lastGeneration};
    long[] rangeNumber = {lastRangeNumber};
    return request.plan("t" + (transferCount + 1), shardMap(), new TransferRequest.Ids() {
      @Override
      public long nextGeneration() {
        return ++generation[0];
      }

      @Override
      public String nextRangeId() {
        return "r" + ++rangeNumber[0];
      }
    });
  }

  public CoordinatorState apply(CoordinatorEvent event) {
    if (event instanceof CoordinatorEvent.MapInitialized init) {
      return new CoordinatorState(init.epoch(), init.placements(), active, maxGeneration(init.placements(), 0),
          maxRangeNumber(init.placements(), 0), transferCount, ended, decisions, draining, added, drainingNodes, placedOn);
    }
    if (event instanceof CoordinatorEvent.TransferPlanned planned) {
      List<ActiveTransfer> next = new ArrayList<>(active);
      next.add(new ActiveTransfer(planned.plan(), 0, false));
      return new CoordinatorState(epoch, placements, List.copyOf(next),
          maxGeneration(planned.plan().destinations(), lastGeneration),
          maxRangeNumber(planned.plan().destinations(), lastRangeNumber), transferCount + 1, ended, decisions, draining, added, drainingNodes, placedOn);
    }
    if (event instanceof CoordinatorEvent.TransferCommitted committed) {
      ActiveTransfer transfer = activeTransfer(committed.transferId()).orElseThrow();
      ShardMap next = transfer.plan().applyTo(shardMap());
      List<ActiveTransfer> nextActive = active.stream()
          .map(t -> t == transfer ? new ActiveTransfer(t.plan(), next.epoch(), false) : t)
          .toList();
      return new CoordinatorState(next.epoch(), next.placements(), nextActive, lastGeneration, lastRangeNumber,
          transferCount, ended, decisions, draining, added, drainingNodes, placedOn(next, transfer.plan()));
    }
    if (event instanceof CoordinatorEvent.TransferRollingBack rollingBack) {
      return new CoordinatorState(epoch, placements,
          active.stream().map(t -> t.plan().id().equals(rollingBack.transferId())
              ? new ActiveTransfer(t.plan(), t.committedEpoch(), true) : t).toList(),
          lastGeneration, lastRangeNumber, transferCount, ended, decisions, draining, added, drainingNodes, placedOn);
    }
    if (event instanceof CoordinatorEvent.DrainingSet set) {
      return new CoordinatorState(epoch, placements, active, lastGeneration, lastRangeNumber, transferCount, ended,
          decisions, marked(draining, set.instance(), set.draining()), added, drainingNodes, placedOn);
    }
    if (event instanceof CoordinatorEvent.NodeDrainingSet set) {
      return new CoordinatorState(epoch, placements, active, lastGeneration, lastRangeNumber, transferCount, ended,
          decisions, draining, added, marked(drainingNodes, set.node(), set.draining()), placedOn);
    }
    if (event instanceof CoordinatorEvent.InstanceAdded instance) {
      List<AddedInstance> next = new ArrayList<>(added);
      next.add(instance.instance());
      return new CoordinatorState(epoch, placements, active, lastGeneration, lastRangeNumber, transferCount, ended,
          decisions, draining, List.copyOf(next), drainingNodes, placedOn);
    }
    if (event instanceof CoordinatorEvent.GenerationRelocated relocated) {
      Map<String, String> nodes = new TreeMap<>(placedOn);
      if (placements.stream().anyMatch(p -> p.entityId().equals(relocated.entityId()))) {
        nodes.put(relocated.entityId(), relocated.node());
      }
      return new CoordinatorState(epoch, placements, active, lastGeneration, lastRangeNumber, transferCount, ended,
          decisions, draining, added, drainingNodes, Map.copyOf(nodes));
    }
    if (event instanceof CoordinatorEvent.DecisionRecorded recorded) {
      List<Decision> next = new ArrayList<>(decisions);
      next.add(recorded.decision());
      if (next.size() > DECISIONS_KEPT) {
        next.remove(0);
      }
      return new CoordinatorState(epoch, placements, active, lastGeneration, lastRangeNumber, transferCount, ended,
          List.copyOf(next), draining, added, drainingNodes, placedOn);
    }
    CoordinatorEvent.TransferEnded end = (CoordinatorEvent.TransferEnded) event;
    List<TransferProgress> nextEnded = new ArrayList<>(ended);
    nextEnded.add(end.progress());
    if (nextEnded.size() > ENDED_KEPT) {
      nextEnded.remove(0);
    }
    return new CoordinatorState(epoch, placements,
        active.stream().filter(t -> !t.plan().id().equals(end.progress().id())).toList(),
        lastGeneration, lastRangeNumber, transferCount, List.copyOf(nextEnded), decisions, draining, added, drainingNodes, placedOn);
  }

  /**
   * The nodes the map's generations were placed on by name after {@code plan} committed (a transfer
   * to a named node): its destinations there if it named one, and only generations still in the map.
   */
  private Map<String, String> placedOn(ShardMap next, TransferPlan plan) {
    Map<String, String> nodes = new TreeMap<>();
    for (RangePlacement p : next.placements()) {
      String node = placedOn.get(p.entityId());
      if (node != null) {
        nodes.put(p.entityId(), node);
      }
    }
    if (plan.toNode() != null) {
      plan.destinations().forEach(d -> nodes.put(d.entityId(), plan.toNode()));
    }
    return Map.copyOf(nodes);
  }

  /** {@code names} with {@code name} in it ({@code in}) or not, sorted. */
  private static List<String> marked(List<String> names, String name, boolean in) {
    TreeSet<String> next = new TreeSet<>(names);
    if (in) {
      next.add(name);
    } else {
      next.remove(name);
    }
    return List.copyOf(next);
  }

  private static long maxGeneration(List<RangePlacement> placements, long atLeast) {
    return Math.max(atLeast, placements.stream().mapToLong(RangePlacement::generation).max().orElse(0));
  }

  private static long maxRangeNumber(List<RangePlacement> placements, long atLeast) {
    long max = atLeast;
    for (RangePlacement p : placements) {
      Matcher m = NUMBERED_RANGE.matcher(p.rangeId());
      if (m.matches()) {
        max = Math.max(max, Long.parseLong(m.group(1)));
      }
    }
    return max;
  }
}
