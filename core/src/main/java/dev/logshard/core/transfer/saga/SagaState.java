package dev.logshard.core.transfer.saga;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.transfer.TransferPhase;
import java.util.LinkedHashMap;
import java.util.Map;

/** The persisted state of a Transfer's saga: its phase and what later phases need from earlier ones. */
public record SagaState(TransferPhase phase, Map<String, Long> snapshotSeqNrs, long epoch, long keys, long bytes,
    String failure, Map<String, Long> reachedAtMillis, String copy) implements CborSerializable {

  public static SagaState empty() {
    return new SagaState(TransferPhase.PLANNED, Map.of(), 0, 0, 0, null, Map.of(), null);
  }

  public SagaState apply(PhaseReached e) {
    Map<String, Long> reached = new LinkedHashMap<>(reachedAtMillis);
    reached.putIfAbsent(e.phase().name(), e.atMillis());
    return new SagaState(e.phase(), e.snapshotSeqNrs() != null ? e.snapshotSeqNrs() : snapshotSeqNrs,
        e.epoch() > 0 ? e.epoch() : epoch, Math.max(keys, e.keys()), Math.max(bytes, e.bytes()),
        e.failure() != null ? e.failure() : failure, Map.copyOf(reached), e.copy() != null ? e.copy() : copy);
  }

  /**
   * How long each phase reached so far lasted, in protocol order; the current one (unless ended)
   * until {@code nowMillis}.
   */
  public Map<String, Long> phaseMillis(TransferPhase current, long nowMillis) {
    Map<String, Long> phaseMillis = new LinkedHashMap<>();
    String previous = null;
    long previousAt = 0;
    for (TransferPhase p : TransferPhase.values()) { // in protocol order
      Long at = reachedAtMillis.get(p.name());
      if (at == null) {
        continue;
      }
      if (previous != null) {
        phaseMillis.put(previous, at - previousAt);
      }
      previous = p.name();
      previousAt = at;
    }
    if (previous != null && !current.isEnded()) {
      phaseMillis.put(previous, nowMillis - previousAt);
    }
    return Map.copyOf(phaseMillis);
  }
}
