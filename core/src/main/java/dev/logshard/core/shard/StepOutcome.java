package dev.logshard.core.shard;

/**
 * What a RangeShard does with a {@link TransferStep}: the event to persist (null: none), the answer
 * once it is persisted (or at once when there is none; null: no answer now), an answer to send
 * right away before persisting ({@code early}), whether the writes a fence held are handled
 * afterwards, whether the generation stops, and a step it sends itself next (with the same
 * address to answer to).
 */
public record StepOutcome(RangeShardEvent event, Answer answer, TransferReply early, boolean releasesHeld,
    boolean stops, TransferStep next) {

  /** The answer to a step, given the state after its event and the generation's last sequence number. */
  @FunctionalInterface
  public interface Answer {
    TransferReply of(RangeShardState after, long lastSeqNr);
  }

  static StepOutcome answer(TransferReply reply) {
    return new StepOutcome(null, (after, lastSeqNr) -> reply, null, false, false, null);
  }

  static StepOutcome persist(RangeShardEvent event, Answer answer) {
    return new StepOutcome(event, answer, null, false, false, null);
  }

  StepOutcome releasingHeld() {
    return new StepOutcome(event, answer, early, true, stops, next);
  }
}
