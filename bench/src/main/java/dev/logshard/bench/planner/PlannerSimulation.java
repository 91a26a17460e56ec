package dev.logshard.bench.planner;

import com.typesafe.config.ConfigFactory;
import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.ShardMap;
import dev.logshard.core.coordinator.CoordinatorEvent;
import dev.logshard.core.coordinator.CoordinatorState;
import dev.logshard.core.forecast.RingForecast;
import dev.logshard.core.planner.CountBalancer;
import dev.logshard.core.planner.Decision;
import dev.logshard.core.planner.PlanRound;
import dev.logshard.core.planner.PlannedTransfer;
import dev.logshard.core.planner.PlannerModes;
import dev.logshard.core.planner.Planner;
import dev.logshard.core.planner.PlannerInput;
import dev.logshard.core.planner.PlannerSettings;
import dev.logshard.core.profile.CellCounts;
import dev.logshard.core.profile.LoadHistory;
import dev.logshard.core.transfer.TransferPlan;
import dev.logshard.core.transfer.TransferProgress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The planner's modes side by side on the same seeded traces, in simulated time, on the real code:
 * {@link Planner} (reactive, predictive), {@link CountBalancer} (baseline), {@link CoordinatorState}
 * for plans and commits, {@link RingForecast} and {@link LoadHistory} for the forecasts, all at
 * their default settings. A model of three log instances with a capacity in requests per second
 * (fast-1, standard-1, standard-2; every range starts on standard-1, as on a fresh node), transfers
 * that take the read ramp plus their bytes at the copy pace, and a {@link Workload}. One planning
 * round every 5 s. Prints one RESULT line per mode and seed, and a table of medians.
 */
@Command(name = "planner-sim", mixinStandardHelpOptions = true,
    description = "The planner's modes side by side on seeded simulated workloads.")
public final class PlannerSimulation implements Callable<Integer> {

  static final double TICK_SECONDS = 5;
  static final double CAPACITY = 5_000;
  static final long BYTES_PER_KEY = 1L << 20;
  /** The copy pace (logshard.transfer.copy-bytes-per-second) and the read ramp at the defaults (100 steps of 100 ms). */
  static final double COPY_BYTES_PER_SECOND = 16 * (1 << 20);
  static final double RAMP_SECONDS = 10;

  @Option(names = "--shapes", split = ",", description = "shifting, diurnal, flash, grow, drain (default: ${DEFAULT-VALUE}).")
  List<String> shapes = List.of("shifting", "diurnal", "flash", "grow", "drain");

  @Option(names = "--modes", split = ",", description = "Planner modes (default: ${DEFAULT-VALUE}).")
  List<String> modes = List.of("baseline", "reactive", "predictive");

  @Option(names = "--seeds", description = "Seeds per shape (default: ${DEFAULT-VALUE}).")
  int seeds = 3;

  @Option(names = "--keys", description = "Keys on the ring (default: ${DEFAULT-VALUE}).")
  int keys = 10_000;

  @Override
  public Integer call() {
    PlannerSettings settings = PlannerSettings.create(ConfigFactory.load());
    for (String shape : shapes) {
      Map<String, List<Metrics>> byMode = new HashMap<>();
      for (long seed = 1; seed <= seeds; seed++) {
        for (String mode : modes) {
          Metrics m = new Run(settings, mode, new Workload(shape, keys, 6_000, seed)).run(hours(shape), measureFrom(shape));
          byMode.computeIfAbsent(mode, k -> new java.util.ArrayList<>()).add(m);
          System.out.println("RESULT planner-sim shape=" + shape + " seed=" + seed + " mode=" + mode + " " + m);
        }
      }
      System.out.println("| " + shape + " (median of " + seeds + " seeds; min–max) | over-capacity intervals | "
          + "standard tier max/mean | same, 2 rounds after a shift | busiest instance's peak | transfers | GB moved "
          + "| forecast MAPE | minutes until the new instance is balanced / the drained one empty |");
      System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
      for (String mode : modes) {
        List<Metrics> runs = byMode.get(mode);
        System.out.println("| " + mode + " | " + spread(runs, m -> 100 * m.overShare(), "%.1f %%") + " | "
            + spread(runs, Metrics::maxOverMean, "%.2f") + " | " + spread(runs, Metrics::afterShift, "%.2f") + " | "
            + spread(runs, m -> 100 * m.peakUse, "%.0f %%") + " | "
            + spread(runs, m -> m.transfers, "%.0f") + " | " + spread(runs, m -> m.bytesMoved / 1e9, "%.1f") + " | "
            + spread(runs, m -> 100 * m.mape, "%.1f %%") + " | " + spread(runs, m -> m.eventMinutes, "%.1f") + " |");
      }
    }
    return 0;
  }

