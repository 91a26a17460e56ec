package dev.logshard.core.transfer.saga;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.logshard.core.Expectation;
import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.coordinator.CoordinatorEvent;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.shard.KvReply;
import dev.logshard.core.shard.Operation;
import dev.logshard.core.shard.RangeShardDraft;
import dev.logshard.core.shard.RangeShardEvent;
import dev.logshard.core.shard.RangeShardLogic;
import dev.logshard.core.shard.RangeShardState;
import dev.logshard.core.shard.StepOutcome;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.shard.TransferStep;
import dev.logshard.core.shard.WrongRangeRetry;
import dev.logshard.core.transfer.TransferPhase;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import dev.logshard.core.transfer.TransferRequest;
import dev.logshard.core.transfer.TransferSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A seeded, deterministic simulation of transfers on the real code: the saga's decisions
 * ({@link TransferSagaLogic}, with the per-destination split of {@link CatchUpBatch}), the
 * Coordinator's state machine ({@link CoordinatorState}, recovered by replaying its journal), a
 * RangeShard's decisions ({@link RangeShardLogic}: what is served, held or refused, and every
 * transfer step) and writes ({@link RangeShardDraft} on {@link RangeShardState}), and the Router's
 * rule for a stale map ({@link WrongRangeRetry}: it fetches the Coordinator's map and sends again).
 * The simulation only plays the world: journals, the network, clocks, crashes.
 *
 * <p>The world around them is simulated: an injected clock (timers fire as it moves), fake journals
 * (a list per persistence id; a purge deletes one), a network that delivers in random order, loses
 * and repeats messages, catch-up streams that advance in random stretches and stall for a while,
 * sources that keep only their latest changes for the fence's answer, sagas that crash (restart
 * by their supervisor, with the Start they were spawned with) or fail to persist, and Coordinator
 * restarts (which restart every running saga with its committed epoch). Random interleavings of
 * client writes and deletes, transfer requests (move, split, merge) and all of the above; after
 * every step: the map tiles the ring and its epoch never goes back, one writer per key, every
 * acknowledged write is readable where the map routes with its version, deleted keys stay deleted,
 * no log of a generation the map routes to is ever deleted, retired generations are never placed;
 * at the end, every transfer has ended. {@code -Dsimulation.seeds=N} runs more seeds,
 * {@code -Dsimulation.seed=N} replays one with its whole trace.
 */
class TransferSimulationTest {

  private static final int SEEDS = Integer.getInteger("simulation.seeds", 3000);
  private static final int FAULT_FREE_SEEDS = 300;
  private static final int STEPS = 1_500;
  private static final int KEYS = 300;
  /** Few, so a fence often finds its tail already dropped and leaves it to the catch-up stream. */
  private static final int RECENT_EVENTS = 8;
  /** A command's budget at a router: the default ask timeout. */
  private static final Duration ROUTER_BUDGET = Duration.ofSeconds(5);

  private static final TransferSettings SETTINGS = TransferSettings.create(ConfigFactory.parseString("""
          logshard.transfer {
            chunk-bytes = 300 B
            copy-bytes-per-second = 20 KiB
            progress-interval = 100 ms
            step-timeout = 2 s
            catch-up-lag = 5
            redirect { step = 0.25, interval = 100 ms, max-lag = 20 }
            fence-lag = 3
            fence-timeout = 1 s
            cleanup-after = 1 s
          }
          """).withFallback(ConfigFactory.load()));

  @Test
  void randomTransfersKeepOneWriterPerKeyAndEveryAcknowledgedWrite() {
    // -Dsimulation.seed=N replays one seed, with its whole trace on failure.
    long only = Long.getLong("simulation.seed", 0);
    for (long seed = only > 0 ? only : 1; seed <= (only > 0 ? only : SEEDS); seed++) {
      new Simulation(seed, true).run();
    }
  }

  /**
   * Progress, not only safety: without injected faults (no lost or repeated messages, crashes,
   * failed persists or stalled streams) every transfer commits, and runs commit many.
   */
  @Test
  void withoutFaultsEveryTransferCommits() {
    long commits = 0;
    for (long seed = 1; seed <= FAULT_FREE_SEEDS; seed++) {
      Simulation simulation = new Simulation(seed, false);
      simulation.run();
      assertEquals(simulation.transfersEnded, simulation.commits,
          "seed " + seed + ": a transfer rolled back without a fault: " + simulation.rolledBack);
      commits += simulation.commits;
    }
    assertTrue(commits >= FAULT_FREE_SEEDS * 3L, "only " + commits + " commits in " + FAULT_FREE_SEEDS + " runs");
  }

