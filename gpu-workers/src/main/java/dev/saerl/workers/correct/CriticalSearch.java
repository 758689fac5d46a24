package dev.saerl.workers.correct;

import dev.saerl.schemas.avro.Step;
import java.util.List;

/**
 * Where an incorrect chain goes wrong. First per step: the probability of reaching a correct answer
 * from the prefix before each step (M rollouts each; after the last step it is 0, the chain being
 * wrong); the critical step is the one whose inclusion lowers it most. Then inside that step, the
 * same from the prefix before each of its tokens (fewer rollouts, at most {@code maxPositions}
 * evenly spaced positions); the critical token is the one whose inclusion lowers it most.
 * After "Critical Tokens Matter" (arXiv 2411.19943); see docs/corrections.md for the differences.
 */
public final class CriticalSearch {
  /**
   * @param stepEstimates per step k, the success rate from the prefix before step k
   * @param tokenPositions the searched token indices inside the critical step (the step's first token included)
   * @param tokenEstimates per searched position, the success rate from the prefix before it
   * @param criticalToken generated-token index of the critical token
   */
  public record Result(float[] stepEstimates, int criticalStep, int[] tokenPositions, float[] tokenEstimates,
                       int criticalToken, int rollouts) {}

  public record Budget(int stepRollouts, int tokenRollouts, int maxPositions) {}

  private CriticalSearch() {}

  public static Result find(Rollouts rollouts, String prompt, String reference, int[] tokens, List<Step> steps,
                            Budget budget, float temperature, float topP, int maxNewTokens, long seed) {
    int s = steps.size();
    if (s == 0 || tokens.length == 0) {
      throw new IllegalArgumentException("a chain without steps or tokens has nothing to search");
    }
    int[] stepStarts = new int[s];
    for (int k = 0; k < s; k++) {
      stepStarts[k] = Math.min(tokens.length, Math.max(0, steps.get(k).getTokenStart()));
    }
    float[] p = rollouts.successRates(prompt, reference, tokens, stepStarts, budget.stepRollouts(), temperature, topP,
        maxNewTokens, seed);
    int critical = 0;
    float best = Float.NEGATIVE_INFINITY;
    for (int k = 0; k < s; k++) {
      float drop = p[k] - (k + 1 < s ? p[k + 1] : 0f);
      if (drop > best) {
        best = drop;
        critical = k;
      }
    }
    int start = stepStarts[critical];
    int end = Math.max(start + 1, Math.min(tokens.length, steps.get(critical).getTokenEnd()));
    float after = critical + 1 < s ? p[critical + 1] : 0f;
    // positions start+1 .. end-1 (the prefix before `start` is p[critical], already known)
    int inner = end - start - 1;
    int count = Math.min(inner, Math.max(0, budget.maxPositions() - 1));
    int[] searched = new int[count];
    for (int i = 0; i < count; i++) {
      searched[i] = start + 1 + (int) ((long) i * inner / count);
    }
    float[] q = count == 0 ? new float[0] : rollouts.successRates(prompt, reference, tokens, searched,
        budget.tokenRollouts(), temperature, topP, maxNewTokens, seed + 1);
    int[] positions = new int[count + 1];
    float[] estimates = new float[count + 1];
    positions[0] = start;
    estimates[0] = p[critical];
    System.arraycopy(searched, 0, positions, 1, count);
    System.arraycopy(q, 0, estimates, 1, count);
    int token = start;
    float drop = Float.NEGATIVE_INFINITY;
    for (int i = 0; i <= count; i++) {
      float next = i < count ? estimates[i + 1] : after;
      if (estimates[i] - next > drop) {
        drop = estimates[i] - next;
        token = positions[i];
      }
    }
    int used = s * budget.stepRollouts() + count * budget.tokenRollouts();
    return new Result(p, critical, positions, estimates, token, used);
  }
}
