package dev.logshard.http;

import com.typesafe.config.Config;

/** The {@code logshard.http} settings. */
public record HttpSettings(String host, int port, long maxBatchBody, long maxBodyBytesInFlight, AccessTokens tokens) {

  /** Without tokens (a node on loopback, or a test), with the default 256 MiB of bodies in flight. */
  public HttpSettings(String host, int port, long maxBatchBody) {
    this(host, port, maxBatchBody, 256L << 20, AccessTokens.NONE);
  }

  public static HttpSettings create(Config config) {
    Config c = config.getConfig("logshard.http");
    return new HttpSettings(c.getString("host"), c.getInt("port"), c.getBytes("max-batch-body"),
        c.getBytes("max-body-bytes-in-flight"), AccessTokens.create(config));
  }
}
