package dev.logshard.actors.coordinator;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code logshard.load-history} settings: the Coordinator's cluster-wide load view and history. */
public record LoadHistorySettings(
    int cells, Duration flushInterval, Duration halfLife, Duration reportExpiry, double seedMinAccesses) {

  public static LoadHistorySettings create(Config config) {
    Config c = config.getConfig("logshard.load-history");
    return new LoadHistorySettings(c.getInt("cells"), c.getDuration("flush-interval"), c.getDuration("half-life"),
        c.getDuration("report-expiry"), c.getDouble("seed-min-accesses"));
  }
}
