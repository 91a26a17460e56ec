package dev.logshard.core.planner;

import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.planner.PlanRound.Skipped;
import dev.logshard.core.planner.PlannerInput.Instance;
import dev.logshard.core.planner.PlannerInput.RangeLoad;
import dev.logshard.core.transfer.TransferKind;
import dev.logshard.core.transfer.TransferRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The planner, as a pure function of its {@link PlannerInput}: which ranges to split (a range that
 * carries too much of the load, or too many bytes, is cut at its load median), which to move to the
 * fast tier or back (hot ranges in, cold ones out, no instance beyond its capacity), which cold
 * neighbours to merge (those used together first), and in a cluster which node each range runs on
 * ({@link NodePlacement}). Proposals are ranked (splits, then entering the fast tier, relief, leaving
 * it, co-location, then merges; the most load first) and held back by the limits: transfers in flight, a cooldown per
 * range (and per split hashes, so a half is measured and tiered before it is split again),
 * hysteresis (no merge of hashes split recently, no move of hashes moved recently), and merges only
 * in a calm round (nothing in flight, no split or move wanted).
 * Deterministic: the same input gives the same round.
 */
public final class Planner {

  private final PlannerSettings settings;
  private final InstanceRelief relief;
  private final NodePlacement nodes;

  public Planner(PlannerSettings settings) {
    this.settings = settings;
    this.relief = new InstanceRelief(settings);
    this.nodes = new NodePlacement(settings);
  }

  /** A range whose most accessed key carries at least this share of its load is not split. */
  static final double ONE_KEY_SHARE = 0.5;

  /** Merges come last: after splits (0), entering the fast tier (1), relief (2), leaving it (3), co-location (4). */
  static final int MERGE_RANK = 5;

  /** Skipped proposals listed one by one in a round; the rest are counted in one line. */
  static final int SKIPPED_SHOWN = 20;

  /** One planning round. */
  public PlanRound plan(PlannerInput in) {
    Round round = new Round(in);
    List<Candidate> candidates = new ArrayList<>();
    List<RangePlacement> placements = in.map().placements();
    for (RangePlacement p : placements) {
      Instance on = round.instances.get(p.logInstance());
      // A range on a draining instance moves off it first (the drain rule, ahead of cooldown): a
      // split or tier move proposed for it would only be held back by its cooldown, and hold the drain.
      if (in.rangesInTransfer().contains(p.rangeId()) || (on != null && on.draining())) {
        continue;
      }
      proposeSplit(round, p, candidates);
      TierMoves.propose(settings, p, in.loadOf(p.rangeId()), on, round.totalRequests / Math.max(1, in.map().size()),
          candidates);
    }
    // The ranges already proposed, for the drain and relief rules; built only if they need it.
    Set<String> proposed = new HashSet<>();
    if (in.instances().stream().anyMatch(Instance::draining)) {
      candidates.forEach(c -> proposed.addAll(c.rangeIds));
      candidates.addAll(relief.drain(in, proposed));
    }
    Supplier<Set<String>> alreadyProposed = () -> {
      candidates.forEach(c -> proposed.addAll(c.rangeIds));
      return proposed;
    };
    candidates.addAll(relief.propose(in, round.requestsOn, alreadyProposed, round::heldBack));
    candidates.addAll(nodes.propose(in, alreadyProposed));
    // Tidying up waits for a calm round (nothing in flight, no split or move wanted): it must not
    // take a slot a hot range needs. Over a large map most neighbours are cold, so in a busy round
    // the merges it would propose are counted, not listed.
    boolean calm = candidates.stream().allMatch(c -> c.rank >= NodePlacement.COLOCATE_RANK)
        && in.transfersInFlight() == 0;
    int waiting = 0;
    String firstWaiting = null;
    for (int i = 0; i + 1 < placements.size(); i++) {
      Candidate merge = ColdMerges.propose(settings, round.in, round.instances, round.partners, placements.get(i),
          placements.get(i + 1));
      if (merge != null && calm) {
        candidates.add(merge);
      } else if (merge != null) {
        firstWaiting = firstWaiting == null ? placements.get(i).rangeId() : firstWaiting;
        waiting++;
      }
    }
    if (waiting > 0) {
      round.skipped.add(new Skipped(firstWaiting, "merge", waiting
          + " merges of cold neighbours wait until no transfer runs or is wanted"));
    }
    return round.choose(candidates);
  }

  // --- split

