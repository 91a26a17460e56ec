package dev.logshard.bench;

import picocli.CommandLine.Option;

/** The options every benchmark tool shares: which node, how many keys, how large the values. */
final class TargetOptions {

  @Option(names = "--url", description = "Node URL (default: ${DEFAULT-VALUE}).")
  String url = "http://127.0.0.1:8080";

  @Option(names = "--records", description = "Distinct keys of the load (default: ${DEFAULT-VALUE}).")
  int records = 10_000;

  @Option(names = "--value-bytes", description = "Value size (default: ${DEFAULT-VALUE}).")
  int valueBytes = 1024;
}
