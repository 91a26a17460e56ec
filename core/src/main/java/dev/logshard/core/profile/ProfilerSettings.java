package dev.logshard.core.profile;

import com.typesafe.config.Config;
import dev.logshard.core.ShardMap;
import dev.logshard.core.profile.AccessLog;
import dev.logshard.core.profile.AccessRecorder;
import java.time.Duration;
import java.util.Optional;

/** The {@code logshard.profiler} settings. */
public record ProfilerSettings(
    boolean enabled,
    int sampleEvery,
    int accessLogCapacity,
    Duration tick,
    int trendWindow,
    double anomalyZ,
    int profileWindow) {

  public static ProfilerSettings create(Config config) {
    Config c = config.getConfig("logshard.profiler");
    return new ProfilerSettings(c.getBoolean("enabled"), c.getInt("sample-every"), c.getInt("access-log-capacity"),
        c.getDuration("tick"), c.getInt("trend-window"), c.getDouble("anomaly-z"), c.getInt("profile-window"));
  }

  /** The request path's recorder for {@code map}, when the profiler is on. */
  public Optional<AccessRecorder> recorder(ShardMap map) {
    return enabled
        ? Optional.of(new AccessRecorder(map, new AccessLog(accessLogCapacity), sampleEvery, System::currentTimeMillis))
        : Optional.empty();
  }
}
