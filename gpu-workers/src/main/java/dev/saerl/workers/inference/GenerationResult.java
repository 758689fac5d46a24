package dev.saerl.workers.inference;

/**
 * A finished sequence.
 *
 * @param promptTokens the prompt's token ids (with BOS when the pack adds one)
 * @param tokens generated token ids, without the stop string
 * @param text the decoded completion, cut before the stop string
 * @param hookResiduals per generated token, the hook-layer residual at its position [n][d_model]
 * @param batchNanos wall time of the whole batch this row was part of
 */
public record GenerationResult(int[] promptTokens, int[] tokens, String text, FinishReason finishReason,
                               float[][] hookResiduals, long batchNanos, int batchGeneratedTokens) {
  public enum FinishReason { STOP, LENGTH }

  /** Generated tokens per second of the batch as a whole. */
  public double batchTokensPerSecond() {
    return batchNanos == 0 ? 0 : batchGeneratedTokens * 1e9 / batchNanos;
  }
}
