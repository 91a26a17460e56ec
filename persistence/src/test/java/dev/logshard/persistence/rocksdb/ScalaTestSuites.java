package dev.logshard.persistence.rocksdb;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.scalatest.Args;
import org.scalatest.ConfigMap$;
import org.scalatest.Filter;
import org.scalatest.Filter$;
import org.scalatest.Status;
import org.scalatest.Stopper;
import org.scalatest.Suite;
import org.scalatest.Tracker;
import org.scalatest.Tracker$;
import org.scalatest.events.SuiteAborted;
import org.scalatest.events.TestFailed;
import org.scalatest.events.TestSucceeded;
import scala.Option;

/** Runs a ScalaTest suite (Pekko's plugin compliance specs) inside a JUnit test, failing it with the suite. */
final class ScalaTestSuites {

  private ScalaTestSuites() {}

  /** Runs {@code suite}; fails if any of its tests fails or it aborts, or if fewer than {@code atLeast} pass. */
  static void assertPasses(Suite suite, int atLeast) {
    List<String> failures = new ArrayList<>();
    List<String> passed = new ArrayList<>();
    Args args = new Args(event -> {
      if (event instanceof TestFailed failed) {
        failures.add(failed.testName() + ": " + failed.message()
            + (failed.throwable().isDefined() ? " (" + failed.throwable().get() + ")" : ""));
      } else if (event instanceof SuiteAborted aborted) {
        failures.add("aborted: " + aborted.message());
      } else if (event instanceof TestSucceeded succeeded) {
        passed.add(succeeded.testName());
      }
    }, new NeverStop(), filter(), ConfigMap$.MODULE$.empty(), Option.empty(),
        new Tracker(Tracker$.MODULE$.$lessinit$greater$default$1()), scala.collection.immutable.Set$.MODULE$.empty(),
        false, Option.empty(), Option.empty());
    Status status = suite.run(Option.empty(), args);
    status.waitUntilCompleted();
    assertTrue(failures.isEmpty(), String.join("\n", failures));
    assertTrue(passed.size() >= atLeast, "only " + passed.size() + " tests passed: " + passed);
  }

  /** ScalaTest's default filter (its {@code default} is a Java keyword). */
  private static Filter filter() {
    Filter$ f = Filter$.MODULE$;
    return f.apply(f.apply$default$1(), f.apply$default$2(), f.apply$default$3(), f.apply$default$4());
  }

  private static final class NeverStop implements Stopper {
    @Override
    public boolean stopRequested() {
      return false;
    }

    @Override
    public void requestStop() {}
  }
}