  private void proposeSplit(Round round, RangePlacement p, List<Candidate> out) {
    RangeLoad load = round.in.loadOf(p.rangeId());
    double planned = load.plannedRequestsPerSecond();
    String why;
    if (planned >= settings.splitRequestsPerSecond()) {
      why = String.format(Locale.ROOT, "%.0f requests/s, at least %.0f", planned, settings.splitRequestsPerSecond());
    } else if (planned >= settings.splitMinRequestsPerSecond() && round.share(planned) >= settings.splitShare()) {
      why = String.format(Locale.ROOT, "%.0f requests/s, %.0f %% of all", planned, 100 * round.share(planned));
    } else if (load.storedBytes() >= settings.splitBytes()) {
      why = load.storedBytes() + " bytes, at least " + settings.splitBytes();
    } else {
      return;
    }
    boolean byLoad = load.storedBytes() < settings.splitBytes();
    if (byLoad && Double.isNaN(load.topKeyShare())) {
      // Whether one key carries the load is not known yet (too few samples): wait for the profile.
      round.skipped.add(new Skipped(p.rangeId(), "split", "its keys are not profiled yet (" + why + ")"));
      return;
    }
    if (load.topKeyShare() >= ONE_KEY_SHARE) {
      // A split cannot divide a load one key carries: the tier rule moves the range instead.
      round.skipped.add(new Skipped(p.rangeId(), "split", String.format(Locale.ROOT,
          "one key carries %.0f %% of its load: no split divides it (%s)", 100 * load.topKeyShare(), why)));
      return;
    }
    Long at = load.loadMedian();
    if (at == null || !inside(at, p.range())) {
      // One hot key (or a load not yet profiled) cannot be divided: tiering handles it.
      round.skipped.add(new Skipped(p.rangeId(), "split", "no load median inside the range (" + why + ")"));
      return;
    }
    String reason = "split at the load median: " + why;
    out.add(new Candidate(0, List.of(p.rangeId()), TransferRequest.split(p.rangeId(), at), () -> reason, planned / 2,
        load.storedBytes()));
  }

  /** Whether {@code at} can start the right half: after the first hash, not after the last. */
  static boolean inside(long at, KeyRange range) {
    return Long.compareUnsigned(at, range.start()) > 0 && Long.compareUnsigned(at, range.last()) <= 0;
  }

  // --- merge

  // --- one round's bookkeeping

  private final class Round {
    final PlannerInput in;
    final Map<String, Instance> instances = new HashMap<>();
    final Map<String, Long> bytesOn = new HashMap<>();
    final Map<String, Double> requestsOn = new HashMap<>();
    final Map<String, RangePlacement> placements;
    final Map<String, Map<String, Double>> partners;
    final List<Skipped> skipped = new ArrayList<>();
    final double totalRequests;
    /** Per range, its latest decision's time (relocations apart); the decisions inside the flap window, by hashes. */
    final Map<String, Long> lastTransferred = new HashMap<>();
    final Map<String, Long> lastRelocated = new HashMap<>();
    final List<RecentHashes> flapWindow = new ArrayList<>();
    int ranges;
    int hidden;

    Round(PlannerInput in) {
      this.in = in;
      in.instances().forEach(i -> instances.put(i.name(), i));
      placements = new HashMap<>(in.map().size() * 4 / 3 + 1);
      double total = 0;
      for (RangePlacement p : in.map().placements()) {
        RangeLoad load = in.loadOf(p.rangeId());
        placements.put(p.rangeId(), p);
        bytesOn.merge(p.logInstance(), load.storedBytes(), Long::sum);
        requestsOn.merge(p.logInstance(), load.plannedRequestsPerSecond(), Double::sum);
        total += load.plannedRequestsPerSecond();
      }
      totalRequests = total;
      ranges = in.map().size();
      partners = NodePlacement.partners(in.hosts().correlated(), 0);
      for (Decision d : in.recent()) {
        // Relocations and transfers cool down apart: a range relocated may still change instance.
        boolean relocated = settings.relocate() && d.kind() == TransferKind.MOVE && d.toInstance() == null;
        d.rangeIds().forEach(id -> (relocated ? lastRelocated : lastTransferred).merge(id, d.atMillis(), Math::max));
        if (in.nowMillis() - d.atMillis() < settings.flapWindow().toMillis()) {
          flapWindow.add(RecentHashes.of(d));
        }
      }
    }

