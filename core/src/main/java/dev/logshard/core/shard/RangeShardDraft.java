package dev.logshard.core.shard;

import dev.logshard.core.KeyRange;
import dev.logshard.core.shard.RangeShardEvent.ValueDeleted;
import dev.logshard.core.shard.RangeShardEvent.ValuePut;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides one or more operations against a state without changing it: each operation sees the
 * effect of the ones before it, and the draft collects the events to persist. Plain Java, so
 * the rules of a put, delete or compare-and-set live in one place for single commands and batches.
 */
public final class RangeShardDraft {

  private static final RangeShardState.Versioned DELETED = new RangeShardState.Versioned(null, 0);

  private final RangeShardState state;
  private final KeyRange range;
  private final String entityId;
  private long lastVersion;
  private Map<String, RangeShardState.Versioned> overlay;
  private List<RangeShardEvent> events;

  public RangeShardDraft(RangeShardState state, KeyRange range, String entityId) {
    this.state = state;
    this.range = range;
    this.entityId = entityId;
    this.lastVersion = state.lastVersion();
  }

  public List<RangeShardEvent> events() {
    return events == null ? List.of() : events;
  }

  public KvReply apply(Operation op) {
    if (!range.contains(op.key())) {
      return new KvReply.WrongRange(entityId, 0);
    }
    RangeShardState.Versioned current = current(op.key());
    long currentVersion = current == null ? 0 : current.version();
    switch (op.kind()) {
      case GET:
        return current == null ? new KvReply.NotFound() : new KvReply.Value(current.value(), current.version());
      case PUT: {
        if (!op.expect().matches(currentVersion)) {
          return new KvReply.PreconditionFailed(currentVersion);
        }
        long version = ++lastVersion;
        record(op.key(), new RangeShardState.Versioned(op.value(), version), new ValuePut(op.key(), op.value(), version));
        return new KvReply.Written(version, current == null);
      }
      case DELETE: {
        if (!op.expect().matches(currentVersion)) {
          return new KvReply.PreconditionFailed(currentVersion);
        }
        if (current == null) {
          return new KvReply.NotFound();
        }
        long version = ++lastVersion;
        record(op.key(), DELETED, new ValueDeleted(op.key(), version));
        return new KvReply.Deleted(version);
      }
      default:
        throw new IllegalStateException("unknown operation " + op.kind());
    }
  }

  private RangeShardState.Versioned current(String key) {
    if (overlay != null) {
      RangeShardState.Versioned drafted = overlay.get(key);
      if (drafted != null) {
        return drafted == DELETED ? null : drafted;
      }
    }
    return state.get(key);
  }

  private void record(String key, RangeShardState.Versioned drafted, RangeShardEvent event) {
    if (events == null) {
      events = new ArrayList<>(2);
      overlay = new HashMap<>();
    }
    overlay.put(key, drafted);
    events.add(event);
  }
}