  /** One seeded run. */
  private static final class Simulation {

    private final long seed;
    /** Whether the world injects faults: lost and repeated messages, crashes, failed persists, stalls. */
    private final boolean faults;
    private final Random random;
    private long nanos = 1_000_000_000L;

    // The Coordinator and its journal.
    private final List<CoordinatorEvent> coordinatorJournal = new ArrayList<>();
    private CoordinatorState coordinator = CoordinatorState.empty();
    private final Map<String, Saga> sagas = new LinkedHashMap<>();
    private final Map<String, List<PhaseReached>> sagaJournals = new HashMap<>();

    // RangeShard generations: their journals (persistence), and the running entities.
    private final Map<String, List<RangeShardEvent>> logs = new HashMap<>();
    private final Map<String, Shard> running = new HashMap<>();

    private final List<Message> network = new ArrayList<>();

    // Clients.
    private ShardMap routerMap;
    private final List<String> keys = new ArrayList<>();
    private final Map<String, RangeShardState.Versioned> acknowledged = new HashMap<>();
    private final Set<String> retired = new HashSet<>();
    private final Set<String> everRouted = new HashSet<>();
    private long lastEpoch;
    private long copies;
    private long transfersEnded;
    private long commits;
    private final List<String> rolledBack = new ArrayList<>();
    private String where = "start";
    /** What happened to transfers, for the message of a failed check. */
    private final List<String> trace = new ArrayList<>();

    Simulation(long seed, boolean faults) {
      this.seed = seed;
      this.faults = faults;
      this.random = new Random(seed);
      for (int i = 0; i < KEYS; i++) {
        keys.add("k" + i);
      }
    }

    // --- the world

    /** A saga incarnation: its logic and the timers and streams the actor would hold. */
    private final class Saga {
      final TransferPlan plan;
      final int incarnation;
      final TransferSagaLogic logic;
      SagaState state;
      final Map<String, Stream> streams = new HashMap<>(); // by source
      long nextTick;
      Long nextRamp;
      Long chunkDue;
      int chunkFrom;
      Long cleanupDue;
      /** Its catch-up streams make no progress until then (a slow journal query). */
      long streamsStalledUntil;

      Saga(TransferPlan plan, int incarnation) {
        this.plan = plan;
        this.incarnation = incarnation;
        this.logic = new TransferSagaLogic(plan, null, false, SETTINGS, () -> nanos / 1_000_000,
            () -> nanos, () -> "copy" + ++copies);
        SagaState recovered = SagaState.empty();
        for (PhaseReached e : sagaJournals.computeIfAbsent(plan.id(), id -> new ArrayList<>())) {
          recovered = recovered.apply(e);
        }
        this.state = recovered;
        this.nextTick = Long.MAX_VALUE; // its timer starts once it resumed
        logic.recovered(recovered);
      }
    }

    /**
     * A running RangeShard entity: its state and its {@link RangeShardLogic}, which keeps only few
     * recent changes, so a fence often finds its tail dropped and leaves it to the catch-up stream;
     * {@code placement} null: unplaced (it only refuses).
     */
    private static final class Shard {
      final RangePlacement placement;
      final RangeShardState state = new RangeShardState();
      final RangeShardLogic logic;
      final List<Write> held = new ArrayList<>();

      Shard(RangePlacement placement) {
        this.placement = placement;
        this.logic = placement == null ? null : new RangeShardLogic(placement, RECENT_EVENTS);
      }
    }

    /** A client's write at its router's send number {@code attempt} (from 1). */
    private record Write(String key, byte[] value, int attempt) {}

    /** A catch-up stream: the next source sequence number to read, for the snapshot copy it serves. */
    private record Stream(long next, String copy) {}

    /** Something in flight: to a saga incarnation, to a shard (answered to a saga), or to the Coordinator. */
    private sealed interface Message {}

