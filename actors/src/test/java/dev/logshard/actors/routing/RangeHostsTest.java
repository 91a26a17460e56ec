package dev.logshard.actors.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The router's view of where ranges run: what it holds while a node is gone, and when it lets go. */
class RangeHostsTest {

  private static final ActorTestKit testKit = ActorTestKit.create("RangeHostsTest");
  private static final String A = "pekko://logshard@127.0.0.1:1";
  private static final String B = "pekko://logshard@127.0.0.1:2";

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static RangeHosts hosts(Duration maxHold, Duration grace, int maxHeld) {
    return new RangeHosts(testKit.system().scheduler(), testKit.system().executionContext(), maxHold, grace, maxHeld);
  }

  private static boolean outcome(CompletableFuture<Boolean> held) throws Exception {
    return held.get(10, TimeUnit.SECONDS);
  }

  @Test
  void whileEveryNodeAnswersNothingIsHeld() {
    RangeHosts hosts = hosts(Duration.ofMinutes(1), Duration.ofMinutes(1), 10);
    hosts.hosting(A, Set.of("r0.1", "r1.1"));
    assertNull(hosts.hold("r0.1"));
    hosts.unreachable(B); // another node, running none of these
    assertNull(hosts.hold("r0.1"));
    assertNull(hosts.hold("r9.1"), "a range no node spoke of goes as usual");
  }

  @Test
  void aRequestForARangeOnAnUnreachableNodeWaitsUntilItAnswersAgain() throws Exception {
    RangeHosts hosts = hosts(Duration.ofMinutes(1), Duration.ofMinutes(1), 10);
    hosts.hosting(A, Set.of("r0.1", "r1.1"));
    hosts.hosting(B, Set.of("r2.1"));
    hosts.unreachable(A);
    CompletableFuture<Boolean> held = hosts.hold("r0.1");
    assertNotNull(held);
    assertFalse(held.isDone());
    assertNull(hosts.hold("r2.1"), "B's ranges are not held");
    assertEquals(1, hosts.held());
    hosts.reachable(A);
    assertTrue(outcome(held));
    assertNull(hosts.hold("r0.1"));
    assertEquals(0, hosts.held());
  }

  @Test
  void afterANodeIsRemovedItsRangeGoesOnOnceAnotherNodeRunsIt() throws Exception {
    RangeHosts hosts = hosts(Duration.ofMinutes(1), Duration.ofMinutes(1), 10);
    hosts.hosting(A, Set.of("r0.1", "r1.1"));
    hosts.unreachable(A);
    CompletableFuture<Boolean> r0 = hosts.hold("r0.1");
    CompletableFuture<Boolean> r1 = hosts.hold("r1.1");
    hosts.removed(A);
    assertFalse(r0.isDone(), "removed is not enough: routers may still send to the dead node's shards");
    assertNotNull(hosts.hold("r0.1"), "a new request is held too");
    hosts.hosting(B, Set.of("r0.1"));
    assertTrue(outcome(r0));
    assertFalse(r1.isDone(), "r1 does not run anywhere yet");
    assertNull(hosts.hold("r0.1"));
    assertEquals(B, hosts.hostOf("r0.1"));
    hosts.hosting(A, Set.of("r1.1")); // a late word from the dead node changes nothing
    assertFalse(r1.isDone());
  }

  @Test
  void whatNoOtherNodeTakesGoesOnAfterTheGrace() throws Exception {
    RangeHosts hosts = hosts(Duration.ofMinutes(1), Duration.ofMillis(200), 10);
    hosts.hosting(A, Set.of("r0.1"));
    hosts.unreachable(A);
    CompletableFuture<Boolean> held = hosts.hold("r0.1");
    hosts.removed(A);
    assertTrue(outcome(held));
    assertNull(hosts.hold("r0.1"), "forgotten with its node");
    assertNull(hosts.hostOf("r0.1"));
  }

  @Test
  void aRequestHeldTooLongOrBeyondTheBoundIsRefused() throws Exception {
    RangeHosts hosts = hosts(Duration.ofMillis(200), Duration.ofMinutes(1), 2);
    hosts.hosting(A, Set.of("r0.1"));
    hosts.unreachable(A);
    CompletableFuture<Boolean> first = hosts.hold("r0.1");
    CompletableFuture<Boolean> second = hosts.hold("r0.1");
    assertFalse(outcome(hosts.hold("r0.1")), "the third is refused at once");
    assertFalse(outcome(first), "refused after the hold");
    assertFalse(outcome(second));
    assertEquals(0, hosts.held());
  }

  @Test
  void aRangeThatStoppedOnANodeIsNoLongerItsHost() {
    RangeHosts hosts = hosts(Duration.ofMinutes(1), Duration.ofMinutes(1), 10);
    hosts.hosting(A, Set.of("r0.1", "r1.1"));
    hosts.hosting(A, Set.of("r1.1"));
    hosts.unreachable(A);
    assertNull(hosts.hold("r0.1"), "r0.1 stopped on A (passivated or moved)");
    assertNotNull(hosts.hold("r1.1"));
  }
}
