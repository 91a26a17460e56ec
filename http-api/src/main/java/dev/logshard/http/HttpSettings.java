package dev.logshard.http;

import com.typesafe.config.Config;

/** The {@code logshard.http} settings. */
public record HttpSettings(String host, int port, long maxBatchBody, AccessTokens tokens) {

  /** Without tokens (a node on loopback, or a test). */
  public HttpSettings(String host, int port, long maxBatchBody) {
    this(host, port, maxBatchBody, AccessTokens.NONE);
  }

  public static HttpSettings create(Config config) {
    Config c = config.getConfig("logshard.http");
    return new HttpSettings(c.getString("host"), c.getInt("port"), c.getBytes("max-batch-body"),
        AccessTokens.create(config));
  }
}
