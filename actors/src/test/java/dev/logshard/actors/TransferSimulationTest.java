package dev.logshard.actors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.logshard.actors.RangeShardEvent.Change;
import dev.logshard.core.Expectation;
import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.transfer.TransferPhase;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import dev.logshard.core.transfer.TransferRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A seeded, deterministic simulation of the Coordinator's state machine and of the data a transfer
 * moves, on the real code: {@link CoordinatorState} (planning, commit, placement of starting
 * entities, recovery by replaying its journal), {@link TransferRequest}/{@link TransferPlan}, and
 * {@link RangeShardState} with {@link RangeShardDraft} (writes, fence, hand-off, a destination
 * following its sources by sequence number). Random interleavings of client writes, transfer
 * requests (move, split, merge), copy steps, commits, rollbacks and Coordinator restarts; the
 * invariants are checked after every step.
 *
 * <p>What it does not cover yet: the saga actor's own message handling and the Router's retries run
 * only in the real-node tests ({@code TransferTest}, {@code TransferCrashIT}).
 */
class TransferSimulationTest {

  private static final int SEEDS = 200;
  private static final int STEPS = 400;
  private static final int KEYS = 400;

  @Test
  void randomTransfersKeepOneWriterPerKeyAndEveryAcknowledgedWrite() {
    for (long seed = 1; seed <= SEEDS; seed++) {
      new Simulation(seed).run();
    }
  }

  /** One seeded run. */
  private static final class Simulation {

    private final long seed;
    private final Random random;
    /** The Coordinator's journal: the simulation's fake journal. */
    private final List<CoordinatorEvent> journal = new ArrayList<>();
    private CoordinatorState coordinator = CoordinatorState.empty();
    /** Each range generation's state, by entity id (its journal, replayed, is this state). */
    private final Map<String, RangeShardState> shards = new HashMap<>();
    /** Each generation's journal: event i has sequence number i + 1. */
    private final Map<String, List<RangeShardEvent>> logs = new HashMap<>();
    /** Running transfers whose destinations have their snapshot (the rest of the saga's state is here). */
    private final Set<String> snapshotted = new HashSet<>();
    /** Acknowledged writes: key → version and value. */
    private final Map<String, RangeShardState.Versioned> acknowledged = new HashMap<>();
    private final List<String> keys = new ArrayList<>();
    private final Set<String> retired = new HashSet<>();
    /** Generations some map routed to (a router with an old map may still send them writes). */
    private final Set<String> everRouted = new HashSet<>();
    private long lastEpoch;

    Simulation(long seed) {
      this.seed = seed;
      this.random = new Random(seed);
      for (int i = 0; i < KEYS; i++) {
        keys.add("k" + i);
      }
    }

    void run() {
      persist(new CoordinatorEvent.MapInitialized(1, ShardMap.initial(4, "standard").placements()));
      for (RangePlacement p : coordinator.placements()) {
        shards.put(p.entityId(), new RangeShardState());
      }
      for (int step = 0; step < STEPS; step++) {
        int dice = random.nextInt(100);
        if (dice < 55) {
          write();
        } else if (dice < 70) {
          requestTransfer();
        } else if (dice < 95) {
          advanceTransfer();
        } else {
          restartCoordinator();
        }
        checkInvariants("seed " + seed + " step " + step);
      }
      // Every transfer that was started ends.
      for (int guard = 0; !coordinator.active().isEmpty(); guard++) {
        assertTrue(guard < 1000, "seed " + seed + ": transfers did not end");
        advanceTransfer();
        checkInvariants("seed " + seed + " draining");
      }
    }

    private void persist(CoordinatorEvent event) {
      journal.add(event);
      coordinator = coordinator.apply(event);
    }

    private void restartCoordinator() {
      CoordinatorState recovered = CoordinatorState.empty();
      for (CoordinatorEvent event : journal) {
        recovered = recovered.apply(event);
      }
      assertEquals(coordinator, recovered, "seed " + seed + ": recovery gives the same state");
      coordinator = recovered;
    }

    /** A client's write through the map; a fenced range holds it (the client retries later). */
    private void write() {
      String key = keys.get(random.nextInt(keys.size()));
      RangePlacement placement = coordinator.shardMap().lookup(key);
      RangeShardState state = shards.get(placement.entityId());
      assertNotNull(state, "seed " + seed + ": the map routes " + key + " to a generation that does not exist");
      assertEquals(0, state.handedOffEpoch(), "seed " + seed + ": the map routes to a handed-off generation");
      if (state.fencedBy() != null) {
        return;
      }
      boolean delete = random.nextInt(10) == 0;
      byte[] value = delete ? null : (key + "@" + random.nextInt()).getBytes(StandardCharsets.UTF_8);
      RangeShardDraft draft = new RangeShardDraft(state, placement.range(), placement.entityId());
      KvReply reply = draft.apply(delete ? Operation.delete(key, Expectation.any()) : Operation.put(key, value, Expectation.any()));
      if (reply instanceof KvReply.NotFound) {
        return;
      }
      long version = reply instanceof KvReply.Written w ? w.version() : ((KvReply.Deleted) reply).version();
      for (RangeShardEvent event : draft.events()) {
        journalOn(placement.entityId(), event);
      }
      RangeShardState.Versioned previous = acknowledged.get(key);
      assertTrue(previous == null || version > previous.version(),
          "seed " + seed + ": version of " + key + " went from " + previous + " to " + version);
      acknowledged.put(key, new RangeShardState.Versioned(value, version));
    }