    private record ToSaga(String transferId, int incarnation, Function<TransferSagaLogic, List<SagaEffect>> input,
        boolean fromShard) implements Message {
      ToSaga(String transferId, int incarnation, Function<TransferSagaLogic, List<SagaEffect>> input) {
        this(transferId, incarnation, input, false);
      }
    }

    /** A step to a shard; {@code local}: one the shard sent itself (never lost). */
    private record ToShard(String entityId, TransferStep step, String transferId, int incarnation, boolean local)
        implements Message {}

    private record Commit(String transferId, int incarnation) implements Message {}

    private record Status(String transferId, int incarnation) implements Message {}

    private record RollBack(String transferId, int incarnation) implements Message {}

    private record End(String transferId, TransferProgress progress) implements Message {}

    private record Purge(String entityId, String transferId, int incarnation) implements Message {}

    // --- the run

    void run() {
      persist(new CoordinatorEvent.MapInitialized(1, ShardMap.initial(4, "standard").placements()));
      routerMap = coordinator.shardMap();
      try {
        simulate();
      } catch (AssertionError e) {
        int shown = Long.getLong("simulation.seed", 0) > 0 ? trace.size() : 80;
        throw new AssertionError(e.getMessage() + "\n" + String.join("\n",
            trace.subList(Math.max(0, trace.size() - shown), trace.size())), e);
      }
    }

    private void simulate() {
      for (int step = 0; step < STEPS; step++) {
        where = "seed " + seed + " step " + step;
        int dice = random.nextInt(100);
        if (dice < 30) {
          write();
        } else if (dice < 34) {
          requestTransfer();
        } else if (dice < 70) {
          deliver();
        } else if (dice < 82) {
          advanceClock(1 + random.nextInt(150));
        } else if (dice < 93) {
          catchUp();
        } else if (dice < 94) {
          if (faults) {
            stallStreams();
          }
        } else if (dice < 96) {
          if (faults) {
            crashSaga();
          }
        } else if (dice < 97) {
          if (faults) {
            restartCoordinator();
          }
        } else {
          routerMap = coordinator.shardMap();
        }
        checkInvariants();
      }
      // Quiet: no more writes, requests or faults; every transfer ends.
      for (int guard = 0; !coordinator.active().isEmpty(); guard++) {
        where = "seed " + seed + " draining " + guard;
        assertTrue(guard < 50_000, where + ": transfers did not end: " + coordinator.active());
        if (!network.isEmpty()) {
          deliverNext(network.remove(random.nextInt(network.size())));
        } else {
          catchUp();
          advanceClock(50);
        }
        checkInvariants();
      }
      assertTrue(transfersEnded > 0, "seed " + seed + ": no transfer ran");
    }

    // --- the Coordinator

    private void persist(CoordinatorEvent event) {
      coordinatorJournal.add(event);
      coordinator = coordinator.apply(event);
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
        return; // a 1-hash range cannot split
      }
      for (RangePlacement d : plan.destinations()) {
        assertNull(logs.get(d.entityId()), where + ": generation " + d.entityId() + " is reused");
      }
      persist(new CoordinatorEvent.TransferPlanned(plan));
      trace.add(where + ": " + plan.id() + " planned " + plan.sources() + " -> " + plan.destinations());
      spawn(plan, 0);
    }

    /** A saga incarnation starts: it recovers, asks the Coordinator for the transfer's status, then resumes. */
    private void spawn(TransferPlan plan, int incarnation) {
      Saga saga = new Saga(plan, incarnation);
      trace.add(where + ": " + plan.id() + " incarnation " + incarnation + " starts in " + saga.state.phase());
      sagas.put(plan.id(), saga);
      network.add(new Status(plan.id(), incarnation));
    }

    private void onStatus(Status status) {
      var transfer = coordinator.activeTransfer(status.transferId());
      Saga saga = sagas.get(status.transferId());
      if (transfer.isEmpty()) {
        if (saga != null && saga.incarnation == status.incarnation()) {
          sagas.remove(status.transferId()); // the transfer ended: the saga stops
        }
        return;
      }
      if (saga == null || saga.incarnation != status.incarnation()) {
        return; // that incarnation is gone
      }
      long epoch = transfer.get().committedEpoch();
      boolean rollingBack = transfer.get().rollingBack();
      trace.add(where + ": " + status.transferId() + "/" + status.incarnation() + " status: committed at " + epoch
          + (rollingBack ? ", rolling back" : ""));
      network.add(new ToSaga(status.transferId(), status.incarnation(), l -> {
        saga.nextTick = nanos + SETTINGS.progressInterval().toNanos();
        return l.resume(epoch, rollingBack);
      }));
    }

