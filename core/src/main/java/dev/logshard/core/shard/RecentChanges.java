package dev.logshard.core.shard;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The changes of a Transfer source's latest events, kept in memory while a transfer follows it, so
 * its fence can hand the destinations what they have not applied yet directly, instead of making
 * them wait for the catch-up stream to poll the journal. Bounded by events and bytes: what fell out
 * is left to the stream.
 */
final class RecentChanges {

  private record Entry(long seqNr, List<Change> changes, long bytes) {}

  private final int maxEvents;
  private final long maxBytes;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long bytes;
  /** Every event from this sequence number on is here (0: none recorded yet). */
  private long coveredFrom;

  RecentChanges(int maxEvents, long maxBytes) {
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
  }

  /** Records the events just persisted, whose last has sequence number {@code lastSeqNr}. */
  void record(List<RangeShardEvent> events, long lastSeqNr) {
    long seqNr = lastSeqNr - events.size() + 1;
    if (coveredFrom == 0) {
      coveredFrom = seqNr;
    }
    for (RangeShardEvent event : events) {
      List<Change> changes = RangeShardEvent.changesOf(event, seqNr);
      long size = changes.stream().mapToLong(Change::sizeInBytes).sum();
      entries.addLast(new Entry(seqNr, changes, size));
      bytes += size;
      seqNr++;
    }
    while (entries.size() > maxEvents || (bytes > maxBytes && entries.size() > 1)) {
      Entry dropped = entries.removeFirst();
      bytes -= dropped.bytes();
      coveredFrom = dropped.seqNr() + 1;
    }
  }

  /**
   * The changes of the events {@code from} … {@code to}, in order; null if some of them are not
   * here (fell out, or happened before recording began) or if they hold more than {@code maxBytes}
   * (a message must stay small).
   */
  List<Change> between(long from, long to, long maxBytes) {
    if (from > to) {
      return List.of();
    }
    if (coveredFrom == 0 || from < coveredFrom || entries.isEmpty() || entries.peekLast().seqNr() < to) {
      return null;
    }
    List<Change> changes = new ArrayList<>();
    long size = 0;
    for (Entry e : entries) {
      if (e.seqNr() >= from && e.seqNr() <= to) {
        changes.addAll(e.changes());
        size += e.bytes();
        if (size > maxBytes) {
          return null;
        }
      }
    }
    return changes;
  }
}
