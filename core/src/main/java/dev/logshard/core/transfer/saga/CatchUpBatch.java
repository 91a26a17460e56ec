package dev.logshard.core.transfer.saga;

import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.shard.Change;
import dev.logshard.core.shard.RangeShardEvent;
import dev.logshard.core.shard.TransferReply;
import dev.logshard.core.shard.TransferStep;
import dev.logshard.core.transfer.TransferPlan;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * How a source's changes reach a transfer's destinations: each destination gets the changes of
 * its own hashes (a split's halves, a merge's one destination), as one {@link TransferStep.ApplyChanges}.
 * Used for the snapshot copy's chunks, the fence's tail and each batch of the catch-up stream.
 */
public final class CatchUpBatch {

  /** A journal event of a source with its sequence number. */
  public record SourceEvent(long seqNr, Object event) {}

  private CatchUpBatch() {}

  /** The changes of journal events, in order. */
  public static List<Change> changesOf(List<SourceEvent> events) {
    List<Change> changes = new ArrayList<>();
    for (SourceEvent e : events) {
      changes.addAll(RangeShardEvent.changesOf(e.event(), e.seqNr()));
    }
    return changes;
  }

  /**
   * One step per destination (in the plan's order): the changes of {@code source} up to
   * {@code upToSeqNr} (0: snapshot entries, not yet the copy's end) that fall in its range.
   */
  public static List<SagaEffect.Send> steps(TransferPlan plan, String copy, String source, long upToSeqNr,
      List<Change> changes, long sourceLastVersion, long step) {
    List<SagaEffect.Send> sends = new ArrayList<>(plan.destinations().size());
    for (RangePlacement d : plan.destinations()) {
      List<Change> mine = new ArrayList<>();
      for (Change c : changes) {
        if (d.range().contains(KeyHash.of(c.key()))) {
          mine.add(c);
        }
      }
      sends.add(new SagaEffect.Send(d.entityId(), new TransferStep.ApplyChanges(plan.id(), copy, source, upToSeqNr,
          mine, sourceLastVersion, step)));
    }
    return sends;
  }

  /** Why a batch failed: a destination refused it (it follows another copy, or no longer runs); null if none did. */
  public static String failureOf(Collection<TransferReply> replies) {
    for (TransferReply reply : replies) {
      if (reply instanceof TransferReply.Refused refused) {
        return refused.entityId() + " refused: " + refused.reason();
      }
    }
    return null;
  }
}