    private void onRollBack(RollBack rollBack) {
      var transfer = coordinator.activeTransfer(rollBack.transferId());
      if (transfer.isEmpty()) {
        return; // the saga stops
      }
      if (transfer.get().committedEpoch() == 0 && !transfer.get().rollingBack()) {
        persist(new CoordinatorEvent.TransferRollingBack(rollBack.transferId()));
        trace.add(where + ": " + rollBack.transferId() + " rolls back");
      }
      long epoch = transfer.get().committedEpoch();
      network.add(new ToSaga(rollBack.transferId(), rollBack.incarnation(), l -> l.rollBackAnswered(epoch)));
    }

    /** The singleton restarts (or moves): it replays its journal and restarts every running saga. */
    private void restartCoordinator() {
      trace.add(where + ": the Coordinator restarts");
      CoordinatorState recovered = CoordinatorState.empty();
      for (CoordinatorEvent event : coordinatorJournal) {
        recovered = recovered.apply(event);
      }
      assertEquals(coordinator, recovered, where + ": recovery gives the same state");
      coordinator = recovered;
      network.removeIf(m -> m instanceof Commit || m instanceof End || m instanceof Status || m instanceof RollBack); // its mailbox is gone
      Map<String, Saga> before = new HashMap<>(sagas);
      sagas.clear();
      for (var t : coordinator.active()) {
        Saga old = before.get(t.plan().id());
        spawn(t.plan(), old == null ? 0 : old.incarnation + 1);
      }
    }

    /** A saga's supervisor restarts it: the same Start, recovered from its journal. */
    private void crashSaga() {
      if (sagas.isEmpty()) {
        return;
      }
      List<Saga> all = new ArrayList<>(sagas.values());
      Saga old = all.get(random.nextInt(all.size()));
      spawn(old.plan, old.incarnation + 1);
    }

    private void onCommit(Commit commit) {
      var transfer = coordinator.activeTransfer(commit.transferId());
      if (transfer.isEmpty()) {
        return; // ended already: a stale saga asks
      }
      long epoch = transfer.get().committedEpoch();
      if (transfer.get().rollingBack()) {
        return; // it never commits
      }
      if (epoch == 0) {
        persist(new CoordinatorEvent.TransferCommitted(commit.transferId(), coordinator.epoch() + 1));
        trace.add(where + ": " + commit.transferId() + " committed at " + coordinator.epoch());
        epoch = coordinator.epoch();
        commits++;
      }
      long committed = epoch;
      network.add(new ToSaga(commit.transferId(), commit.incarnation(), l -> l.committed(committed)));
    }

    private void onEnd(End end) {
      String id = end.transferId();
      var transfer = coordinator.activeTransfer(id);
      if (transfer.isEmpty()) {
        return;
      }
      persist(new CoordinatorEvent.TransferEnded(end.progress()));
      transfersEnded++;
      TransferPlan plan = transfer.get().plan();
      if (end.progress().phase() == TransferPhase.DONE) {
        assertTrue(transfer.get().committedEpoch() > 0, where + ": " + id + " is done but never committed");
        plan.sources().forEach(s -> retired.add(s.entityId()));
      } else {
        assertEquals(TransferPhase.ROLLED_BACK, end.progress().phase());
        rolledBack.add(id + " (" + end.progress().failure() + ")");
        assertEquals(0, transfer.get().committedEpoch(), where + ": " + id + " rolled back after its commit");
        plan.destinations().forEach(d -> retired.add(d.entityId()));
      }
      sagas.remove(id); // the saga stops once the Coordinator acknowledged
    }

    // --- the network

    /**
     * Delivers a random message. Steps to shards and their answers may cross nodes: they can be
     * lost or arrive twice. The saga, its Coordinator and its purgers share a node: never lost.
     */
    private void deliver() {
      if (network.isEmpty()) {
        return;
      }
      int i = random.nextInt(network.size());
      boolean remote = network.get(i) instanceof ToShard toShard && !toShard.local()
          || network.get(i) instanceof ToSaga toSaga && toSaga.fromShard();
      int dice = remote && faults ? random.nextInt(100) : 100;
      if (dice < 3) {
        network.remove(i); // lost
      } else if (dice < 8) {
        deliverNext(network.get(i)); // delivered, and again later
      } else {
        deliverNext(network.remove(i));
      }
    }

