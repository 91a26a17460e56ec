package dev.logshard.actors.support;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Keeps Pekko's futures off the JDK's default async executor.
 *
 * <p>A stage from Pekko's Java API (an {@code ask}) is Scala's {@code FutureConverters} wrapper,
 * which turns even {@code thenApply} and {@code handle} into their {@code *Async} forms on
 * {@code ForkJoinPool.commonPool()}. On a 2-core machine that pool has parallelism 1 and the JDK
 * then starts a new thread per task: measured here, 13k threads in 10 s and 4k req/s for reads of
 * one key. {@link #adopt} moves the result into a plain {@link CompletableFuture} on the thread that
 * completes it (the replying actor's dispatcher thread), so callers' continuations run there.
 *
 * <p>The same trap is inside Pekko's javadsl {@code ActorContext.ask} and {@code pipeToSelf} with
 * such a stage (measured: one thread per call); actors use message adapters instead.
 */
public final class Stages {

  private static final Executor DIRECT = Runnable::run;

  private Stages() {}

  public static <T> CompletableFuture<T> adopt(CompletionStage<T> pekkoStage) {
    CompletableFuture<T> result = new CompletableFuture<>();
    pekkoStage.whenCompleteAsync((value, failure) -> {
      if (failure != null) {
        result.completeExceptionally(failure);
      } else {
        result.complete(value);
      }
    }, DIRECT);
    return result;
  }
}
