package dev.logshard.persistence.rocksdb;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The one writer of a log instance: writes that arrive while a write is under way go into the
 * next one together, as a single write batch (one write-ahead-log append, and with {@code fsync}
 * one sync, for the whole group). Each write's changes are applied to the batch in the order the
 * writes arrived; changes that fail to apply fail only their own write. Runs on its own thread
 * from creation to {@link #close}.
 */
final class GroupCommit implements AutoCloseable {

  /** A write's changes, put into the group's batch. */
  @FunctionalInterface
  interface Changes {
    void into(WriteBatch batch) throws RocksDBException;
  }

  /** At most this many writes in one batch. */
  private static final int MAX_GROUP = 4_096;

  private record Pending(Changes changes, CompletableFuture<Void> done) {}

  private static final Pending STOP = new Pending(null, null);

  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final RocksDB db;
  private final WriteOptions options;
  private final Thread thread;
  private volatile boolean closed;

  GroupCommit(RocksDB db, WriteOptions options, String name) {
    this.db = db;
    this.options = options;
    this.thread = new Thread(this::run, "logshard-rocksdb-writer-" + name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Completes when the changes are written (as durable as the write options make them). */
  CompletableFuture<Void> write(Changes changes) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new IllegalStateException("the log instance is closed"));
    } else {
      queue.add(new Pending(changes, done));
    }
    return done;
  }

  private void run() {
    List<Pending> group = new ArrayList<>();
    boolean stop = false;
    while (!stop) {
      try {
        group.add(queue.take());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      queue.drainTo(group, MAX_GROUP - 1);
      stop = group.remove(STOP);
      if (!group.isEmpty()) {
        writeGroup(group);
      }
      group.clear();
    }
    // Closed: whatever still waits is refused, not lost silently.
    queue.drainTo(group);
    group.stream().filter(p -> p != STOP).forEach(p ->
        p.done().completeExceptionally(new IllegalStateException("the log instance is closed")));
  }

  private void writeGroup(List<Pending> group) {
    List<Pending> inBatch = new ArrayList<>(group.size());
    try (WriteBatch batch = new WriteBatch()) {
      for (Pending p : group) {
        batch.setSavePoint();
        try {
          p.changes().into(batch);
          inBatch.add(p);
        } catch (RocksDBException | RuntimeException e) {
          batch.rollbackToSavePoint();
          p.done().completeExceptionally(e);
        }
      }
      db.write(options, batch);
    } catch (RocksDBException | RuntimeException e) {
      inBatch.forEach(p -> p.done().completeExceptionally(e));
      return;
    }
    inBatch.forEach(p -> p.done().complete(null));
  }

  /** Writes what is queued, then stops the writer. */
  @Override
  public void close() {
    closed = true;
    queue.add(STOP);
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