    private void deliverNext(Message message) {
      if (message instanceof ToSaga toSaga) {
        Saga saga = sagas.get(toSaga.transferId());
        if (saga != null && saga.incarnation == toSaga.incarnation()) {
          carryOut(saga, toSaga.input().apply(saga.logic));
        } // else: that incarnation is gone, and its mailbox with it
      } else if (message instanceof ToShard toShard) {
        TransferReply reply = shardHandles(toShard, early ->
            network.add(new ToSaga(toShard.transferId(), toShard.incarnation(), l -> l.shardReplied(early), true)));
        if (reply != null) {
          network.add(new ToSaga(toShard.transferId(), toShard.incarnation(), l -> l.shardReplied(reply), true));
        }
      } else if (message instanceof Commit commit) {
        onCommit(commit);
      } else if (message instanceof Status status) {
        onStatus(status);
      } else if (message instanceof RollBack rollBack) {
        onRollBack(rollBack);
      } else if (message instanceof End end) {
        onEnd(end);
      } else if (message instanceof Purge purge) {
        assertTrue(coordinator.shardMap().byEntityId(purge.entityId()).isEmpty(),
            where + ": the log of " + purge.entityId() + " is deleted while the map routes to it");
        logs.remove(purge.entityId());
        trace.add(where + ": " + purge.transferId() + " purged " + purge.entityId());
        Shard shard = running.get(purge.entityId());
        assertTrue(shard == null || shard.placement == null,
            where + ": " + purge.entityId() + " is deleted while it runs");
        network.add(new ToSaga(purge.transferId(), purge.incarnation(), l -> l.purged(purge.entityId(), null)));
      }
    }

    /** What the actor does with the logic's effects, on the simulated world. */
    private void carryOut(Saga saga, List<SagaEffect> effects) {
      for (SagaEffect effect : effects) {
        if (effect instanceof SagaEffect.Send send) {
          network.add(new ToShard(send.entityId(), send.step(), saga.plan.id(), saga.incarnation, false));
        } else if (effect instanceof SagaEffect.Persist persist) {
          if (faults && random.nextInt(50) == 0) {
            spawn(saga.plan, saga.incarnation + 1); // the journal failed: restart
            return;
          }
          sagaJournals.get(saga.plan.id()).add(persist.event());
          trace.add(where + ": " + saga.plan.id() + "/" + saga.incarnation + " persisted " + persist.event().phase()
              + (persist.event().failure() == null ? "" : " (" + persist.event().failure() + ")"));
          saga.state = saga.state.apply(persist.event());
          carryOut(saga, saga.logic.persisted(saga.state));
        } else if (effect instanceof SagaEffect.StartCatchUp start) {
          saga.streams.put(start.source().entityId(), new Stream(start.fromSeqNr(), start.copy()));
        } else if (effect instanceof SagaEffect.StopCatchUp) {
          for (String source : saga.streams.keySet()) {
            network.add(new ToSaga(saga.plan.id(), saga.incarnation, l -> l.cdcEnded(source, null)));
          }
          saga.streams.clear();
        } else if (effect instanceof SagaEffect.RequestCommit) {
          network.add(new Commit(saga.plan.id(), saga.incarnation));
        } else if (effect instanceof SagaEffect.RequestRollBack) {
          network.add(new RollBack(saga.plan.id(), saga.incarnation));
        } else if (effect instanceof SagaEffect.ReadChunkLater later) {
          saga.chunkDue = nanos + later.delayNanos();
          saga.chunkFrom = later.from();
        } else if (effect instanceof SagaEffect.StartRamp) {
          saga.nextRamp = nanos + SETTINGS.redirectInterval().toNanos();
        } else if (effect instanceof SagaEffect.StopRamp) {
          saga.nextRamp = null;
        } else if (effect instanceof SagaEffect.CleanupLater) {
          saga.cleanupDue = nanos + SETTINGS.cleanupAfter().toNanos();
        } else if (effect instanceof SagaEffect.Purge purge) {
          for (RangePlacement p : purge.generations()) {
            network.add(new Purge(p.entityId(), saga.plan.id(), saga.incarnation));
          }
        } else if (effect instanceof SagaEffect.AbortLater abort) {
          network.add(new ToSaga(saga.plan.id(), saga.incarnation, l -> l.abort(abort.reason())));
        } else if (effect instanceof SagaEffect.End end) {
          saga.streams.clear();
          saga.nextRamp = null;
          saga.chunkDue = null;
          saga.cleanupDue = null;
          network.add(new End(saga.plan.id(), end.progress()));
        } else if (!(effect instanceof SagaEffect.ReportProgress || effect instanceof SagaEffect.Log)) {
          throw new AssertionError("the simulation does not know " + effect);
        }
      }
    }

