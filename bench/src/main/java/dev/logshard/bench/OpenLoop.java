package dev.logshard.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Requests at a fixed rate, whatever the latency (an open loop), sent by a fixed set of worker
 * threads, each with a blocking request at a time: request {@code k} is due at
 * {@code start + k / rate}; the next free worker takes the next one, waits until it is due and sends
 * it. Latency is measured from the due time, so a request that waited for a free worker is charged
 * that wait (no coordinated omission).
 *
 * <p>Why workers instead of an asynchronous send per request: on this project's 2-core machine the
 * JDK HttpClient's asynchronous path, with a connection per request in flight, cost the client twice
 * the CPU per request of blocking sends on reused connections (measured: at 4,000/s it took a whole
 * core and left the node too little to keep up), so the client, not the node, set the limit.
 */
final class OpenLoop {

  /** One worker's request sender; called with the request's number and its due time (nanoTime). */
  interface Sender {
    void send(long k, long dueNanos) throws InterruptedException;
  }

  private OpenLoop() {}

  /**
   * Sends {@code perSecond} requests a second until {@code running} says stop; {@code senders}
   * makes one sender per worker (each may hold its own random and key generator). Returns once
   * every worker has finished its last request.
   */
  static void run(int perSecond, int workers, BooleanSupplier running, Supplier<Sender> senders)
      throws InterruptedException {
    AtomicLong next = new AtomicLong();
    long start = System.nanoTime();
    double interval = 1e9 / perSecond;
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      Sender sender = senders.get();
      Thread t = new Thread(() -> {
        try {
          while (running.getAsBoolean()) {
            long k = next.getAndIncrement();
            long due = start + (long) (k * interval);
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
              LockSupport.parkNanos(wait);
            }
            if (!running.getAsBoolean()) {
              return;
            }
            sender.send(k, due);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "open-loop-" + w);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
  }
}
