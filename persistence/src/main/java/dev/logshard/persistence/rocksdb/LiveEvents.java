package dev.logshard.persistence.rocksdb;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wakes the live queries of a log instance when a persistence id they follow gets new events, so
 * they read them at once instead of polling. A query takes {@link #nextWrite} before it reads: a
 * write that lands after its read completes that future, so no event is missed between the two.
 */
final class LiveEvents {

  private final ConcurrentHashMap<String, CompletableFuture<Void>> next = new ConcurrentHashMap<>();

  /** Completes at the next write of events of {@code persistenceId}. */
  CompletableFuture<Void> nextWrite(String persistenceId) {
    return next.computeIfAbsent(persistenceId, id -> new CompletableFuture<>());
  }

  /** Called after events of {@code persistenceId} were written. */
  void written(String persistenceId) {
    CompletableFuture<Void> waiting = next.remove(persistenceId);
    if (waiting != null) {
      waiting.complete(null);
    }
  }
}
