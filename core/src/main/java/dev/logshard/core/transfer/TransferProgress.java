package dev.logshard.core.transfer;

import java.util.List;
import java.util.Map;

/**
 * What an operator sees of a Transfer: its phase, how much it copied, how far the destinations
 * lag, how far reads are redirected, and how long each phase took.
 *
 * @param sources entity ids of the source generations
 * @param destinations entity ids of the destination generations
 * @param cdcLagEvents source events not yet applied by the destinations (catch-up onwards)
 * @param redirectFraction the fraction of single-key reads the sources send to the destinations
 * @param phaseMillis how long each finished phase took, by phase name
 * @param fenceMillis how long the sources held writes (fence to hand-off); 0 until then
 * @param fenceStepMillis milliseconds from the fence's start until every source was fenced
 *     ({@code fenced}), the destinations had applied all they wrote ({@code caughtUp}), the
 *     Coordinator had persisted the commit ({@code committed}) and the sources had handed off
 *     ({@code handedOff}); empty until then
 * @param failure why it rolled back; null otherwise
 */
public record TransferProgress(
    String id,
    TransferKind kind,
    List<String> sources,
    List<String> destinations,
    TransferPhase phase,
    long keysCopied,
    long bytesCopied,
    long cdcLagEvents,
    double redirectFraction,
    long redirectedReads,
    long startedAtMillis,
    long updatedAtMillis,
    Map<String, Long> phaseMillis,
    long fenceMillis,
    Map<String, Long> fenceStepMillis,
    String failure,
    String startedBy) {

  public TransferProgress {
    fenceStepMillis = fenceStepMillis == null ? Map.of() : fenceStepMillis; // recorded before it existed
  }

  /** A transfer that was just planned. */
  public static TransferProgress planned(TransferPlan plan, long nowMillis) {
    return new TransferProgress(plan.id(), plan.kind(),
        plan.sources().stream().map(p -> p.entityId()).toList(),
        plan.destinations().stream().map(p -> p.entityId()).toList(),
        TransferPhase.PLANNED, 0, 0, 0, 0, 0, nowMillis, nowMillis, Map.of(), 0, Map.of(), null, plan.startedBy());
  }
}
