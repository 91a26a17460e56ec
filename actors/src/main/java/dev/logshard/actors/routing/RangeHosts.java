package dev.logshard.actors.routing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.Scheduler;
import scala.concurrent.ExecutionContext;

/**
 * Where each range generation runs in the cluster, and which nodes are gone (unreachable, or just
 * removed), so that the router holds a request whose range ran on a gone node instead of sending it
 * where it would be lost (its client would wait the whole ask timeout, then send the next one there).
 *
 * <p>A held request goes on as soon as its range is said to run on another node (after a node is
 * removed its ranges start on the survivors), its node is reachable again, or {@code grace} after
 * the node was removed (by then every router knows its ranges' new homes); it is refused, not
 * applied, after {@code maxHold} or when {@code maxHeld} requests are held already. Every node says
 * which generations it runs ({@link RangeHostsWatcher}); a range not heard of is sent as usual. The
 * request path pays one volatile read while no node is gone.
 */
public final class RangeHosts {

  private final Scheduler scheduler;
  private final ExecutionContext executor;
  private final Duration maxHold;
  private final Duration grace;
  private final int maxHeld;
  private final Map<String, String> hostOf = new ConcurrentHashMap<>();
  /** Guarded by {@code this}: what each node said it runs; the requests held, per gone node and range. */
  private final Map<String, Set<String>> byNode = new HashMap<>();
  private final Map<String, Map<String, List<CompletableFuture<Boolean>>>> held = new HashMap<>();
  private final AtomicInteger heldCount = new AtomicInteger();
  private volatile Set<String> gone = Set.of();

  public RangeHosts(Scheduler scheduler, ExecutionContext executor, Duration maxHold, Duration grace, int maxHeld) {
    this.scheduler = scheduler;
    this.executor = executor;
    this.maxHold = maxHold;
    this.grace = grace;
    this.maxHeld = maxHeld;
  }

  /**
   * Null when a request for {@code entityId} can be sent now; else a stage that completes with true
   * when it can, or false when it is refused (held too long, or too many held).
   */
  public CompletableFuture<Boolean> hold(String entityId) {
    if (gone.isEmpty()) {
      return null;
    }
    String node = hostOf.get(entityId);
    if (node == null || !gone.contains(node)) {
      return null;
    }
    CompletableFuture<Boolean> release = new CompletableFuture<>();
    if (heldCount.incrementAndGet() > maxHeld) {
      heldCount.decrementAndGet();
      release.complete(false);
      return release;
    }
    synchronized (this) {
      if (!gone.contains(node) || !node.equals(hostOf.get(entityId))) {
        heldCount.decrementAndGet();
        release.complete(true);
        return release;
      }
      List<CompletableFuture<Boolean>> waiting =
          held.computeIfAbsent(node, n -> new HashMap<>()).computeIfAbsent(entityId, id -> new ArrayList<>());
      if (waiting.size() >= 64 && Integer.bitCount(waiting.size()) == 1) {
        waiting.removeIf(CompletableFuture::isDone); // refused ones, while the node stays cut off
      }
      waiting.add(release);
    }
    release.whenComplete((go, failure) -> heldCount.decrementAndGet());
    scheduler.scheduleOnce(maxHold, () -> release.complete(false), executor);
    return release;
  }

  /** {@code node} runs exactly {@code entityIds} now (what it said before is replaced). */
  public void hosting(String node, Set<String> entityIds) {
    List<CompletableFuture<Boolean>> released = new ArrayList<>();
    synchronized (this) {
      if (gone.contains(node)) {
        return; // a late word from a node that is gone
      }
      Set<String> before = byNode.put(node, Set.copyOf(entityIds));
      if (before != null) {
        for (String stopped : before) {
          if (!entityIds.contains(stopped)) {
            hostOf.remove(stopped, node);
          }
        }
      }
      for (String id : entityIds) {
        String previous = hostOf.put(id, node);
        if (previous != null && !previous.equals(node) && held.containsKey(previous)) {
          List<CompletableFuture<Boolean>> waiting = held.get(previous).remove(id);
          if (waiting != null) {
            released.addAll(waiting);
          }
        }
      }
    }
    released.forEach(release -> release.complete(true));
  }

  /** The node does not answer: requests for its ranges are held. */
  public synchronized void unreachable(String node) {
    Set<String> now = new HashSet<>(gone);
    now.add(node);
    gone = Set.copyOf(now);
  }

  /** The node answers again (or a node of that address joined): what was held for it goes on. */
  public void reachable(String node) {
    forget(node, false);
  }

  /**
   * The node left the cluster: its ranges start on the others, which say so; whatever is still held
   * for it goes on after the grace.
   */
  public void removed(String node) {
    unreachable(node);
    scheduler.scheduleOnce(grace, () -> forget(node, true), executor);
  }

  /** The node a generation runs on, as last heard (null: not known). */
  public String hostOf(String entityId) {
    return hostOf.get(entityId);
  }

  public int held() {
    return heldCount.get();
  }

  private void forget(String node, boolean itsRanges) {
    Map<String, List<CompletableFuture<Boolean>>> waiting;
    synchronized (this) {
      if (gone.contains(node)) {
        Set<String> now = new HashSet<>(gone);
        now.remove(node);
        gone = Set.copyOf(now);
      }
      if (itsRanges) {
        Set<String> ran = byNode.remove(node);
        if (ran != null) {
          ran.forEach(id -> hostOf.remove(id, node));
        }
      }
      waiting = held.remove(node);
    }
    if (waiting != null) {
      waiting.values().forEach(list -> list.forEach(release -> release.complete(true)));
    }
  }
}
