package dev.logshard.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The request body bytes a node holds at once, across all connections: a body is admitted only if
 * its size (its declared length, or the route's limit when it declares none) fits in what is left,
 * and gives it back once its request is answered. Without it, 1,024 connections each sending a
 * 16 MiB batch would ask for 16 GiB.
 */
final class BodyBudget {

  private final long capacity;
  private final AtomicLong available;

  BodyBudget(long capacity) {
    this.capacity = capacity;
    this.available = new AtomicLong(capacity);
  }

  /** Takes {@code bytes} if they fit now; false (nothing taken) if not. */
  boolean tryTake(long bytes) {
    for (long left = available.get(); left >= bytes; left = available.get()) {
      if (available.compareAndSet(left, left - bytes)) {
        return true;
      }
    }
    return false;
  }

  void giveBack(long bytes) {
    available.addAndGet(bytes);
  }

  long capacity() {
    return capacity;
  }
}
