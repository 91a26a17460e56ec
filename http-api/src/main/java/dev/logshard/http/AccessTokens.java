package dev.logshard.http;

import com.typesafe.config.Config;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The bearer tokens the API asks for: one for {@code /v1/admin/*} ({@code logshard.admin.token},
 * the environment variable {@code LOGSHARD_ADMIN_TOKEN}, or the file {@code logshard.admin.token-file}),
 * and optionally one for the data endpoints ({@code logshard.http.data-token} / {@code LOGSHARD_DATA_TOKEN}).
 * Compared in constant time; never logged or shown ({@link #toString} hides them).
 */
public final class AccessTokens {

  /** No token asked: a node bound to loopback only. */
  public static final AccessTokens NONE = new AccessTokens(null, null);

  private final byte[] admin;
  private final byte[] data;

  private AccessTokens(byte[] admin, byte[] data) {
    this.admin = admin;
    this.data = data;
  }

  /** For tests and embedding: the given tokens (null or empty: none). */
  public static AccessTokens of(String admin, String data) {
    return new AccessTokens(bytes(admin), bytes(data));
  }

  /**
   * From {@code logshard.admin} and {@code logshard.http}; refuses (IllegalArgumentException) an
   * unreadable or empty token file, and a node bound beyond loopback without an admin token.
   */
  public static AccessTokens create(Config config) {
    Config admin = config.getConfig("logshard.admin");
    String token = admin.getString("token");
    String file = admin.getString("token-file");
    if (token.isEmpty() && !file.isEmpty()) {
      try {
        token = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new IllegalArgumentException("logshard.admin.token-file: cannot read " + file + ": " + e.getMessage(), e);
      }
      if (token.isEmpty()) {
        throw new IllegalArgumentException("logshard.admin.token-file: " + file + " is empty");
      }
    }
    String host = config.getString("logshard.http.host");
    if (token.isEmpty() && !loopback(host)) {
      throw new IllegalArgumentException("logshard.http.host is " + host + ", beyond loopback, and no admin token is set: "
          + "anyone who reaches the port could start transfers and change the planner. Set LOGSHARD_ADMIN_TOKEN "
          + "(or logshard.admin.token / logshard.admin.token-file), or bind to 127.0.0.1");
    }
    return of(token, config.getString("logshard.http.data-token"));
  }

  private static boolean loopback(String host) {
    try {
      for (InetAddress address : InetAddress.getAllByName(host)) {
        if (!address.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("logshard.http.host: unknown host " + host, e);
    }
  }

  private static byte[] bytes(String token) {
    return token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
  }

  /** Whether the admin endpoints ask for a token. */
  public boolean adminProtected() {
    return admin != null;
  }

  /** Whether the data endpoints ask for a token. */
  public boolean dataProtected() {
    return data != null;
  }

  /** Whether {@code presented} (the bearer token sent, if any) is the admin token. */
  boolean admits(Optional<String> presented) {
    return matches(admin, presented);
  }

  /** Whether {@code presented} opens the data endpoints (their token, or the admin one). */
  boolean admitsData(Optional<String> presented) {
    return matches(data, presented) || matches(admin, presented);
  }

  private static boolean matches(byte[] expected, Optional<String> presented) {
    return expected != null && presented.isPresent()
        && MessageDigest.isEqual(expected, presented.get().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "AccessTokens[admin " + (admin == null ? "none" : "set") + ", data " + (data == null ? "none" : "set") + "]";
  }
}
