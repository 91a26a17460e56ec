package dev.logshard.core.shard;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.logshard.core.CborSerializable;
import java.util.List;

/** What a RangeShard answers to a Transfer's step. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = TransferReply.Done.class, name = "done"),
  @JsonSubTypes.Type(value = TransferReply.ExportOpened.class, name = "export-opened"),
  @JsonSubTypes.Type(value = TransferReply.ExportChunk.class, name = "export-chunk"),
  @JsonSubTypes.Type(value = TransferReply.LogPosition.class, name = "log-position"),
  @JsonSubTypes.Type(value = TransferReply.Applied.class, name = "applied"),
  @JsonSubTypes.Type(value = TransferReply.Fenced.class, name = "fenced"),
  @JsonSubTypes.Type(value = TransferReply.Refused.class, name = "refused")
})
public sealed interface TransferReply extends CborSerializable {

  /** The RangeShard that answers. */
  String entityId();

  /**
   * An answer that names the step it answers ({@link TransferStep#name}), so a late answer
   * to an earlier step is not taken for the answer to the latest.
   */
  interface NamesStep {
    String step();
  }

  /** The step is done (idempotently: repeating it is done too). */
  record Done(String entityId, String step) implements TransferReply, NamesStep {

    public static Done of(String entityId, TransferStep step) {
      return new Done(entityId, step.name());
    }
  }

  /** A copy of the state at sequence number {@code seqNr} is open for reading. */
  record ExportOpened(String entityId, long seqNr, int keys, long bytes, long lastVersion) implements TransferReply {}

  /**
   * Entries of the open export (the copy at {@code seqNr}); {@code next} is where the next chunk
   * starts.
   */
  record ExportChunk(String entityId, long seqNr, List<Change> entries, int next, boolean last)
      implements TransferReply {}

  /** The source's last sequence number and the reads it redirected. */
  record LogPosition(String entityId, long seqNr, long redirectedReads, long reads) implements TransferReply {}

  /**
   * The source holds writes for the transfer; {@code seqNr} is its final sequence number, {@code tail}
   * the changes of its events from the fence's {@code tailFrom} up to it (null: not kept in memory).
   * A source answers twice: at once, while its fence is being persisted ({@code durable} false: the
   * destinations may apply the tail meanwhile), and once it is persisted (true: only then may the
   * transfer commit, since a source that crashed before would come back unfenced).
   */
  record Fenced(String entityId, long seqNr, List<Change> tail, boolean durable)
      implements TransferReply {}

  /** The destination has applied its source up to {@code seqNr}. */
  record Applied(String entityId, String sourceEntityId, long seqNr, long step) implements TransferReply {}

  /** The step cannot be done here (the reason says why); the saga rolls back. */
  record Refused(String entityId, String step, String reason) implements TransferReply, NamesStep {

    public static Refused of(String entityId, TransferStep step, String reason) {
      return new Refused(entityId, step.name(), reason);
    }
  }
}