    /** Moves the clock; the timers of every saga that are due fire (into its mailbox). */
    private void advanceClock(long millis) {
      if (!faults) {
        // Without faults nothing is slow either: what is in flight arrives (in random order), and
        // the catch-up streams read what their sources wrote, before the clock moves on.
        for (int guard = 0; (!network.isEmpty() || !streamsCaughtUp()) && guard < 10_000; guard++) {
          if (!network.isEmpty()) {
            deliverNext(network.remove(random.nextInt(network.size())));
          } else {
            catchUp();
          }
        }
      }
      nanos += millis * 1_000_000L;
      for (Saga saga : sagas.values()) {
        String id = saga.plan.id();
        int inc = saga.incarnation;
        if (saga.nextTick <= nanos) {
          saga.nextTick = nanos + SETTINGS.progressInterval().toNanos();
          network.add(new ToSaga(id, inc, TransferSagaLogic::tick));
        }
        if (saga.nextRamp != null && saga.nextRamp <= nanos) {
          saga.nextRamp = nanos + SETTINGS.redirectInterval().toNanos();
          network.add(new ToSaga(id, inc, TransferSagaLogic::rampStep));
        }
        if (saga.chunkDue != null && saga.chunkDue <= nanos) {
          int from = saga.chunkFrom;
          saga.chunkDue = null;
          network.add(new ToSaga(id, inc, l -> l.readChunk(from)));
        }
        if (saga.cleanupDue != null && saga.cleanupDue <= nanos) {
          saga.cleanupDue = null;
          network.add(new ToSaga(id, inc, TransferSagaLogic::cleanupDue));
        }
      }
    }

    /**
     * One stretch of a catch-up stream: the source's next events, applied to every destination (as
     * the stream asks them); a refusal fails the stream.
     */
    private void stallStreams() {
      List<Saga> all = new ArrayList<>(sagas.values());
      if (!all.isEmpty()) {
        all.get(random.nextInt(all.size())).streamsStalledUntil = nanos + random.nextInt(500) * 1_000_000L;
      }
    }

    private void catchUp() {
      List<Saga> streaming = sagas.values().stream()
          .filter(s -> !s.streams.isEmpty() && s.streamsStalledUntil <= nanos).toList();
      if (streaming.isEmpty()) {
        return;
      }
      Saga saga = streaming.get(random.nextInt(streaming.size()));
      List<String> sources = new ArrayList<>(saga.streams.keySet());
      catchUp(saga, sources.get(random.nextInt(sources.size())));
    }

    /** Whether every catch-up stream has read its source's whole journal. */
    private boolean streamsCaughtUp() {
      for (Saga saga : sagas.values()) {
        for (Map.Entry<String, Stream> e : saga.streams.entrySet()) {
          if (e.getValue().next() <= logs.getOrDefault(e.getKey(), List.of()).size()) {
            return false;
          }
        }
      }
      return true;
    }

