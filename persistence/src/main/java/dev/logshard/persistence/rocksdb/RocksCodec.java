package dev.logshard.persistence.rocksdb;

import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.serialization.Snapshot;
import org.apache.pekko.serialization.Serialization;

/**
 * How events and snapshots are stored as bytes in a RocksDB log instance: Pekko's own serializers
 * for {@code PersistentRepr} and {@code Snapshot} (so any event or state the actor system can
 * serialize can be stored). The one place the journal, snapshot store, queries and the migration
 * share. Failures are thrown as they are (a serializer's exception).
 */
final class RocksCodec {

  private final Serialization serialization;

  RocksCodec(Serialization serialization) {
    this.serialization = serialization;
  }

  byte[] event(PersistentRepr repr) {
    return serialization.serialize(repr).get();
  }

  PersistentRepr event(byte[] stored) {
    return serialization.deserialize(stored, PersistentRepr.class).get();
  }

  byte[] snapshot(Object data) {
    return serialization.serialize(new Snapshot(data)).get();
  }

  Object snapshotData(byte[] stored) {
    return serialization.deserialize(stored, Snapshot.class).get().data();
  }
}
