package dev.saerl.workers.correct;

import dev.saerl.core.verify.Verifier;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sampled continuations of completion prefixes, verified against the reference: the estimate of
 * the probability of reaching a correct answer from a prefix. All rollouts of a call run in
 * batches of at most {@code maxBatch}; each rollout's seed depends only on (seed, prefix length,
 * rollout index), so estimates do not depend on batching.
 */
public final class Rollouts {
  private final OnnxGenerator generator;
  private final int maxBatch;

  public Rollouts(OnnxGenerator generator, int maxBatch) {
    this.generator = generator;
    this.maxBatch = maxBatch;
  }

  /** Per prefix, the share of {@code n} rollouts whose full completion verifies. */
  public float[] successRates(String prompt, String reference, int[] tokens, int[] prefixLengths, int n,
                              float temperature, float topP, int maxNewTokens, long seed) {
    List<GenerationRequest> requests = new ArrayList<>();
    for (int len : prefixLengths) {
      for (int i = 0; i < n; i++) {
        requests.add(new GenerationRequest(prompt, Math.max(8, maxNewTokens - len), temperature, topP,
            mix(seed, len, i), Steering.NONE, Arrays.copyOf(tokens, len)));
      }
    }
    List<String> texts = completions(requests);
    float[] rates = new float[prefixLengths.length];
    for (int p = 0; p < prefixLengths.length; p++) {
      int ok = 0;
      for (int i = 0; i < n; i++) {
        ok += Verifier.verify(reference, texts.get(p * n + i)).correct() ? 1 : 0;
      }
      rates[p] = (float) ok / n;
    }
    return rates;
  }

  /** Generates in batches; each text is the forced prefix decoded plus what was sampled after it. */
  public List<String> completions(List<GenerationRequest> requests) {
    List<String> out = new ArrayList<>(requests.size());
    for (GenerationResult r : generate(requests)) {
      out.add(r.text());
    }
    List<String> full = new ArrayList<>(out.size());
    for (int i = 0; i < requests.size(); i++) {
      full.add(generator.tokenizer().decode(requests.get(i).forcedTokens()) + out.get(i));
    }
    return full;
  }

  public List<GenerationResult> generate(List<GenerationRequest> requests) {
    List<GenerationResult> out = new ArrayList<>(requests.size());
    for (int from = 0; from < requests.size(); from += maxBatch) {
      out.addAll(generator.generate(requests.subList(from, Math.min(requests.size(), from + maxBatch))));
    }
    return out;
  }

  /** A well-mixed seed from (seed, a, b): each rollout's and each gate sample's random stream. */
  public static long mix(long seed, long a, long b) {
    long h = seed * 0x9E3779B97F4A7C15L + a * 0xBF58476D1CE4E5B9L + b * 0x94D049BB133111EBL;
    h ^= h >>> 31;
    h *= 0xD6E8FEB86659FD93L;
    return h ^ (h >>> 32);
  }
}