  static double hours(String shape) {
    return switch (shape) {
      case "diurnal" -> 4 * 24;
      case "flash" -> 4;
      default -> 6;
    };
  }

  /** When a log instance is added ({@code grow}) or marked for draining ({@code drain}). */
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

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "over_capacity_pct=%.2f standard_max_over_mean=%.3f after_shift=%.3f "
          + "peak_use_pct=%.0f transfers=%d gb_moved=%.2f mape_pct=%.1f event_minutes=%.1f", 100 * overShare(),
          maxOverMean(), afterShift(), 100 * peakUse, transfers, bytesMoved / 1e9, 100 * mape, eventMinutes);
    }
  }

  /** One mode on one trace. */
  private static final class Run {
    final PlannerSettings settings;
    final String mode;
    final Workload workload;
    final PlannerModes modes;
    List<PlannerInput.Instance> instances = List.of(
        new PlannerInput.Instance("fast-1", "fast", 8L << 30, CAPACITY),
        new PlannerInput.Instance("standard-1", "standard", 64L << 30, CAPACITY),
        new PlannerInput.Instance("standard-2", "standard", 64L << 30, CAPACITY));
    CoordinatorState state = CoordinatorState.empty();
    final Map<String, Double> secondsLeft = new HashMap<>();
    LoadHistory history = LoadHistory.empty(1024);
    RingForecast forecast;
    double[] minuteCells = new double[1024];
    double[] stepCells = new double[1024];
    double[] prefix;

    Run(PlannerSettings settings, String mode, Workload workload) {
      this.settings = settings;
      this.mode = mode;
      this.workload = workload;
      this.modes = new PlannerModes(settings);
      this.forecast = RingForecast.create(settings.forecast());
      state = state.apply(new CoordinatorEvent.MapInitialized(1, ShardMap.initial(16, "standard-1").placements()));
    }

    Metrics run(double hours, double measureFrom) {
      Metrics m = new Metrics();
      double step = settings.forecast().step().toSeconds();
      int afterShiftTicks = -1;
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
              new PlannerInput.Instance("standard-3", "standard", 64L << 30, CAPACITY));
        } else if (t == EVENT_SECONDS && workload.shape.equals("drain")) {
          instances = List.of(instances.get(0), instances.get(1), instances.get(2).draining(true));
        }
        if (workload.shiftsAt(t, TICK_SECONDS)) {
          afterShiftTicks = 2;
        }
        plan(now, m, measured);
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
        if (afterShiftTicks >= 0 && afterShiftTicks-- == 0 && measured) {
          m.afterShiftSum += maxOverMean;
          m.shifts++;
        }
        if (measured) {
          m.ticks++;
          m.overTicks += over ? 1 : 0;
          m.maxOverMeanSum += maxOverMean;
          m.peakUse = Math.max(m.peakUse, peak);
        }
      }
      if (mode.equals("predictive")) {
        m.mape = forecast.of(KeyRange.full(), history).mape();
      }
      return m;
    }

    private void plan(long now, Metrics m, boolean measured) {
      Map<String, PlannerInput.RangeLoad> loads = new HashMap<>();
      for (RangePlacement p : state.placements()) {
        int from = firstKey(p.range().start());
        int to = endKey(p.range());
        double requests = prefix[to] - prefix[from];
        RingForecast.Forecast f = mode.equals("predictive") ? forecast.of(p.range(), history) : null;
        double planned = f == null ? requests : PlannerModes.planned(mode, requests, f.requestsPerSecond(), f.ready());
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
          state.decisions(), now);
      PlanRound round = modes.plan(mode, input);
      for (PlannedTransfer t : round.transfers()) {
        if (state.conflictWith(t.request()).isPresent()) {
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

    private void finishTransfers(long now) {
      for (CoordinatorState.ActiveTransfer t : List.copyOf(state.active())) {
        String id = t.plan().id();
        double left = secondsLeft.merge(id, -TICK_SECONDS, Double::sum);
        if (left <= 0) {
          state = state.apply(new CoordinatorEvent.TransferCommitted(id, state.epoch() + 1))
              .apply(new CoordinatorEvent.TransferEnded(TransferProgress.planned(t.plan(), now)));
          secondsLeft.remove(id);
        }
      }
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
}
