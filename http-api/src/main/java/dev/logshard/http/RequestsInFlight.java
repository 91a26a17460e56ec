package dev.logshard.http;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The data requests a node serves at once, across all connections: past the bound a request is
 * refused at once (503, not applied) instead of waiting behind the others, so that under more load
 * than the node can serve the requests it takes keep their latency. A bound of 0 is none.
 */
final class RequestsInFlight {

  private final int bound;
  private final AtomicInteger serving = new AtomicInteger();

  RequestsInFlight(int bound) {
    this.bound = bound;
  }

  /** Whether there is a bound at all (else nothing needs counting). */
  boolean bounded() {
    return bound > 0;
  }

  /** Counts one more request if the bound allows it now; false (nothing counted) if not. Only when bounded. */
  boolean tryEnter() {
    for (int now = serving.get(); now < bound; now = serving.get()) {
      if (serving.compareAndSet(now, now + 1)) {
        return true;
      }
    }
    return false;
  }

  void exit() {
    serving.decrementAndGet();
  }

  int bound() {
    return bound;
  }
}
