package dev.logshard.http;

import com.typesafe.config.Config;

/** The {@code logshard.http} settings. */
public record HttpSettings(String host, int port, long maxBatchBody, long maxBodyBytesInFlight,
    int maxRequestsInFlight, int maxTransfersPerMinute, AccessTokens tokens) {

  /** Without tokens (a node on loopback, or a test), with the defaults of the limits. */
  public HttpSettings(String host, int port, long maxBatchBody) {
    this(host, port, maxBatchBody, 256L << 20, 0, 60, AccessTokens.NONE);
  }

  public static HttpSettings create(Config config) {
    Config c = config.getConfig("logshard.http");
    return new HttpSettings(c.getString("host"), c.getInt("port"), c.getBytes("max-batch-body"),
        c.getBytes("max-body-bytes-in-flight"),
        c.getInt("max-requests-in-flight"), config.getInt("logshard.admin.max-transfers-per-minute"),
        AccessTokens.create(config));
  }
}
