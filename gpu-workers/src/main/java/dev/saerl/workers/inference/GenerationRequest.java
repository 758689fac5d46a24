package dev.saerl.workers.inference;

import java.util.Objects;

/**
 * One sequence to generate.
 *
 * @param prompt the full prompt text (template already applied)
 * @param temperature 0 for greedy decoding
 * @param topP nucleus mass in (0, 1]; 1 disables it
 * @param seed this row's sampling seed: the same request gives the same tokens in any batch
 * @param forcedTokens tokens fed after the prompt before sampling starts (a prefix of an earlier
 *     completion, for rollouts and regeneration); they count as prompt in the result, and
 *     {@code maxNewTokens} counts only what is sampled after them
 * @param forbiddenFirst a token the first sampled token may not be (its logit is set to minus infinity there),
 *     or -1 for none: a resample that must leave the original chain at once
 */
public record GenerationRequest(String prompt, int maxNewTokens, float temperature, float topP, long seed, Steering steering,
                                int[] forcedTokens, int forbiddenFirst) {
  public GenerationRequest(String prompt, int maxNewTokens, float temperature, float topP, long seed, Steering steering) {
    this(prompt, maxNewTokens, temperature, topP, seed, steering, new int[0]);
  }

  public GenerationRequest(String prompt, int maxNewTokens, float temperature, float topP, long seed, Steering steering,
                           int[] forcedTokens) {
    this(prompt, maxNewTokens, temperature, topP, seed, steering, forcedTokens, -1);
  }

  public GenerationRequest {
    Objects.requireNonNull(prompt, "prompt");
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("maxNewTokens must be at least 1, got " + maxNewTokens);
    }
    if (temperature < 0 || !(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("temperature must be >= 0 and topP in (0, 1], got " + temperature + ", " + topP);
    }
    steering = steering == null ? Steering.NONE : steering;
    forcedTokens = forcedTokens == null ? new int[0] : forcedTokens.clone();
  }

  public static GenerationRequest greedy(String prompt, int maxNewTokens) {
    return new GenerationRequest(prompt, maxNewTokens, 0f, 1f, 0L, Steering.NONE);
  }

  public GenerationRequest withSteering(Steering s) {
    return new GenerationRequest(prompt, maxNewTokens, temperature, topP, seed, s, forcedTokens, forbiddenFirst);
  }

  /** The same request continuing after {@code tokens}. */
  public GenerationRequest continuing(int[] tokens) {
    return new GenerationRequest(prompt, maxNewTokens, temperature, topP, seed, steering, tokens, forbiddenFirst);
  }
}
