package dev.saerl.app.serve;

import java.util.List;

/**
 * A finished reply.
 *
 * @param finishReason "stop" (a stop string or the end of sequence) or "length" (max_tokens)
 * @param features per completion token, its hook-layer SAE features; empty unless asked for
 */
public record Completion(String text, String finishReason, int promptTokens, int completionTokens, List<TokenFeatures> features) {
  public Completion {
    features = List.copyOf(features);
  }

  /** One completion token's text and its active SAE features at the hook layer, strongest first. */
  public record TokenFeatures(String token, int[] ids, float[] activations) {}
}
