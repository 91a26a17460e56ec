package dev.logshard.core.planner;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.planner.PlannerInput.Correlated;
import dev.logshard.core.planner.PlannerInput.Hosts;
import dev.logshard.core.planner.PlannerInput.RangeLoad;
import dev.logshard.core.transfer.TransferRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * In a cluster, the node each range generation runs on, by load rather than by count (Pekko's own
 * allocation counts shards): a node whose planned requests per second are more than
 * {@code balance.tolerance} above the nodes' mean (or above {@code nodes.capacity-requests-per-second},
 * when set: then to under {@code 1 - relief.headroom} of it) sheds ranges until within half of it, cheap ones
 * first and, among those, the ones least used together with the node's other ranges; each goes to
 * the node its correlated ranges run on, else a clearly nearer one (by the measured round trips),
 * else the least loaded one, never beyond half the tolerance above the mean (so the two do not
 * trade places). Ranges used together at least
 * {@code colocate.min-strength} times on different nodes are brought onto one (the cheaper moves)
 * while that node stays within the tolerance. Every other transfer the planner starts keeps its new
 * generations on the node its source runs on ({@link #stay}), so no allocation by count undoes this.
 */
final class NodePlacement {

  /** Balancing ranks with relieving log instances; co-location after tiering, before merges. */
  static final int BALANCE_RANK = InstanceRelief.RANK;
  static final int COLOCATE_RANK = 4;

  /** Round trips closer than this (and than this share of the longer one) count as the same distance. */
  static final double NEARER_MILLIS = 1;
  static final double NEARER_SHARE = 0.2;

  private final PlannerSettings settings;

  NodePlacement(PlannerSettings settings) {
    this.settings = settings;
  }

  /**
   * {@code request} with its destinations on the node its first source runs on (when that is
   * known); off a draining node, on the node (not draining) that runs the fewest ranges.
   */
  static TransferRequest stay(TransferRequest request, Hosts hosts) {
    if (!hosts.several() || request.toNode() != null) {
      return request;
    }
    String node = hosts.nodeOf().get(request.rangeIds().get(0));
    if (node != null && hosts.draining().contains(node)) {
      Map<String, Long> count = new HashMap<>();
      hosts.nodeOf().values().forEach(n -> count.merge(n, 1L, Long::sum));
      node = hosts.nodes().stream().filter(n -> !hosts.draining().contains(n))
          .min(Comparator.comparingLong((String n) -> count.getOrDefault(n, 0L)).thenComparing(n -> n)).orElse(null);
    }
    return node == null ? request : request.withToNode(node);
  }

  /** Per range, the ranges it is used together with (at least {@code min} times) and how often. */
  static Map<String, Map<String, Double>> partners(List<Correlated> correlated, double min) {
    Map<String, Map<String, Double>> partners = new HashMap<>();
    for (Correlated c : correlated) {
      if (c.strength() >= min && !c.a().equals(c.b())) {
        partners.computeIfAbsent(c.a(), id -> new HashMap<>()).merge(c.b(), c.strength(), Double::sum);
        partners.computeIfAbsent(c.b(), id -> new HashMap<>()).merge(c.a(), c.strength(), Double::sum);
      }
    }
    return partners;
  }

  /** The moves that balance the nodes, then those that bring correlated ranges together. */
  List<Candidate> propose(PlannerInput in, Supplier<Set<String>> alreadyProposed) {
    Hosts hosts = in.hosts();
    if (!hosts.several()) {
      return List.of();
    }
    Nodes nodes = new Nodes(in);
    List<Candidate> out = new ArrayList<>();
    Set<String> settled = new HashSet<>(alreadyProposed.get());
    settled.addAll(in.rangesInTransfer());
    drain(in, nodes, settled, out);
    balance(in, nodes, settled, out);
    colocate(in, nodes, settled, out);
    return out;
  }

  /**
   * Every range on a draining node moves to another: where its correlated ranges run, else a
   * nearer, else the least loaded node. The operator asked for it, so it goes ahead of cooldown and
   * hysteresis (not of the limit on transfers in flight).
   */
  private void drain(PlannerInput in, Nodes nodes, Set<String> settled, List<Candidate> out) {
    if (in.hosts().draining().isEmpty()) {
      return;
    }
    for (RangePlacement p : in.map().placements()) {
      String from = in.hosts().nodeOf().get(p.rangeId());
      if (from == null || !in.hosts().draining().contains(from) || settled.contains(p.rangeId())) {
        continue;
      }
      RangeLoad load = in.loadOf(p.rangeId());
      Movable m = new Movable(p.rangeId(), load.plannedRequestsPerSecond(), load.storedBytes(), 0);
      String to = nodes.destination(m, from, Double.MAX_VALUE);
      if (to == null) {
        return; // no node left to take ranges
      }
      nodes.account(m, from, to);
      settled.add(p.rangeId());
      out.add(new Candidate(BALANCE_RANK, List.of(p.rangeId()), TransferRequest.move(p.rangeId(), null).withToNode(to),
          () -> "drain node " + from + ": every range moves off it; to " + to, m.requests(), m.bytes())
          .forced().ordered(-out.size()));
    }
  }

  private void balance(PlannerInput in, Nodes nodes, Set<String> settled, List<Candidate> out) {
    double tolerance = settings.balanceTolerance();
    double target = nodes.mean * (1 + tolerance / 2);
    List<String> byLoad = new ArrayList<>(in.hosts().nodes());
    byLoad.sort(Comparator.comparingDouble((String n) -> -nodes.load(n)).thenComparing(n -> n));
    double capacity = settings.nodeCapacityRequestsPerSecond();
    // What a destination may carry after a move: within half the tolerance, and under its capacity's headroom.
    double limit = capacity > 0 ? Math.min(target, capacity * (1 - settings.reliefHeadroom())) : target;
    for (String node : byLoad) {
      double before = nodes.load(node);
      boolean overCapacity = capacity > 0 && before > capacity;
      if (nodes.mean <= 0 || (!overCapacity && before <= nodes.mean * (1 + tolerance))) {
        continue;
      }
      double goal = overCapacity ? Math.min(target, capacity * (1 - settings.reliefHeadroom())) : target;
      String why = overCapacity ? String.format(Locale.ROOT, "over the nodes' capacity of %.0f", capacity)
          : String.format(Locale.ROOT, "%.0f %% above the nodes' mean", 100 * (before / nodes.mean - 1));
      List<Movable> movable = new ArrayList<>();
      for (RangePlacement p : nodes.on(node)) {
        double requests = in.loadOf(p.rangeId()).plannedRequestsPerSecond();
        if (!settled.contains(p.rangeId()) && requests > 0) {
          movable.add(new Movable(p.rangeId(), requests, in.loadOf(p.rangeId()).storedBytes(), nodes.ties(p.rangeId(), node)));
        }
      }
      // Cheap moves first: the ranges least used with the node's others, then fewest bytes per request.
      movable.sort(Comparator.comparingDouble(Movable::ties).thenComparingDouble(Movable::bytesPerRequest)
          .thenComparing(Movable::rangeId));
      for (Movable m : movable) {
        if (nodes.load(node) <= goal) {
          break;
        }
        String to = nodes.destination(m, node, limit);
        if (to == null) {
          continue;
        }
        nodes.account(m, node, to);
        settled.add(m.rangeId());
        out.add(new Candidate(BALANCE_RANK, List.of(m.rangeId()), TransferRequest.move(m.rangeId(), null).withToNode(to),
            () -> String.format(Locale.ROOT, "balance nodes: %s plans %.0f requests/s, %s;"
                + " %.0f requests/s (%d bytes) to %s%s%s", node, before, why, m.requests(),
                m.bytes(), to, nodes.ties(m.rangeId(), to) > 0 ? ", where the ranges it is used with run" : "",
                Double.isNaN(in.hosts().roundTrip(node, to)) ? ""
                    : String.format(Locale.ROOT, " (round trip %.1f ms)", in.hosts().roundTrip(node, to))),
            m.requests(), m.bytes()).ordered(-out.size()));
      }
      if (nodes.load(node) > nodes.mean * (1 + tolerance) || (overCapacity && nodes.load(node) > capacity)) {
        splitToBalance(in, node, before, why, nodes, settled, out);
      }
    }
  }

  /**
   * No range on {@code node} fits on another node (each is too large a share): its hottest range
   * that a split can divide is cut at its load median, so a half can move next round.
   */
  private void splitToBalance(PlannerInput in, String node, double before, String why, Nodes nodes,
      Set<String> settled, List<Candidate> out) {
    RangePlacement hottest = null;
    for (RangePlacement p : nodes.on(node)) {
      RangeLoad load = in.loadOf(p.rangeId());
      boolean divisible = load.topKeyShare() < Planner.ONE_KEY_SHARE && load.loadMedian() != null
          && Planner.inside(load.loadMedian(), p.range());
      if (!settled.contains(p.rangeId()) && divisible
          && load.plannedRequestsPerSecond() >= settings.splitMinRequestsPerSecond()
          && (hottest == null || load.plannedRequestsPerSecond() > in.loadOf(hottest.rangeId()).plannedRequestsPerSecond())) {
        hottest = p;
      }
    }
    if (hottest == null) {
      return;
    }
    RangeLoad load = in.loadOf(hottest.rangeId());
    settled.add(hottest.rangeId());
    out.add(new Candidate(BALANCE_RANK, List.of(hottest.rangeId()), TransferRequest.split(hottest.rangeId(),
        load.loadMedian()), () -> String.format(Locale.ROOT, "balance nodes: %s plans %.0f requests/s, %s, and no"
            + " range on it fits elsewhere: split its hottest (%.0f requests/s) at the load median",
            node, before, why, load.plannedRequestsPerSecond()),
        load.plannedRequestsPerSecond() / 2, load.storedBytes()).ordered(-out.size()));
  }

  private void colocate(PlannerInput in, Nodes nodes, Set<String> settled, List<Candidate> out) {
    double upper = nodes.mean * (1 + settings.balanceTolerance());
    List<Correlated> pairs = new ArrayList<>(in.hosts().correlated());
    pairs.sort(Comparator.comparingDouble((Correlated c) -> -c.strength()).thenComparing(Correlated::a)
        .thenComparing(Correlated::b));
    for (Correlated pair : pairs) {
      if (pair.strength() < settings.colocateMinStrength()) {
        break;
      }
      String na = in.hosts().nodeOf().get(pair.a());
      String nb = in.hosts().nodeOf().get(pair.b());
      if (na == null || nb == null || na.equals(nb) || !nodes.known(na) || !nodes.known(nb)
          || settled.contains(pair.a()) || settled.contains(pair.b())) {
        continue;
      }
      RangeLoad a = in.loadOf(pair.a());
      RangeLoad b = in.loadOf(pair.b());
      boolean aFirst = a.storedBytes() != b.storedBytes() ? a.storedBytes() < b.storedBytes()
          : a.plannedRequestsPerSecond() <= b.plannedRequestsPerSecond();
      // The cheaper one moves to the other, else the other way round: only if it is then used with
      // more of the ranges around it than where it is (a range pulled both ways stays).
      for (boolean aMoves : aFirst ? new boolean[] {true, false} : new boolean[] {false, true}) {
        String mover = aMoves ? pair.a() : pair.b();
        RangeLoad load = aMoves ? a : b;
        String from = aMoves ? na : nb;
        String to = aMoves ? nb : na;
        double gain = nodes.ties(mover, to) - nodes.ties(mover, from);
        if (nodes.load(to) + load.plannedRequestsPerSecond() > upper || gain < settings.colocateMinStrength()) {
          continue;
        }
        nodes.account(new Movable(mover, load.plannedRequestsPerSecond(), load.storedBytes(), gain), from, to);
        settled.add(pair.a());
        settled.add(pair.b());
        String partner = aMoves ? pair.b() : pair.a();
        out.add(new Candidate(COLOCATE_RANK, List.of(mover), TransferRequest.move(mover, null).withToNode(to),
            () -> String.format(Locale.ROOT, "co-locate: used together with %s %.0f times (%.0f more with the ranges"
                + " on %s than on %s); to %s, where %s runs", partner, pair.strength(), gain, to, from, to, partner),
            gain, load.storedBytes()).ordered(-out.size()));
        break;
      }
    }
  }

  /** A range that may move to another node: its planned requests per second, bytes, and ties to the others there. */
  private record Movable(String rangeId, double requests, long bytes, double ties) {
    double bytesPerRequest() {
      return bytes / requests;
    }
  }

  /** One round's view of the nodes: their planned load (updated as moves are proposed) and who runs what. */
  private final class Nodes {
    final PlannerInput in;
    final Map<String, Double> load = new HashMap<>();
    final Map<String, List<RangePlacement>> ranges = new HashMap<>();
    final Map<String, Map<String, Double>> partners;
    final Map<String, String> nodeOf;
    final double mean;

    Nodes(PlannerInput in) {
      this.in = in;
      this.nodeOf = new HashMap<>(in.hosts().nodeOf());
      this.partners = partners(in.hosts().correlated(), settings.colocateMinStrength());
      // A draining node is no destination and out of the mean: its ranges will land on the others.
      in.hosts().nodes().stream().filter(n -> !in.hosts().draining().contains(n)).forEach(n -> load.put(n, 0.0));
      double total = 0;
      for (RangePlacement p : in.map().placements()) {
        String node = nodeOf.get(p.rangeId());
        double requests = in.loadOf(p.rangeId()).plannedRequestsPerSecond();
        total += requests;
        if (node != null && load.containsKey(node)) {
          load.merge(node, requests, Double::sum);
          ranges.computeIfAbsent(node, n -> new ArrayList<>()).add(p);
        }
      }
      // Ranges on nodes that are gone (or not known yet) count toward the mean: they will land somewhere.
      mean = load.isEmpty() ? 0 : total / load.size();
    }

    boolean known(String node) {
      return load.containsKey(node);
    }

    double load(String node) {
      return load.getOrDefault(node, 0.0);
    }

    List<RangePlacement> on(String node) {
      return ranges.getOrDefault(node, List.of());
    }

    /** How often {@code rangeId} is used together with the ranges running on {@code node}. */
    double ties(String rangeId, String node) {
      double ties = 0;
      for (Map.Entry<String, Double> e : partners.getOrDefault(rangeId, Map.of()).entrySet()) {
        if (node.equals(nodeOf.get(e.getKey()))) {
          ties += e.getValue();
        }
      }
      return ties;
    }

    /**
     * Where {@code m} may go from {@code from} and stay under {@code limit}: most ties first, then
     * the clearly nearer node (the copy crosses that link), then the least loaded.
     */
    String destination(Movable m, String from, double limit) {
      String best = null;
      double bestTies = 0;
      for (String n : in.hosts().nodes()) {
        if (n.equals(from) || !known(n) || load(n) + m.requests() > limit) {
          continue;
        }
        double ties = ties(m.rangeId(), n);
        if (best == null || ties > bestTies || (ties == bestTies && better(from, n, best))) {
          best = n;
          bestTies = ties;
        }
      }
      return best;
    }

    /** Whether {@code a} is a better destination from {@code from} than {@code b}: clearly nearer, else less loaded. */
    private boolean better(String from, String a, String b) {
      double ra = in.hosts().roundTrip(from, a);
      double rb = in.hosts().roundTrip(from, b);
      boolean measured = !Double.isNaN(ra) && !Double.isNaN(rb);
      if (measured && Math.abs(ra - rb) >= Math.max(NEARER_MILLIS, NEARER_SHARE * Math.max(ra, rb))) {
        return ra < rb;
      }
      return load(a) < load(b);
    }

    void account(Movable m, String from, String to) {
      if (known(from)) {
        load.merge(from, -m.requests(), Double::sum);
      }
      load.merge(to, m.requests(), Double::sum);
      nodeOf.put(m.rangeId(), to);
    }
  }
}