    /** One stretch of the catch-up stream of {@code source}; whether it read anything. */
    private boolean catchUp(Saga saga, String source) {
      Stream stream = saga.streams.get(source);
      long from = stream.next();
      List<RangeShardEvent> log = logs.getOrDefault(source, List.of());
      if (from > log.size()) {
        return false;
      }
      long to = Math.min(log.size(), from + random.nextInt(5));
      List<CatchUpBatch.SourceEvent> events = new ArrayList<>();
      for (long seqNr = from; seqNr <= to; seqNr++) {
        events.add(new CatchUpBatch.SourceEvent(seqNr, log.get((int) seqNr - 1)));
      }
      List<TransferReply> replies = new ArrayList<>();
      for (SagaEffect.Send send : CatchUpBatch.steps(saga.plan, stream.copy(), source, to, CatchUpBatch.changesOf(events),
          0, 0)) {
        replies.add(shardHandles(new ToShard(send.entityId(), send.step(), saga.plan.id(), saga.incarnation, false),
            early -> { }));
      }
      String failure = CatchUpBatch.failureOf(replies);
      if (failure != null) {
        saga.streams.remove(source);
        network.add(new ToSaga(saga.plan.id(), saga.incarnation, l -> l.cdcEnded(source, failure)));
        return true;
      }
      saga.streams.put(source, new Stream(to + 1, stream.copy()));
      network.add(new ToSaga(saga.plan.id(), saga.incarnation, l -> l.cdcApplied(source, to)));
      return true;
    }

    // --- RangeShards

    /** The running entity, started (placement resolved, journal replayed) if it is not. */
    private Shard shard(String entityId) {
      Shard shard = running.get(entityId);
      if (shard == null) {
        shard = new Shard(coordinator.placementOf(entityId));
        if (shard.placement != null) {
          for (RangeShardEvent event : logs.getOrDefault(entityId, List.of())) {
            shard.state.apply(event);
          }
        }
        running.put(entityId, shard);
      }
      return shard;
    }

    private void journal(String entityId, Shard shard, RangeShardEvent event) {
      shard.state.apply(event);
      logs.computeIfAbsent(entityId, id -> new ArrayList<>()).add(event);
      shard.logic.persisted(List.of(event), lastSeqNr(entityId));
    }

    private long lastSeqNr(String entityId) {
      return logs.getOrDefault(entityId, List.of()).size();
    }

    /**
     * What the RangeShard actor does with a transfer step, as its logic decides: the answer, or null.
     * An answer sent before persisting goes to {@code early}; a step the shard sends itself goes
     * back on the network.
     */
    private TransferReply shardHandles(ToShard message, Consumer<TransferReply> early) {
      String entityId = message.entityId();
      Shard shard = shard(entityId);
      if (shard.placement == null) {
        return RangeShardLogic.unplacedAnswer(entityId, coordinator.epoch(), message.step());
      }
      StepOutcome outcome = shard.logic.onStep(shard.state, message.step(), lastSeqNr(entityId));
      if (outcome.early() != null) {
        early.accept(outcome.early());
        if (faults && random.nextInt(10) == 0) {
          // The source crashes before its fence is persisted: it comes back unfenced, without
          // what it kept in memory (and the writes it held, never acknowledged), and never sends
          // the durable answer.
          trace.add(where + ": " + entityId + " crashed before its fence was persisted");
          running.remove(entityId);
          return null;
        }
      }
      if (outcome.next() != null) {
        network.add(new ToShard(entityId, outcome.next(), message.transferId(), message.incarnation(), true));
      }
      if (outcome.event() != null) {
        journal(entityId, shard, outcome.event());
      }
      if (outcome.stops()) {
        running.remove(entityId); // what it held is lost: those writes were never acknowledged
      }
      if (outcome.releasesHeld()) {
        List<Write> held = new ArrayList<>(shard.held);
        shard.held.clear();
        held.forEach(this::attempt); // the fence ended: what it held goes on (or back to its router)
      }
      return outcome.answer() == null ? null : outcome.answer().of(shard.state, lastSeqNr(entityId));
    }

    // --- clients and their routers

    private void write() {
      String key = keys.get(random.nextInt(keys.size()));
      boolean delete = random.nextInt(10) == 0;
      byte[] value = delete ? null : (key + "@" + random.nextInt()).getBytes(StandardCharsets.UTF_8);
      attempt(new Write(key, value, 1));
    }