    /**
     * Whether a move of the range between log instances would be refused now (cooldown, or its
     * hashes moved between instances inside the flap window): the relief then sheds others instead.
     */
    boolean heldBack(String rangeId) {
      Long at = lastTransferred.get(rangeId);
      if (at != null && in.nowMillis() - at < settings.cooldown().toMillis()) {
        return true;
      }
      KeyRange hashes = placements.get(rangeId).range();
      return flapWindow.stream().anyMatch(d -> d.kind() == TransferKind.MOVE && !d.nodeMove() && d.overlaps(hashes));
    }

    double share(double requests) {
      return totalRequests <= 0 ? 0 : requests / totalRequests;
    }

    PlanRound choose(List<Candidate> candidates) {
      List<PlannedTransfer> chosen = new ArrayList<>();
      Set<String> taken = new HashSet<>();
      // Transfers copy, so few run at once; relocations (a node-only move, planner.nodes.relocate)
      // copy nothing and have their own, larger share of each round.
      int[] slots = {settings.maxInFlight() - in.transfersInFlight(), settings.relocate() ? settings.maxRelocations() : 0};
      int[] used = {0, 0};
      int waiting = 0;
      // By rank, each rank sorted only if a slot is still free when it comes (a large map has many
      // proposals of a low rank, and few slots).
      TreeMap<Integer, List<Candidate>> byRank = new TreeMap<>();
      candidates.forEach(c -> byRank.computeIfAbsent(c.rank, r -> new ArrayList<>()).add(c));
      for (List<Candidate> rank : byRank.values()) {
        if (used[0] >= slots[0] && used[1] >= slots[1]) {
          waiting += rank.size(); // counted, not weighed: every slot is taken
          continue;
        }
        rank.sort(Candidate.ORDER);
        for (Candidate c : rank) {
          int kind = settings.relocates(c.request) ? 1 : 0;
          if (used[kind] >= slots[kind]) {
            waiting += c.fallback ? 0 : 1;
            continue;
          }
          int before = chosen.size();
          weigh(c, chosen, taken);
          used[kind] += chosen.size() - before;
        }
      }
      if (waiting > 0) {
        skipped.add(new Skipped(null, "any", waiting + " more proposals wait: already "
            + (in.transfersInFlight() + used[0]) + " transfers in flight (max-in-flight " + settings.maxInFlight() + ")"
            + (settings.relocate() ? " and " + used[1] + " relocations this round (nodes.max-relocations "
                + settings.maxRelocations() + ")" : "")));
      }
      if (hidden > 0) {
        skipped.add(new Skipped(null, "any", hidden + " more proposals skipped (the first " + SKIPPED_SHOWN + " are listed)"));
      }
      return new PlanRound(List.copyOf(chosen), List.copyOf(skipped));
    }

    /** Takes {@code c} into the round, or says why not. */
    private void weigh(Candidate c, List<PlannedTransfer> chosen, Set<String> taken) {
      String range = c.rangeIds.get(0);
      String wanted = c.request.kind().name().toLowerCase(Locale.ROOT);
      if (c.relieves != null && requestsOn.getOrDefault(c.relieves, 0.0) <= c.reliefTarget) {
        return; // this round's other moves relieve the instance enough
      }
      String why = refusal(c, taken);
      if (why != null) {
        if (!c.fallback) {
          skip(new Skipped(range, wanted, why));
        }
        return;
      }
      if (c.toTier != null) {
        // A drain may fill an instance to its capacity; any other move leaves it the relief's headroom
        // (else the relief would take back what this move brings: ranges would cycle).
        double fill = c.forced ? 1 : 1 - settings.reliefHeadroom();
        Instance to = destination(c.toTier, range, fill);
        if (to == null && c.anyTier) {
          to = in.instances().stream().filter(i -> !i.tier().equals(c.toTier)).map(i -> destination(i.tier(), range, fill))
              .filter(Objects::nonNull).findFirst().orElse(null);
        }
        if (to == null) {
          if (!c.fallback) {
            skip(new Skipped(range, wanted + " to " + c.toTier, c.anyTier ? "no log instance has room"
                : "no " + c.toTier + "-tier log instance has room"));
          }
          return;
        }
        c.request = TransferRequest.move(range, to.name());
        account(range, to.name());
      }
      c.request = NodePlacement.stay(c.request, in.hosts());
      if (c.request.kind() == TransferKind.MERGE) {
        ranges--;
      } else if (c.request.kind() == TransferKind.SPLIT) {
        ranges++;
      }
      taken.addAll(c.rangeIds);
      chosen.add(c.planned());
    }

