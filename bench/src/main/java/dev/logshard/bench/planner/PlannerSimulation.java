package dev.logshard.bench.planner;

import com.typesafe.config.ConfigFactory;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.forecast.RingForecast;
import dev.logshard.core.planner.CountBalancer;
import dev.logshard.core.planner.Planner;
import dev.logshard.core.planner.PlannerSettings;
import dev.logshard.core.profile.LoadHistory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The planner's modes side by side on the same seeded traces, in simulated time, on the real code:
 * {@link Planner} (reactive, predictive), {@link CountBalancer} (baseline), {@link CoordinatorState}
 * for plans and commits, {@link RingForecast} and {@link LoadHistory} for the forecasts, all at
 * their default settings. A model ({@link SimulatedCluster}) of three log instances with a capacity
 * in requests per second (fast-1, standard-1, standard-2; every range starts on standard-1, as on a
 * fresh node) and three nodes, transfers that take the read ramp plus their bytes at the copy pace,
 * and a {@link Workload}. One planning round every 5 s. The {@code correlated} shape also runs
 * predictive without the correlations (no co-location). Prints one RESULT line per mode and seed,
 * and a table of medians.
 */
@Command(name = "planner-sim", mixinStandardHelpOptions = true,
    description = "The planner's modes side by side on seeded simulated workloads.")
public final class PlannerSimulation implements Callable<Integer> {

  static final double TICK_SECONDS = 5;
  static final long BYTES_PER_KEY = 1L << 20;
  /** The copy pace (logshard.transfer.copy-bytes-per-second) and the read ramp at the defaults (100 steps of 100 ms). */
  static final double COPY_BYTES_PER_SECOND = 16 * (1 << 20);
  static final double RAMP_SECONDS = 10;
  /**
   * A relocation (the same generation to another node, planner.nodes.relocate): sharding's next
   * rebalance (every 2 s) hands it off, and it recovers from its log on the new node (under a second
   * in ClusterModeIT); its load stays on the old node meanwhile.
   */
  static final double RELOCATE_SECONDS = 3;

  @Option(names = "--shapes", split = ",",
      description = "shifting, diurnal, flash, grow, drain, node-added, node-drain, correlated"
          + " (default: ${DEFAULT-VALUE}).")
  List<String> shapes = List.of("shifting", "diurnal", "flash", "grow", "drain", "node-added", "node-drain",
      "correlated");

  /** The label of predictive mode run without correlations. */
  static final String NO_COLOCATION = "predictive, no co-location";

  @Option(names = "--modes", split = ",", description = "Planner modes (default: ${DEFAULT-VALUE}).")
  List<String> modes = List.of("baseline", "reactive", "predictive");

  @Option(names = "--seeds", description = "Seeds per shape (default: ${DEFAULT-VALUE}).")
  int seeds = 3;

  @Option(names = "--first-seed", description = "The first seed: seeds run from it up (default: ${DEFAULT-VALUE};"
      + " a later one checks settings chosen on the first seeds against traces they were not chosen on).")
  long firstSeed = 1;

  @Option(names = "--keys", description = "Keys on the ring (default: ${DEFAULT-VALUE}).")
  int keys = 10_000;

  @Option(names = "--capacity", description = "Each log instance's requests per second (default: ${DEFAULT-VALUE}).")
  double capacity = 5_000;