    /** The Router sends the write where its map says; on WrongRange it fetches the map and sends again. */
    private void attempt(Write write) {
      RangePlacement placement = routerMap.lookup(write.key());
      Shard shard = shard(placement.entityId());
      RangeShardLogic.Admission admission = shard.placement == null
          ? RangeShardLogic.Admission.WRONG_RANGE : shard.logic.admit(shard.state, true);
      if (admission == RangeShardLogic.Admission.WRONG_RANGE) {
        KvReply wrongRange = shard.placement == null
            ? new KvReply.WrongRange(placement.entityId(), 0) : shard.logic.wrongRange(shard.state);
        routerMap = coordinator.shardMap();
        // Sends are instant here; each one after the first counts as one pause of the router's.
        if (WrongRangeRetry.sendAgain(wrongRange, WrongRangeRetry.PAUSE.multipliedBy(write.attempt() - 1), ROUTER_BUDGET)) {
          attempt(new Write(write.key(), write.value(), write.attempt() + 1));
        } // else the request fails: never acknowledged
        return;
      }
      if (admission == RangeShardLogic.Admission.HOLD) {
        shard.held.add(write);
        return;
      }
      RangeShardDraft draft = new RangeShardDraft(shard.state, shard.placement.range(), placement.entityId());
      KvReply reply = draft.apply(write.value() == null
          ? Operation.delete(write.key(), Expectation.any())
          : Operation.put(write.key(), write.value(), Expectation.any()));
      if (reply instanceof KvReply.NotFound) {
        return;
      }
      long version = reply instanceof KvReply.Written w ? w.version() : ((KvReply.Deleted) reply).version();
      for (RangeShardEvent event : draft.events()) {
        journal(placement.entityId(), shard, event);
      }
      RangeShardState.Versioned previous = acknowledged.get(write.key());
      assertTrue(previous == null || version > previous.version(),
          where + ": version of " + write.key() + " went from " + previous + " to " + version);
      acknowledged.put(write.key(), new RangeShardState.Versioned(write.value(), version));
    }

    // --- invariants

    private void checkInvariants() {
      ShardMap map = coordinator.shardMap(); // the constructor proves the ranges tile the ring
      assertTrue(map.epoch() >= lastEpoch, where + ": the epoch went back");
      lastEpoch = map.epoch();
      map.placements().forEach(p -> everRouted.add(p.entityId()));
      // One writer per key: of the generations a router (with any map so far) may send a key to, at
      // most one would write it now; the others hold writes (fenced) or refuse them.
      List<RangePlacement> writers = new ArrayList<>();
      for (Map.Entry<String, Shard> e : running.entrySet()) {
        Shard shard = e.getValue();
        if (everRouted.contains(e.getKey()) && shard.placement != null && shard.state.fencedBy() == null
            && shard.state.handedOffEpoch() == 0) {
          for (RangePlacement other : writers) {
            assertTrue(Long.compareUnsigned(other.range().last(), shard.placement.range().start()) < 0
                    || Long.compareUnsigned(shard.placement.range().last(), other.range().start()) < 0,
                where + ": " + other.entityId() + " and " + e.getKey() + " would both write the same keys");
          }
          writers.add(shard.placement);
        }
      }
      Map<String, RangeShardState> states = new HashMap<>();
      for (String key : keys) {
        long hash = KeyHash.of(key);
        // Every acknowledged write is readable where the map routes, with its version.
        RangeShardState.Versioned expected = acknowledged.get(key);
        if (expected == null) {
          continue;
        }
        RangeShardState owner = states.computeIfAbsent(map.lookup(hash).entityId(), this::stateOf);
        if (expected.value() == null) {
          assertNull(owner.get(key), where + ": deleted " + key + " is back");
          assertTrue(owner.lastVersion() >= expected.version(), where + ": versions of " + key + "'s range went back");
        } else {
          RangeShardState.Versioned actual = owner.get(key);
          assertNotNull(actual, where + ": " + key + " is lost");
          assertEquals(expected.version(), actual.version(), where + ": version of " + key);
          assertArrayEquals(expected.value(), actual.value(), where + ": value of " + key);
        }
      }
      for (String entityId : retired) {
        assertNull(coordinator.placementOf(entityId), where + ": retired " + entityId + " would start as a writer");
        assertTrue(map.byEntityId(entityId).isEmpty(), where + ": retired " + entityId + " is in the map");
      }
    }

    /** A generation's state: the running entity's, or what it would recover from its journal. */
    private RangeShardState stateOf(String entityId) {
      Shard shard = running.get(entityId);
      if (shard != null && shard.placement != null) {
        return shard.state;
      }
      RangeShardState state = new RangeShardState();
      for (RangeShardEvent event : logs.getOrDefault(entityId, List.of())) {
        state.apply(event);
      }
      return state;
    }
  }
}
