package dev.logshard.core.planner;

import dev.logshard.core.transfer.TransferRequest;

/**
 * A transfer the planner proposes: the request, why ({@code reason}, for the journal and the admin
 * API), what it should gain (requests per second taken off where they are too many, or served on
 * the right tier) and what it costs (bytes to copy).
 */
public record PlannedTransfer(TransferRequest request, String reason, double expectedGain, long costBytes) {}
