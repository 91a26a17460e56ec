package dev.logshard.core.transfer.saga;

import dev.logshard.core.CborSerializable;
import dev.logshard.core.transfer.TransferPhase;
import java.util.Map;

/**
 * The one event a Transfer's saga persists: it reached {@code phase}; {@code copy} names the
 * snapshot copy the destinations follow (set once the copy is complete).
 */
public record PhaseReached(TransferPhase phase, Map<String, Long> snapshotSeqNrs, long epoch, long keys,
    long bytes, String failure, long atMillis, String copy) implements CborSerializable {}
