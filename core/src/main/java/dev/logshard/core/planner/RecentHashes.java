package dev.logshard.core.planner;

import dev.logshard.core.KeyRange;
import dev.logshard.core.transfer.TransferKind;
import java.math.BigInteger;

/**
 * A recent decision's hashes, first and last (unsigned), parsed once per round; a move that named
 * no log instance moved the range to another node.
 */
record RecentHashes(TransferKind kind, long first, long last, long atMillis, boolean nodeMove) {

  static RecentHashes of(Decision d) {
    long first = Long.parseUnsignedLong(d.start());
    long last = new BigInteger(d.end()).subtract(BigInteger.ONE).longValue(); // end is exclusive, up to 2^64
    return new RecentHashes(d.kind(), first, last, d.atMillis(), d.toInstance() == null);
  }

  boolean overlaps(KeyRange hashes) {
    return Long.compareUnsigned(first, hashes.last()) <= 0 && Long.compareUnsigned(hashes.start(), last) <= 0;
  }
}