    private void journalOn(String entityId, RangeShardEvent event) {
      shards.get(entityId).apply(event);
      logs.computeIfAbsent(entityId, id -> new ArrayList<>()).add(event);
    }

    private long lastSeqNr(String entityId) {
      return logs.getOrDefault(entityId, List.of()).size();
    }

    private void requestTransfer() {
      List<RangePlacement> placements = coordinator.placements();
      RangePlacement first = placements.get(random.nextInt(placements.size()));
      TransferRequest request = switch (random.nextInt(3)) {
        case 0 -> TransferRequest.move(first.rangeId(), random.nextBoolean() ? "fast" : "standard");
        case 1 -> TransferRequest.split(first.rangeId(), null);
        default -> {
          int i = placements.indexOf(first);
          yield i + 1 < placements.size()
              ? TransferRequest.merge(first.rangeId(), placements.get(i + 1).rangeId())
              : TransferRequest.split(first.rangeId(), null);
        }
      };
      if (coordinator.conflictWith(request).isPresent()) {
        return;
      }
      TransferPlan plan;
      try {
        plan = coordinator.plan(request);
      } catch (IllegalArgumentException e) {
        return; // e.g. moving a range to the instance it is on is allowed; a 1-hash range cannot split
      }
      for (RangePlacement d : plan.destinations()) {
        assertNull(shards.get(d.entityId()), "seed " + seed + ": generation " + d.entityId() + " is reused");
        assertTrue(!retired.contains(d.entityId()));
      }
      persist(new CoordinatorEvent.TransferPlanned(plan));
    }

    /**
     * Moves one running transfer a step, in the saga's order: snapshot, catch-up steps (which may
     * deliver events again, as a resumed query does), fence, the final catch-up, commit; or a
     * rollback at any point before commit; a committed one ends (cleanup).
     */
    private void advanceTransfer() {
      if (coordinator.active().isEmpty()) {
        return;
      }
      CoordinatorState.ActiveTransfer transfer = coordinator.active().get(random.nextInt(coordinator.active().size()));
      TransferPlan plan = transfer.plan();
      if (transfer.committedEpoch() > 0) {
        persist(new CoordinatorEvent.TransferEnded(progress(plan, TransferPhase.DONE)));
        for (RangePlacement s : plan.sources()) {
          shards.remove(s.entityId()); // cleanup: the old generation's events are deleted
          retired.add(s.entityId());
        }
        snapshotted.remove(plan.id());
        return;
      }
      int dice = random.nextInt(10);
      if (dice == 0) {
        rollBack(plan);
      } else if (!snapshotted.contains(plan.id())) {
        snapshot(plan);
      } else if (dice < 6) {
        catchUp(plan);
      } else if (dice < 8) {
        for (RangePlacement s : plan.sources()) {
          if (shards.get(s.entityId()).fencedBy() == null) {
            journalOn(s.entityId(), new RangeShardEvent.SourceFenced(plan.id()));
          }
        }
      } else {
        boolean fencedAndCaughtUp = plan.sources().stream().allMatch(s ->
            plan.id().equals(shards.get(s.entityId()).fencedBy())
                && plan.destinations().stream().allMatch(d ->
                    shards.get(d.entityId()).appliedFrom(s.entityId()) >= lastSeqNr(s.entityId())));
        if (fencedAndCaughtUp) {
          persist(new CoordinatorEvent.TransferCommitted(plan.id(), coordinator.epoch() + 1));
          for (RangePlacement s : plan.sources()) {
            journalOn(s.entityId(), new RangeShardEvent.SourceHandedOff(plan.id(), coordinator.epoch()));
          }
        }
      }
    }

    /** Each destination starts empty and takes a point-in-time copy of each source at its last sequence number. */
    private void snapshot(TransferPlan plan) {
      for (RangePlacement d : plan.destinations()) {
        shards.put(d.entityId(), new RangeShardState());
        journalOn(d.entityId(), new RangeShardEvent.FollowingStarted(plan.id(),
            plan.sources().stream().map(RangePlacement::entityId).toList()));
        for (RangePlacement s : plan.sources()) {
          RangeShardState source = shards.get(s.entityId());
          List<Change> entries = source.exportEntries().stream()
              .map(e -> new Change(e.key(), e.value(), e.version(), 0))
              .toList();
          apply(d, s, lastSeqNr(s.entityId()), entries, source.lastVersion());
        }
      }
      snapshotted.add(plan.id());
    }