  @Override
  public Integer call() {
    PlannerSettings settings = PlannerSettings.create(ConfigFactory.load());
    for (String shape : shapes) {
      List<String> labels = new ArrayList<>(modes);
      if (shape.equals("correlated") && modes.contains("predictive")) {
        labels.add(NO_COLOCATION);
      }
      Map<String, List<Metrics>> byMode = new HashMap<>();
      for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
        for (String label : labels) {
          String mode = label.equals(NO_COLOCATION) ? "predictive" : label;
          Metrics m = new SimulatedCluster(settings, mode, new Workload(shape, keys, 6_000, seed),
              !label.equals(NO_COLOCATION), capacity).run(hours(shape), measureFrom(shape));
          byMode.computeIfAbsent(label, k -> new ArrayList<>()).add(m);
          System.out.println("RESULT planner-sim shape=" + shape + " seed=" + seed + " mode=" + label.replace(", ", "-")
              .replace(' ', '-') + " " + m);
        }
      }
      System.out.println("| " + shape + " (median of " + seeds + " seeds; min–max) | over-capacity intervals | "
          + "standard tier max/mean | same, 2 rounds after a shift | node max/mean | same, 2 rounds after a shift "
          + "| other nodes a batch reaches | busiest instance's peak | transfers | GB moved | forecast MAPE "
          + "| minutes until the new instance or node is balanced / the drained one empty |");
      System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
      for (String label : labels) {
        List<Metrics> runs = byMode.get(label);
        System.out.println("| " + label + " | " + spread(runs, m -> 100 * m.overShare(), "%.1f %%") + " | "
            + spread(runs, Metrics::maxOverMean, "%.2f") + " | " + spread(runs, Metrics::afterShift, "%.2f") + " | "
            + spread(runs, Metrics::nodeMaxOverMean, "%.2f") + " | "
            + spread(runs, Metrics::nodeAfterShift, "%.2f") + " | "
            + spread(runs, Metrics::fanOut, "%.2f") + " | " + spread(runs, m -> 100 * m.peakUse, "%.0f %%") + " | "
            + spread(runs, m -> m.transfers, "%.0f") + " | " + spread(runs, m -> m.bytesMoved / 1e9, "%.1f") + " | "
            + spread(runs, m -> 100 * m.mape, "%.1f %%") + " | " + spread(runs, m -> m.eventMinutes, "%.1f") + " |");
      }
      System.out.println(summed(shape, labels, byMode));
    }
    return 0;
  }

  /**
   * The over-capacity intervals and bytes moved summed over every seed, per mode, and predictive's
   * against reactive's (rare events: a median over seeds is mostly 0).
   */
  private static String summed(String shape, List<String> labels, Map<String, List<Metrics>> byMode) {
    StringBuilder out = new StringBuilder("SUMMED ").append(shape).append(": over-capacity intervals, all seeds:");
    for (String label : labels) {
      List<Metrics> runs = byMode.get(label);
      out.append(String.format(Locale.ROOT, " %s %d of %d (%.1f GB moved);", label,
          runs.stream().mapToLong(m -> m.overTicks).sum(), runs.stream().mapToLong(m -> m.ticks).sum(),
          runs.stream().mapToLong(m -> m.bytesMoved).sum() / 1e9));
    }
    List<Metrics> reactive = byMode.get("reactive");
    List<Metrics> predictive = byMode.get("predictive");
    if (reactive != null && predictive != null) {
      long r = reactive.stream().mapToLong(m -> m.overTicks).sum();
      long p = predictive.stream().mapToLong(m -> m.overTicks).sum();
      double bytes = (double) predictive.stream().mapToLong(m -> m.bytesMoved).sum()
          / Math.max(1, reactive.stream().mapToLong(m -> m.bytesMoved).sum());
      out.append(r == 0 ? " reactive was never over capacity;"
          : String.format(Locale.ROOT, " predictive %.0f %% fewer than reactive;", 100.0 * (r - p) / r));
      out.append(String.format(Locale.ROOT, " predictive moved %.2f times reactive's bytes", bytes));
    }
    return out.toString();
  }

  static double hours(String shape) {
    return switch (shape) {
      case "diurnal" -> 4 * 24;
      case "flash" -> 4;
      default -> 6;
    };
  }

  /**
   * When a log instance is added ({@code grow}) or marked for draining ({@code drain}), or a node
   * joins ({@code node-added}) or is marked for draining ({@code node-drain}).
   */
  static final double EVENT_SECONDS = 3_600;

  /** Measured from here on: after the first hour, or for the diurnal cycle after two days (the forecasts' warm-up). */
  static double measureFrom(String shape) {
    return shape.equals("diurnal") ? 2 * Workload.DAY_SECONDS : 3_600;
  }

  private static String spread(List<Metrics> runs, java.util.function.ToDoubleFunction<Metrics> f, String format) {
    double[] v = runs.stream().mapToDouble(f).filter(d -> !Double.isNaN(d)).sorted().toArray();
    if (v.length == 0) {
      return "–";
    }
    return String.format(Locale.ROOT, format + " (" + format + "–" + format + ")", v[v.length / 2], v[0], v[v.length - 1]);
  }

  /** What one run measured (over the measured window). */
  static final class Metrics {
    long ticks;
    long overTicks;
    double maxOverMeanSum;
    double afterShiftSum;
    long shifts;
    double nodeMaxOverMeanSum;
    double nodeAfterShiftSum;
    double fanOutSum;
    long fanOutTicks;
    long transfers;
    long bytesMoved;
    double peakUse;
    double eventMinutes = Double.NaN;
    double mape = Double.NaN;

    double overShare() {
      return ticks == 0 ? 0 : (double) overTicks / ticks;
    }

    double maxOverMean() {
      return ticks == 0 ? Double.NaN : maxOverMeanSum / ticks;
    }

    double afterShift() {
      return shifts == 0 ? Double.NaN : afterShiftSum / shifts;
    }

    double nodeMaxOverMean() {
      return ticks == 0 ? Double.NaN : nodeMaxOverMeanSum / ticks;
    }

    double nodeAfterShift() {
      return shifts == 0 ? Double.NaN : nodeAfterShiftSum / shifts;
    }

    /** Other nodes a batch reaches, on average. */
    double fanOut() {
      return fanOutTicks == 0 ? Double.NaN : fanOutSum / fanOutTicks;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "over_capacity_pct=%.3f standard_max_over_mean=%.3f after_shift=%.3f "
          + "node_max_over_mean=%.3f node_after_shift=%.3f fan_out=%.3f "
          + "peak_use_pct=%.0f transfers=%d gb_moved=%.2f mape_pct=%.1f event_minutes=%.1f", 100 * overShare(),
          maxOverMean(), afterShift(), nodeMaxOverMean(), nodeAfterShift(), fanOut(), 100 * peakUse, transfers,
          bytesMoved / 1e9, 100 * mape, eventMinutes);
    }
  }
}
