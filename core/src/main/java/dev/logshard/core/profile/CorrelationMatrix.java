package dev.logshard.core.profile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * How strongly ranges are accessed together, so correlated ranges can be placed together.
 *
 * <p>Two sources: the ranges one batch request touches, and the ranges one client touches within
 * {@code windowMillis} of each other. Sparse and bounded: at most {@code maxPairs} pairs are kept
 * (when full, every count is halved and the faint ones are dropped, so old co-access fades), at
 * most {@code maxClients} clients are followed (least recently seen dropped first), each with its
 * last {@code recentPerClient} accesses. Plus {@link #pearson} for the correlation of two ranges'
 * load series. Not thread-safe: one writer (the profiler's tick).
 */
public final class CorrelationMatrix {

  /** Co-access strength of two ranges ({@code a < b}). */
  public record Pair(String a, String b, double strength) {}

  private record Access(String rangeId, long timeMillis) {}

  private final long windowMillis;
  private final int maxPairs;
  private final int recentPerClient;
  private final Map<String, Double> pairs = new HashMap<>();
  private final LinkedHashMap<Integer, ArrayList<Access>> recentByClient;

  public CorrelationMatrix(long windowMillis, int maxPairs, int maxClients, int recentPerClient) {
    this.windowMillis = windowMillis;
    this.maxPairs = maxPairs;
    this.recentPerClient = recentPerClient;
    this.recentByClient = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Integer, ArrayList<Access>> eldest) {
        return size() > maxClients;
      }
    };
  }

  /** The ranges one batch request touched: every pair of them co-occurred once. */
  public void recordBatch(List<String> rangeIds) {
    List<String> distinct = rangeIds.stream().distinct().sorted().toList();
    for (int i = 0; i < distinct.size(); i++) {
      for (int j = i + 1; j < distinct.size(); j++) {
        add(distinct.get(i), distinct.get(j));
      }
    }
  }

  /** One access of {@code clientId} (0 = unknown client, not followed) to {@code rangeId}. */
  public void recordAccess(int clientId, String rangeId, long timeMillis) {
    if (clientId == 0) {
      return;
    }
    ArrayList<Access> recent = recentByClient.computeIfAbsent(clientId, c -> new ArrayList<>(recentPerClient));
    recent.removeIf(a -> timeMillis - a.timeMillis() > windowMillis);
    for (Access a : recent) {
      if (!a.rangeId().equals(rangeId)) {
        add(a.rangeId(), rangeId);
      }
    }
    recent.removeIf(a -> a.rangeId().equals(rangeId)); // one entry per range: the newest
    recent.add(new Access(rangeId, timeMillis));
    if (recent.size() > recentPerClient) {
      recent.remove(0);
    }
  }

  private void add(String x, String y) {
    String key = x.compareTo(y) < 0 ? x + "\u0000" + y : y + "\u0000" + x;
    pairs.merge(key, 1.0, Double::sum);
    if (pairs.size() > maxPairs) {
      fade();
    }
  }

  /** Halves every strength and drops the pairs that fall below one co-access. */
  private void fade() {
    for (Iterator<Map.Entry<String, Double>> it = pairs.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Double> e = it.next();
      double halved = e.getValue() / 2;
      if (halved < 1) {
        it.remove();
      } else {
        e.setValue(halved);
      }
    }
  }

  /** The {@code n} strongest pairs, strongest first (the profiler asks every tick: n kept, not all sorted). */
  public List<Pair> topPairs(int n) {
    Comparator<Map.Entry<String, Double>> strongestFirst =
        Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey());
    PriorityQueue<Map.Entry<String, Double>> weakestOnTop = new PriorityQueue<>(strongestFirst.reversed());
    for (Map.Entry<String, Double> e : pairs.entrySet()) {
      weakestOnTop.add(e);
      if (weakestOnTop.size() > n) {
        weakestOnTop.poll();
      }
    }
    return weakestOnTop.stream()
        .sorted(strongestFirst)
        .map(e -> {
          int sep = e.getKey().indexOf('\u0000');
          return new Pair(e.getKey().substring(0, sep), e.getKey().substring(sep + 1), e.getValue());
        })
        .toList();
  }

  public int pairCount() {
    return pairs.size();
  }

  /** Pearson correlation of two equally long series; 0 when either is constant. */
  public static double pearson(double[] x, double[] y) {
    if (x.length != y.length || x.length < 2) {
      throw new IllegalArgumentException("need two series of the same length >= 2");
    }
    double mx = 0;
    double my = 0;
    for (int i = 0; i < x.length; i++) {
      mx += x[i];
      my += y[i];
    }
    mx /= x.length;
    my /= y.length;
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < x.length; i++) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
      syy += (y[i] - my) * (y[i] - my);
    }
    return sxx == 0 || syy == 0 ? 0 : sxy / Math.sqrt(sxx * syy);
  }
}
