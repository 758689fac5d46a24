package dev.saerl.workers.pack;

import java.util.List;

/**
 * The pack's SAE: its kind, sizes, files and identity.
 *
 * @param kind relu, jumprelu (ReLU where the pre-activation exceeds a per-feature threshold) or
 *     topk (the k largest ReLU activations)
 * @param inputMinusBDec whether the encoder reads {@code x - b_dec} (SAELens'
 *     apply_b_dec_to_input, sparsify, saerl's own SAEs) or {@code x} (Goodfire, Gemma Scope)
 */
public record SaeSpec(String kind, int dIn, int features, int k, boolean inputMinusBDec, String encodeFile, String decodeFile,
                      String weightsFile, String id) {
  public static final List<String> KINDS = List.of("relu", "jumprelu", "topk");

  public boolean topK() {
    return kind.equals("topk");
  }

  public boolean jumpRelu() {
    return kind.equals("jumprelu");
  }
}
