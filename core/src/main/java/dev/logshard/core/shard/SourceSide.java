package dev.logshard.core.shard;

import dev.logshard.core.KeyHash;
import dev.logshard.core.RangePlacement;
import java.util.ArrayList;
import java.util.List;

/**
 * How a RangeShard acts as the source of a Transfer: it exports a point-in-time copy in chunks,
 * keeps its latest changes in memory while a transfer follows it, sends a rising fraction of reads
 * on to the destinations, holds writes while fenced, and after the commit hands off for good.
 *
 * <p>Lifecycle: one per incarnation of the entity. What it holds here is not persisted (a crash
 * ends the export, the redirection and the recent changes; the saga starts them again or rolls
 * back); the fence and the hand-off are persisted as events of {@link RangeShardState}.
 */
final class SourceSide {

  /** The most a fence's answer carries of the changes the destinations have not applied yet. */
  static final long MAX_TAIL_BYTES = 128 * 1024;
  /** Events and bytes of recent changes kept for a fence's answer (what fell out is left to catch-up). */
  static final int RECENT_EVENTS = 4096;
  static final long RECENT_BYTES = 1L << 20;

  /** A point-in-time copy of the entries, read in chunks by a Transfer. */
  private record Export(String transferId, long seqNr, List<RangeShardSnapshot.Entry> entries) {}

  /** The fraction of single-key reads sent on to the destinations of a transfer. */
  private record Redirect(double fraction, List<RangePlacement> destinations) {}

  private final String entityId;
  private final int recentEvents;
  private Export export;
  private Redirect redirect;
  /** The latest events' changes, kept while a transfer follows this source (null otherwise). */
  private RecentChanges recent;
  /** The epoch of a hand-off received but not persisted yet (it is answered as if it were). */
  private long handingOffEpoch;
  private long reads;
  private long redirectedReads;

  SourceSide(String entityId, int recentEvents) {
    this.entityId = entityId;
    this.recentEvents = recentEvents;
  }

  /** The epoch this generation handed off at, persisted or only received (0: it owns its range). */
  long handedOffEpoch(RangeShardState state) {
    return state.handedOffEpoch() > 0 ? state.handedOffEpoch() : handingOffEpoch;
  }

  /** Records events just persisted (the last at {@code lastSeqNr}) while a transfer follows. */
  void persisted(List<RangeShardEvent> events, long lastSeqNr) {
    if (recent != null) {
      recent.record(events, lastSeqNr);
    }
  }

  /**
   * Counts a single-key read and decides where it goes: the destination that holds the key, for
   * the redirected fraction of reads ({@code dice} uniform in [0, 1)), else null (served here).
   */
  RangePlacement redirectRead(String key, double dice) {
    reads++;
    if (redirect == null || dice >= redirect.fraction()) {
      return null;
    }
    long hash = KeyHash.of(key);
    for (RangePlacement destination : redirect.destinations()) {
      if (destination.range().contains(hash)) {
        redirectedReads++;
        return destination;
      }
    }
    return null;
  }

  StepOutcome openExport(RangeShardState state, TransferStep.OpenExport step, long lastSeqNr) {
    if (state.handedOffEpoch() > 0) {
      return StepOutcome.answer(TransferReply.Refused.of(entityId, step, "handed off at epoch " + state.handedOffEpoch()));
    }
    export = new Export(step.transferId(), lastSeqNr, state.exportEntries());
    return StepOutcome.answer(new TransferReply.ExportOpened(entityId, lastSeqNr, state.keyCount(),
        state.storedBytes(), state.lastVersion()));
  }

  StepOutcome readExport(TransferStep.ReadExport step) {
    if (export == null || !export.transferId().equals(step.transferId())) {
      return StepOutcome.answer(TransferReply.Refused.of(entityId, step, "no open export for transfer " + step.transferId()));
    }
    return StepOutcome.answer(chunk(export, step.from(), step.maxBytes()));
  }

  /** The first DescribeLog of a transfer starts keeping recent changes for its fence. */
  StepOutcome describeLog(RangeShardState state, long lastSeqNr) {
    if (recent == null && handedOffEpoch(state) == 0) {
      recent = new RecentChanges(recentEvents, RECENT_BYTES);
    }
    return StepOutcome.answer(position(lastSeqNr));
  }

  StepOutcome redirectReads(RangeShardState state, TransferStep.RedirectReads step, long lastSeqNr) {
    redirect = step.fraction() > 0 && handedOffEpoch(state) == 0
        ? new Redirect(Math.min(1.0, step.fraction()), step.destinations())
        : null;
    return StepOutcome.answer(position(lastSeqNr));
  }

