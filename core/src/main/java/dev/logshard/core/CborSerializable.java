package dev.logshard.core;

/**
 * Marker for every message, event and snapshot that LogShard persists or sends between nodes.
 * It is bound to Pekko's {@code jackson-cbor} serializer; Java serialization stays off.
 */
public interface CborSerializable {}
