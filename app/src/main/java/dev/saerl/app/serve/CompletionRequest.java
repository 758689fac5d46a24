package dev.saerl.app.serve;

import java.util.List;
import java.util.Objects;

/**
 * One validated request of either endpoint.
 *
 * @param prompt the full text the model continues (for chat, the pack's template around the last user message)
 * @param chat whether the reply is shaped as a chat completion
 * @param temperature 0 for greedy decoding
 * @param stop the caller's stop strings (the pack's own always apply too)
 * @param model the model it asked for (null: the served pack)
 */
public record CompletionRequest(String prompt, boolean chat, int maxTokens, float temperature, float topP, long seed,
                                List<String> stop, boolean stream, Variant variant, String model) {
  public CompletionRequest {
    Objects.requireNonNull(prompt, "prompt");
    stop = List.copyOf(stop);
    variant = variant == null ? Variant.NONE : variant;
  }
}
