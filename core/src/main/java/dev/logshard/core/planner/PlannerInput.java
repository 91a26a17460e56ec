package dev.logshard.core.planner;

import dev.logshard.core.ShardMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one planning round sees, so the same input always gives the same plan: the map, each
 * range's measured (and forecast) load, the log instances with their tier and capacity, the ranges
 * already in a transfer, how many transfers run, the recent decisions (for cooldown and
 * hysteresis), and in a cluster the nodes, where each range runs and which ranges are used together.
 */
public record PlannerInput(
    ShardMap map,
    Map<String, RangeLoad> loads,
    List<Instance> instances,
    Set<String> rangesInTransfer,
    int transfersInFlight,
    List<Decision> recent,
    long nowMillis,
    Hosts hosts) {

  /** On one node. */
  public PlannerInput(ShardMap map, Map<String, RangeLoad> loads, List<Instance> instances,
      Set<String> rangesInTransfer, int transfersInFlight, List<Decision> recent, long nowMillis) {
    this(map, loads, instances, rangesInTransfer, transfersInFlight, recent, nowMillis, Hosts.ONE_NODE);
  }

  /**
   * The cluster's nodes ({@code host:port}) that can take ranges, the node each range runs on (a
   * range missing from {@code nodeOf}: not known yet; a range on its way to a node: that node),
   * pairs of ranges used together, the round trips measured between the nodes (from a node, to
   * each other one, in milliseconds), and the nodes being drained (every range leaves them).
   */
  public record Hosts(List<String> nodes, Map<String, String> nodeOf, List<Correlated> correlated,
      Map<String, Map<String, Double>> roundTripMillis, Set<String> draining) {
    public static final Hosts ONE_NODE = new Hosts(List.of(), Map.of(), List.of());

    /** Without measured round trips between the nodes, none draining. */
    public Hosts(List<String> nodes, Map<String, String> nodeOf, List<Correlated> correlated) {
      this(nodes, nodeOf, correlated, Map.of(), Set.of());
    }

    /** The measured round trip from node {@code a} to node {@code b} (either way), or NaN. */
    public double roundTrip(String a, String b) {
      Double there = roundTripMillis.getOrDefault(a, Map.of()).get(b);
      Double back = roundTripMillis.getOrDefault(b, Map.of()).get(a);
      return there != null ? there : back != null ? back : Double.NaN;
    }

    /** Whether there are nodes to place ranges on (one node leaves nothing to choose). */
    public boolean several() {
      return nodes.size() > 1;
    }
  }

  /** Two ranges used together (in one batch, or by one client in a short window), and how often. */
  public record Correlated(String a, String b, double strength) {}

  /**
   * One range's load: requests and bytes per second over the last window, its forecast requests per
   * second at the planning horizon (the measured value where there is no forecast), stored bytes, the
   * hash that divides its load in two (unsigned, null: unknown), and the share of its load its most
   * accessed key carries (NaN: not known yet, too few samples; a split for load waits for it).
   */
  public record RangeLoad(double requestsPerSecond, double bytesPerSecond, double forecastRequestsPerSecond,
      long storedBytes, Long loadMedian, double topKeyShare) {

    /** With no key carrying a notable share of the load. */
    public RangeLoad(double requestsPerSecond, double bytesPerSecond, double forecastRequestsPerSecond,
        long storedBytes, Long loadMedian) {
      this(requestsPerSecond, bytesPerSecond, forecastRequestsPerSecond, storedBytes, loadMedian, 0);
    }

    /** The load the planner acts on: the larger of now and the forecast (it moves before the peak). */
    public double plannedRequestsPerSecond() {
      return Math.max(requestsPerSecond, forecastRequestsPerSecond);
    }
  }

  /**
   * A log instance: its tier ({@code fast}, {@code standard}, …), capacity (0: unbounded), and
   * whether it is being drained (its ranges move elsewhere, none move to it).
   */
  public record Instance(String name, String tier, long capacityBytes, double capacityRequestsPerSecond,
      boolean draining) {

    public Instance(String name, String tier, long capacityBytes, double capacityRequestsPerSecond) {
      this(name, tier, capacityBytes, capacityRequestsPerSecond, false);
    }

    public Instance draining(boolean draining) {
      return new Instance(name, tier, capacityBytes, capacityRequestsPerSecond, draining);
    }
  }

  private static final RangeLoad UNMEASURED = new RangeLoad(0, 0, 0, 0, null);

  public RangeLoad loadOf(String rangeId) {
    return loads.getOrDefault(rangeId, UNMEASURED);
  }
}
