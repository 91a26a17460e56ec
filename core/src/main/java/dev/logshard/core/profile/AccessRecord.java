package dev.logshard.core.profile;

/**
 * One sampled access, as drained from the {@link AccessLog}.
 *
 * @param timeMillis when it happened (the recorder's clock)
 * @param key the key (the request's own string: recording it allocates nothing)
 * @param keyHash the key's ring position
 * @param kind read or write
 * @param bytes value bytes moved
 * @param clientId who sent it (0 when unknown)
 */
public record AccessRecord(long timeMillis, String key, long keyHash, AccessKind kind, int bytes, int clientId) {}