  private TransferReply position(long lastSeqNr) {
    return new TransferReply.LogPosition(entityId, lastSeqNr, redirectedReads, reads);
  }

  /**
   * Holds writes from now on; answers the final sequence number: the last one before its
   * {@code SourceFenced}, which carries no data, so destinations that applied every write need not
   * wait for the catch-up stream to bring the fence event itself. It answers at once too (before
   * the fence is persisted), so the destinations can apply the tail meanwhile.
   */
  StepOutcome fence(RangeShardState state, TransferStep.Fence step, long lastSeqNr) {
    if (state.handedOffEpoch() > 0) {
      return StepOutcome.answer(TransferReply.Refused.of(entityId, step, "handed off at epoch " + state.handedOffEpoch()));
    }
    if (step.transferId().equals(state.fencedBy())) {
      return new StepOutcome(null, fenced(0, step.tailFrom()), null, false, false, null); // still final
    }
    if (state.fencedBy() != null) {
      return StepOutcome.answer(TransferReply.Refused.of(entityId, step, "fenced by transfer " + state.fencedBy()));
    }
    export = null;
    return new StepOutcome(new RangeShardEvent.SourceFenced(step.transferId()), fenced(1, step.tailFrom()),
        new TransferReply.Fenced(entityId, lastSeqNr, tail(step.tailFrom(), lastSeqNr), false), false, false, null);
  }

  StepOutcome unfence(RangeShardState state, TransferStep.Unfence step) {
    stopFollowing();
    if (!step.transferId().equals(state.fencedBy())) {
      return StepOutcome.answer(TransferReply.Done.of(entityId, step));
    }
    return StepOutcome.persist(new RangeShardEvent.SourceUnfenced(step.transferId()),
        (after, lastSeqNr) -> TransferReply.Done.of(entityId, step)).releasingHeld();
  }

  /**
   * The commit is persisted by the Coordinator already, and a source that restarts from now on is
   * no longer placed (it only answers WrongRange): so the writes it held get WrongRange at once, and
   * their routers re-send them to the new generation, without waiting for the hand-off to be
   * persisted, which it is right after ({@link TransferStep.PersistHandOff}), before the saga hears
   * it is done. The fence ends one journal write earlier.
   */
  StepOutcome handOff(TransferStep.HandOff step) {
    stopFollowing();
    if (handingOffEpoch == 0) {
      handingOffEpoch = step.epoch();
    }
    return new StepOutcome(null, null, null, true, false,
        new TransferStep.PersistHandOff(step.transferId(), step.epoch()));
  }

  /** After commit: this generation never writes again. Answers as the {@link TransferStep.HandOff} it completes. */
  StepOutcome persistHandOff(RangeShardState state, TransferStep.PersistHandOff step) {
    TransferReply done = new TransferReply.Done(entityId, TransferStep.HandOff.class.getSimpleName());
    if (state.handedOffEpoch() > 0) {
      return StepOutcome.answer(done);
    }
    return StepOutcome.persist(new RangeShardEvent.SourceHandedOff(step.transferId(), step.epoch()),
        (after, lastSeqNr) -> done).releasingHeld();
  }

  private void stopFollowing() {
    redirect = null;
    export = null;
    recent = null;
  }

  /** {@code dataFree}: how many of the last events hold no data (the fence event just persisted). */
  private StepOutcome.Answer fenced(int dataFree, long tailFrom) {
    return (after, lastSeqNr) -> {
      long last = lastSeqNr - dataFree;
      return new TransferReply.Fenced(entityId, last, tail(tailFrom, last), true);
    };
  }

  private List<Change> tail(long from, long to) {
    return recent == null ? null : recent.between(from, to, MAX_TAIL_BYTES);
  }

  /** The export's entries from {@code from} on, up to {@code maxBytes} (at least one). */
  private TransferReply.ExportChunk chunk(Export export, int from, long maxBytes) {
    List<RangeShardSnapshot.Entry> entries = export.entries();
    List<Change> chunk = new ArrayList<>();
    long bytes = 0;
    int next = from;
    while (next < entries.size() && (chunk.isEmpty() || bytes < maxBytes)) {
      RangeShardSnapshot.Entry e = entries.get(next++);
      Change c = new Change(e.key(), e.value(), e.version(), 0);
      chunk.add(c);
      bytes += c.sizeInBytes();
    }
    return new TransferReply.ExportChunk(entityId, export.seqNr(), chunk, next, next >= entries.size());
  }
}
