package dev.logshard.http;

import com.typesafe.config.Config;

/** The {@code logshard.http} settings. */
public record HttpSettings(String host, int port, long maxBatchBody) {

  public static HttpSettings create(Config config) {
    Config c = config.getConfig("logshard.http");
    return new HttpSettings(c.getString("host"), c.getInt("port"), c.getBytes("max-batch-body"));
  }
}