    private void skip(Skipped s) {
      if (skipped.size() < SKIPPED_SHOWN) {
        skipped.add(s);
      } else {
        hidden++;
      }
    }

    /** Why a proposal may not go ahead this round (null: it may). */
    private String refusal(Candidate c, Set<String> taken) {
      for (String range : c.rangeIds) {
        if (taken.contains(range)) {
          return "the range is in another transfer of this round";
        }
        if (c.forced) {
          continue;
        }
        Long at = (settings.relocates(c.request) ? lastRelocated : lastTransferred).get(range);
        if (at != null && in.nowMillis() - at < settings.cooldown().toMillis()) {
          return "cooldown: transferred " + (in.nowMillis() - at) / 1000 + " s ago";
        }
      }
      KeyRange hashes = c.mergedHashes != null ? c.mergedHashes : placements.get(c.rangeIds.get(0)).range();
      TransferKind kind = c.request.kind();
      for (RecentHashes d : c.forced ? List.<RecentHashes>of() : flapWindow) {
        if (!d.overlaps(hashes)) {
          continue;
        }
        long ago = in.nowMillis() - d.atMillis();
        if (kind == TransferKind.SPLIT && d.kind() == TransferKind.SPLIT && ago < settings.cooldown().toMillis()) {
          // A half of a range just split is measured (and moved to its tier) before it is split again.
          return "cooldown: these hashes were split " + ago / 1000 + " s ago";
        }
        if (kind == TransferKind.MERGE && d.kind() == TransferKind.SPLIT) {
          return "hysteresis: these hashes were split " + ago / 1000 + " s ago";
        }
        // Back and forth is along one axis: between nodes, or between log instances (a move to
        // another node does not hold back the move to the fast tier, nor the other way round).
        boolean nodeMove = c.toTier == null && c.request.toNode() != null;
        if (kind == TransferKind.MOVE && d.kind() == TransferKind.MOVE && nodeMove == d.nodeMove()) {
          return "hysteresis: these hashes were moved " + ago / 1000 + " s ago";
        }
      }
      if (kind == TransferKind.SPLIT && ranges >= settings.maxRanges()) {
        return "already " + ranges + " ranges (split.max-ranges " + settings.maxRanges() + ")";
      }
      if (kind == TransferKind.MERGE && ranges <= settings.minRanges()) {
        return "only " + ranges + " ranges (merge.min-ranges " + settings.minRanges() + ")";
      }
      return null;
    }

    /**
     * The least used log instance of {@code tier} that takes the range and stays within {@code fill}
     * of its requests capacity (and within its bytes capacity).
     */
    private Instance destination(String tier, String rangeId, double fill) {
      RangeLoad load = in.loadOf(rangeId);
      Instance best = null;
      for (Instance i : in.instances()) {
        if (!i.tier().equals(tier) || i.draining() || i.name().equals(placements.get(rangeId).logInstance())) {
          continue;
        }
        long bytes = bytesOn.getOrDefault(i.name(), 0L) + load.storedBytes();
        double requests = requestsOn.getOrDefault(i.name(), 0.0) + load.plannedRequestsPerSecond();
        if ((i.capacityBytes() > 0 && bytes > i.capacityBytes())
            || (i.capacityRequestsPerSecond() > 0 && requests > fill * i.capacityRequestsPerSecond())) {
          continue;
        }
        if (best == null || leastUsed(i, best)) {
          best = i;
        }
      }
      return best;
    }

    /** Whether {@code a} is less used than {@code b}: fewer planned requests per second, then fewer bytes. */
    private boolean leastUsed(Instance a, Instance b) {
      double ra = requestsOn.getOrDefault(a.name(), 0.0);
      double rb = requestsOn.getOrDefault(b.name(), 0.0);
      return ra != rb ? ra < rb : bytesOn.getOrDefault(a.name(), 0L) < bytesOn.getOrDefault(b.name(), 0L);
    }

    private void account(String rangeId, String to) {
      RangeLoad load = in.loadOf(rangeId);
      String from = placements.get(rangeId).logInstance();
      bytesOn.merge(from, -load.storedBytes(), Long::sum);
      bytesOn.merge(to, load.storedBytes(), Long::sum);
      requestsOn.merge(from, -load.plannedRequestsPerSecond(), Double::sum);
      requestsOn.merge(to, load.plannedRequestsPerSecond(), Double::sum);
    }
  }
}
