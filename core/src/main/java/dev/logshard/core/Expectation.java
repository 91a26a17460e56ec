package dev.logshard.core;

/**
 * A write's precondition on the key's current version (compare-and-set). Versions start at 1;
 * a missing key has version 0.
 *
 * @param kind what is expected
 * @param version the exact version expected, when {@code kind} is {@link Kind#VERSION}
 */
public record Expectation(Kind kind, long version) implements CborSerializable {

  public enum Kind {
    /** No precondition. */
    ANY,
    /** The key must not exist ({@code If-None-Match: *}). */
    ABSENT,
    /** The key must exist, at any version ({@code If-Match: *}). */
    PRESENT,
    /** The key must exist at exactly {@code version} ({@code If-Match: "version"}). */
    VERSION
  }

  private static final Expectation ANY = new Expectation(Kind.ANY, 0);
  private static final Expectation ABSENT = new Expectation(Kind.ABSENT, 0);
  private static final Expectation PRESENT = new Expectation(Kind.PRESENT, 0);

  public Expectation {
    if (kind == Kind.VERSION && version < 1) {
      throw new IllegalArgumentException("an expected version must be >= 1, was " + version);
    }
  }

  public static Expectation any() {
    return ANY;
  }

  public static Expectation absent() {
    return ABSENT;
  }

  public static Expectation present() {
    return PRESENT;
  }

  public static Expectation version(long version) {
    return new Expectation(Kind.VERSION, version);
  }

  /** Whether a key whose current version is {@code currentVersion} (0 = missing) satisfies it. */
  public boolean matches(long currentVersion) {
    return switch (kind) {
      case ANY -> true;
      case ABSENT -> currentVersion == 0;
      case PRESENT -> currentVersion != 0;
      case VERSION -> currentVersion == version;
    };
  }
}
