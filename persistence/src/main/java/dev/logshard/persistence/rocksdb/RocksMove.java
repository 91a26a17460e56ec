package dev.logshard.persistence.rocksdb;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksIterator;

/**
 * Moves every entry of some persistence ids (their events, snapshots and highest sequence numbers)
 * from one log instance's database to another's: copied in chunks, then deleted from the source, so
 * that a crash midway leaves every entry at least in the source and running it again finishes the
 * move. For databases no plugin uses, before the node starts.
 */
public final class RocksMove {

  /** Entries copied or deleted in one write. */
  private static final int CHUNK = 4_096;

  private RocksMove() {}

  /** Whether the database holds an event or a snapshot of an id that starts with one of {@code idPrefixes}. */
  public static boolean holds(RocksSettings settings, List<String> idPrefixes) {
    RocksLog log = RocksLog.acquire(settings);
    try {
      for (ColumnFamilyHandle family : List.of(log.journal, log.snapshots)) {
        for (String idPrefix : idPrefixes) {
          if (scan(log, family, idPrefix, 1, key -> { }) > 0) {
            return true;
          }
        }
      }
      return false;
    } finally {
      log.release();
    }
  }

  /** Moves the entries of every id that starts with one of {@code idPrefixes}; how many there were. */
  public static long move(RocksSettings from, RocksSettings to, List<String> idPrefixes) {
    RocksLog source = RocksLog.acquire(from);
    RocksLog target = RocksLog.acquire(to);
    try {
      List<ColumnFamilyHandle> sourceFamilies = List.of(source.journal, source.snapshots, source.meta);
      List<ColumnFamilyHandle> targetFamilies = List.of(target.journal, target.snapshots, target.meta);
      long moved = 0;
      for (int f = 0; f < sourceFamilies.size(); f++) {
        ColumnFamilyHandle out = targetFamilies.get(f);
        moved += inChunks(source, sourceFamilies.get(f), idPrefixes, chunk -> target.write(batch -> {
          for (byte[][] entry : chunk) {
            batch.put(out, entry[0], entry[1]);
          }
        }).join());
      }
      // Only once every entry is in the target: a crash before this leaves the source whole.
      for (ColumnFamilyHandle in : sourceFamilies) {
        inChunks(source, in, idPrefixes, chunk -> source.write(batch -> {
          for (byte[][] entry : chunk) {
            batch.delete(in, entry[0]);
          }
        }).join());
      }
      return moved;
    } finally {
      target.release();
      source.release();
    }
  }

  /** Hands the entries of the ids to {@code write}, {@link #CHUNK} at a time; how many there were. */
  private static long inChunks(RocksLog log, ColumnFamilyHandle family, List<String> idPrefixes,
      Consumer<List<byte[][]>> write) {
    long n = 0;
    for (String idPrefix : idPrefixes) {
      List<byte[][]> chunk = new ArrayList<>();
      n += scan(log, family, idPrefix, Long.MAX_VALUE, entry -> {
        chunk.add(entry);
        if (chunk.size() == CHUNK) {
          write.accept(chunk);
          chunk.clear();
        }
      });
      if (!chunk.isEmpty()) {
        write.accept(chunk);
      }
    }
    return n;
  }

  /** Visits up to {@code max} entries (key, value) whose id starts with {@code idPrefix}; how many. */
  private static long scan(RocksLog log, ColumnFamilyHandle family, String idPrefix, long max, EntryVisitor visitor) {
    byte[] prefix = idPrefix.getBytes(StandardCharsets.UTF_8);
    long n = 0;
    try (RocksIterator it = log.db().newIterator(family)) {
      for (it.seek(prefix); it.isValid() && n < max && RocksKeys.startsWith(it.key(), prefix); it.next()) {
        visitor.visit(new byte[][] {it.key(), it.value()});
        n++;
      }
    }
    return n;
  }

  @FunctionalInterface
  private interface EntryVisitor {
    void visit(byte[][] entry);
  }
}
