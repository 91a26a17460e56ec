package dev.logshard.core.transfer.saga;

import dev.logshard.core.RangePlacement;
import dev.logshard.core.transfer.TransferPlan;
import java.util.HashMap;
import java.util.Map;

/**
 * Where each source of a transfer is and how far the destinations have applied it: the last
 * sequence number a source reported, its final one once fenced, and what every destination applied.
 */
final class SourcePositions {

  private final TransferPlan plan;
  /** Per source: the last sequence number every destination applied. */
  final Map<String, Long> applied = new HashMap<>();
  /** Per source: its last sequence number, as last reported. */
  final Map<String, Long> reported = new HashMap<>();
  /** Per source: its final sequence number, once its fence answered. */
  final Map<String, Long> fenced = new HashMap<>();

  SourcePositions(TransferPlan plan) {
    this.plan = plan;
  }

  long applied(String source) {
    return applied.getOrDefault(source, 0L);
  }

  void applied(String source, long seqNr) {
    applied.merge(source, seqNr, Math::max);
  }

  boolean everyReported() {
    return reported.size() == plan.sources().size();
  }

  boolean everyFenced() {
    return fenced.size() == plan.sources().size();
  }

  /** Events of the sources the destinations have not applied yet (up to a fenced source's final one). */
  long lag() {
    long lag = 0;
    for (RangePlacement source : plan.sources()) {
      long at = fenced.getOrDefault(source.entityId(), reported.getOrDefault(source.entityId(), 0L));
      lag += Math.max(0, at - applied(source.entityId()));
    }
    return lag;
  }

  /** Every source is fenced and applied up to its final sequence number. */
  boolean caughtUpWithFences() {
    if (!everyFenced()) {
      return false;
    }
    for (RangePlacement source : plan.sources()) {
      if (applied(source.entityId()) < fenced.get(source.entityId())) {
        return false;
      }
    }
    return true;
  }
}
