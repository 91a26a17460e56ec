package dev.logshard.bench;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code java -jar bench/target/logshard-bench.jar load …}: LogShard's benchmark tools. */
@Command(
    name = "logshard-bench",
    mixinStandardHelpOptions = true,
    description = "LogShard benchmark tools.",
    subcommands = {LoadGenerator.class, TransferBench.class, PlannerBench.class, CrashTrials.class,
        dev.logshard.bench.planner.PlannerSimulation.class})
public final class Bench {

  public static void main(String[] args) {
    System.exit(new CommandLine(new Bench()).execute(args));
  }
}
