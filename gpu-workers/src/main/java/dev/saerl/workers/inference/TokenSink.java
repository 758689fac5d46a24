package dev.saerl.workers.inference;

/**
 * Sees each token a row of a batch keeps, as it is sampled: for streaming, and for stop conditions
 * the generator does not know (a caller's own stop strings). Called on the generating thread.
 */
@FunctionalInterface
public interface TokenSink {
  TokenSink NONE = (row, token) -> true;

  /**
   * Row {@code row} (the request's index in the batch) has kept {@code token}; return false to end
   * the row here (the token stays in its result, finish reason STOP, without its hook residual:
   * it is never fed). Tokens that make one of the
   * pack's stop strings are not shown: the row ends without them.
   */
  boolean next(int row, int token);
}
