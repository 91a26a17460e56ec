package dev.logshard.core.planner;

import dev.logshard.core.KeyRange;
import dev.logshard.core.RangePlacement;
import dev.logshard.core.transfer.TransferRequest;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * A proposal: its rank (lower first), the ranges it takes, and what it would become; its reason
 * is written only if it is chosen (a large map has many proposals, few go ahead).
 */
final class Candidate {
  /** By rank, then the higher priority (the larger gain, unless set), then the first range id. */
  static final Comparator<Candidate> ORDER = (a, b) -> a.rank != b.rank ? Integer.compare(a.rank, b.rank)
      : a.priority != b.priority ? Double.compare(b.priority, a.priority) : a.rangeIds.get(0).compareTo(b.rangeIds.get(0));

  final int rank;
  final List<String> rangeIds;
  TransferRequest request;
  final Supplier<String> reason;
  final double gain;
  final long costBytes;
  double priority;
  String toTier;
  boolean anyTier;
  boolean forced;
  KeyRange mergedHashes;
  /** A relief's move: wanted only while this instance's planned load is above the target. */
  String relieves;
  double reliefTarget;
  /** Tried only if the moves ahead of it could not go (counted nowhere when not needed). */
  boolean fallback;

  Candidate(int rank, List<String> rangeIds, TransferRequest request, Supplier<String> reason, double gain,
      long costBytes) {
    this.rank = rank;
    this.rangeIds = rangeIds;
    this.request = request;
    this.reason = reason;
    this.gain = gain;
    this.costBytes = costBytes;
    this.priority = gain;
  }

  PlannedTransfer planned() {
    return new PlannedTransfer(request, reason.get(), gain, costBytes);
  }

  /** Ordered by {@code priority} (higher first) among proposals of its rank, instead of by gain. */
  Candidate ordered(double priority) {
    this.priority = priority;
    return this;
  }

  Candidate towardTier(String tier) {
    toTier = tier;
    return this;
  }

  /** When {@code anyTier}, a move to another tier if its own has no room. */
  Candidate orAnyTier(boolean anyTier) {
    this.anyTier = anyTier;
    return this;
  }

  /** Asked for by the operator: not held back by cooldown or hysteresis. */
  Candidate forced() {
    forced = true;
    return this;
  }

  /** Wanted only while {@code instance}'s planned requests per second are above {@code target}. */
  Candidate relieving(String instance, double target, boolean fallback) {
    this.relieves = instance;
    this.reliefTarget = target;
    this.fallback = fallback;
    return this;
  }

  Candidate merging(RangePlacement left, RangePlacement right) {
    mergedHashes = new KeyRange(left.range().start(), right.range().last());
    return this;
  }
}
