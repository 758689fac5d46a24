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
 * rollout index), so estimates do not depend on batching, and rollout i of a prefix is the same
 * whether it is drawn in one call or over several.
 */
public final class Rollouts {
  /**
   * One rollout from a prefix of the chain.
   *
   * @param correct whether the prefix plus what was sampled verifies
   * @param sampledTokens the tokens it sampled after the prefix (the stop string's tokens not counted,
   *     as in {@link GenerationResult#tokens()})
   * @param agreement how many of them, from the first on, repeat the chain's own next tokens: the
   *     rollout is also a rollout from each of the {@code agreement} longer prefixes it passed through
   */
  public record Outcome(boolean correct, int sampledTokens, int agreement) {}

  /** Per prefix, the share of rollouts that verify, and the tokens all of them sampled. */
  public record Rates(float[] rates, long sampledTokens) {}

  private final OnnxGenerator generator;
  private final int maxBatch;

  public Rollouts(OnnxGenerator generator, int maxBatch) {
    this.generator = generator;
    this.maxBatch = maxBatch;
  }

  /** Per prefix, the share of {@code n} rollouts whose full completion verifies; all prefixes' rollouts in one batch. */
  public Rates successRates(String prompt, String reference, int[] tokens, int[] prefixLengths, int n,
                            float temperature, float topP, int maxNewTokens, long seed) {
    List<GenerationRequest> requests = new ArrayList<>();
    for (int len : prefixLengths) {
      requests.addAll(requests(prompt, tokens, len, 0, n, temperature, topP, maxNewTokens, seed));
    }
    List<GenerationResult> results = generate(requests);
    float[] rates = new float[prefixLengths.length];
    long sampled = 0;
    for (int p = 0; p < prefixLengths.length; p++) {
      String prefixText = generator.tokenizer().decode(Arrays.copyOf(tokens, prefixLengths[p]));
      int ok = 0;
      for (int i = 0; i < n; i++) {
        Outcome o = outcome(reference, tokens, prefixLengths[p], prefixText, results.get(p * n + i));
        ok += o.correct() ? 1 : 0;
        sampled += o.sampledTokens();
      }
      rates[p] = (float) ok / n;
    }
    return new Rates(rates, sampled);
  }

  /**
   * Rollouts {@code first .. first + n - 1} from the prefix of {@code prefixLength} tokens, in one
   * batch (or several, past {@code maxBatch}).
   */
  public List<Outcome> sample(String prompt, String reference, int[] tokens, int prefixLength, int first, int n,
                              float temperature, float topP, int maxNewTokens, long seed) {
    List<GenerationResult> results = generate(requests(prompt, tokens, prefixLength, first, n, temperature, topP,
        maxNewTokens, seed));
    String prefixText = generator.tokenizer().decode(Arrays.copyOf(tokens, prefixLength));
    List<Outcome> out = new ArrayList<>(n);
    for (GenerationResult r : results) {
      out.add(outcome(reference, tokens, prefixLength, prefixText, r));
    }
    return out;
  }

  private static List<GenerationRequest> requests(String prompt, int[] tokens, int prefixLength, int first, int n,
                                                  float temperature, float topP, int maxNewTokens, long seed) {
    int[] prefix = Arrays.copyOf(tokens, prefixLength);
    List<GenerationRequest> out = new ArrayList<>(n);
    for (int i = first; i < first + n; i++) {
      out.add(new GenerationRequest(prompt, Math.max(8, maxNewTokens - prefixLength), temperature, topP,
          mix(seed, prefixLength, i), Steering.NONE, prefix));
    }
    return out;
  }

  private static Outcome outcome(String reference, int[] tokens, int prefixLength, String prefixText, GenerationResult r) {
    int[] sampled = r.tokens();
    int agree = 0;
    while (agree < sampled.length && prefixLength + agree < tokens.length && sampled[agree] == tokens[prefixLength + agree]) {
      agree++;
    }
    return new Outcome(Verifier.verify(reference, prefixText + r.text()).correct(), sampled.length, agree);
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