    /** Delivers a random stretch of a source's journal, possibly again, to every destination. */
    private void catchUp(TransferPlan plan) {
      RangePlacement s = plan.sources().get(random.nextInt(plan.sources().size()));
      List<RangeShardEvent> log = logs.getOrDefault(s.entityId(), List.of());
      for (RangePlacement d : plan.destinations()) {
        long applied = shards.get(d.entityId()).appliedFrom(s.entityId());
        long from;
        long to;
        if (applied > 1 && random.nextInt(4) == 0) {
          // A late answer of an earlier attempt: a stretch the destination applied already.
          to = 1 + random.nextInt((int) applied);
          from = 1 + random.nextInt((int) to);
        } else {
          from = Math.max(1, applied + 1 - random.nextInt(3)); // a resumed query may repeat events
          to = Math.min(log.size(), from + random.nextInt(Math.max(1, log.size() - (int) from + 2)));
        }
        if (to < from) {
          continue;
        }
        List<Change> changes = new ArrayList<>();
        for (long seqNr = from; seqNr <= to; seqNr++) {
          changes.addAll(RangeShardEvent.changesOf(log.get((int) seqNr - 1), seqNr));
        }
        apply(d, s, to, changes, 0);
      }
    }

    private void apply(RangePlacement destination, RangePlacement source, long upTo, List<Change> changes, long lastVersion) {
      RangeShardState state = shards.get(destination.entityId());
      RangeShardEvent.ChangesApplied event =
          state.changesToApply(source.entityId(), upTo, changes, lastVersion, destination.range());
      if (event != null) {
        journalOn(destination.entityId(), event);
      }
    }

    private void rollBack(TransferPlan plan) {
      for (RangePlacement s : plan.sources()) {
        if (plan.id().equals(shards.get(s.entityId()).fencedBy())) {
          journalOn(s.entityId(), new RangeShardEvent.SourceUnfenced(plan.id()));
        }
      }
      for (RangePlacement d : plan.destinations()) {
        shards.remove(d.entityId()); // discarded and deleted
        retired.add(d.entityId());
      }
      snapshotted.remove(plan.id());
      persist(new CoordinatorEvent.TransferEnded(progress(plan, TransferPhase.ROLLED_BACK)));
    }

    private static TransferProgress progress(TransferPlan plan, TransferPhase phase) {
      return new TransferProgress(plan.id(), plan.kind(),
          plan.sources().stream().map(RangePlacement::entityId).toList(),
          plan.destinations().stream().map(RangePlacement::entityId).toList(),
          phase, 0, 0, 0, 0, 0, 0, 0, Map.of(), 0, null);
    }

    private void checkInvariants(String where) {
      ShardMap map = coordinator.shardMap(); // the constructor proves the ranges tile the ring
      assertTrue(map.epoch() >= lastEpoch, where + ": the epoch went back");
      lastEpoch = map.epoch();
      // One writer per key: the map's generations (which tile the ring) accept writes; every
      // generation a router with an older map could still reach has handed off, or is gone.
      for (RangePlacement p : map.placements()) {
        everRouted.add(p.entityId());
        assertNotNull(shards.get(p.entityId()), where + ": " + p.entityId() + " is in the map but does not exist");
        assertEquals(0, shards.get(p.entityId()).handedOffEpoch(), where + ": " + p.entityId() + " is in the map, handed off");
      }
      for (Map.Entry<String, RangeShardState> e : shards.entrySet()) {
        if (everRouted.contains(e.getKey()) && map.byEntityId(e.getKey()).isEmpty()) {
          assertTrue(e.getValue().handedOffEpoch() > 0, where + ": retired " + e.getKey() + " still accepts writes");
        }
      }
      for (String key : keys) {
        long hash = KeyHash.of(key);
        // Every acknowledged write is readable where the map routes, with its version.
        RangeShardState.Versioned expected = acknowledged.get(key);
        RangeShardState owner = shards.get(map.lookup(hash).entityId());
        if (expected != null && expected.value() == null) {
          assertNull(owner.get(key), where + ": deleted " + key + " is back");
          assertTrue(owner.lastVersion() >= expected.version(), where + ": versions of " + key + "'s range went back");
        } else if (expected != null) {
          RangeShardState.Versioned actual = owner.get(key);
          assertNotNull(actual, where + ": " + key + " is lost");
          assertEquals(expected.version(), actual.version(), where + ": version of " + key);
          assertArrayEquals(expected.value(), actual.value(), where + ": value of " + key);
        }
      }
      for (String entityId : retired) {
        assertNull(coordinator.placementOf(entityId), where + ": retired " + entityId + " would start as a writer");
      }
    }
  }
}
