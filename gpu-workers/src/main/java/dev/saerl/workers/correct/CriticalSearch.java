package dev.saerl.workers.correct;

import dev.saerl.schemas.avro.Step;
import java.util.List;
import java.util.Locale;

/**
 * Where an incorrect chain goes wrong: the critical step and, inside it, the critical token, from
 * the probability of reaching a correct answer from prefixes of the chain (sampled rollouts).
 * After "Critical Tokens Matter" (arXiv 2411.19943); see docs/corrections.md for the differences.
 *
 * <p>Three methods ({@link Method}). {@code GRID}, the reference: M rollouts from the prefix before
 * every step (after the last step the estimate is 0, the chain being wrong); the critical step is the
 * one whose inclusion lowers it most; then inside that step the same from the prefix before at most
 * {@code maxPositions} evenly spaced tokens with fewer rollouts; the critical token is the one whose
 * inclusion lowers it most. {@code ADAPTIVE}: see {@link AdaptiveCriticalSearch}.
 * {@code CHECKED}: the step from exact step checking where the chain allows it, the token by the
 * adaptive search.
 */
public final class CriticalSearch {
  /** How the critical step and token are searched. */
  public enum Method {
    /** Rollouts from every step prefix, then from evenly spaced token prefixes in the critical step. */
    GRID,
    /** A scan of the step prefixes, then a bisection of the critical step's token prefixes, sequential rollouts. */
    ADAPTIVE,
    /**
     * The critical step is the chain's first wrong arithmetic step, checked exactly
     * ({@link CheckedSteps}), where it has one; otherwise as ADAPTIVE. The token as ADAPTIVE.
     */
    CHECKED;

    /** The method named {@code name} (any case), or an error listing the names. */
    public static Method named(String name) {
      for (Method m : values()) {
        if (m.name().equals(name.toUpperCase(Locale.ROOT))) {
          return m;
        }
      }
      throw new IllegalArgumentException("critical search " + name + ": expected grid, adaptive or checked");
    }
  }

  /**
   * @param stepEstimates per step k, the success rate from the prefix before step k (NaN where a
   *     search did not roll it out)
   * @param tokenPositions the searched token indices inside the critical step (GRID: the step's first
   *     token included; ADAPTIVE, CHECKED: every position some rollout counted for)
   * @param tokenEstimates per searched position, the success rate from the prefix before it
   * @param criticalToken generated-token index of the critical token
   * @param rollouts rollouts drawn
   * @param generatedTokens tokens those rollouts sampled (prefixes not counted): the search's cost
   * @param located whether the search found a drop: the estimate before the critical token is above
   *     the one after it (GRID: the critical step lowers the estimate; ADAPTIVE: a rollout from just
   *     before the critical token verified)
   */
  public record Result(float[] stepEstimates, int criticalStep, int[] tokenPositions, float[] tokenEstimates,
                       int criticalToken, int rollouts, long generatedTokens, boolean located) {}

  /** GRID's budget: rollouts per step prefix, per token prefix, and the most token positions searched. */
  public record Budget(int stepRollouts, int tokenRollouts, int maxPositions) {
    public Budget {
      if (stepRollouts < 1 || tokenRollouts < 1 || maxPositions < 1) {
        throw new IllegalArgumentException("grid budget: step rollouts, token rollouts and positions must be at least 1, got "
            + stepRollouts + ", " + tokenRollouts + ", " + maxPositions);
      }
    }

    /** The corrector's default: 4 rollouts per step, 2 per token, 6 positions. */
    public static Budget defaults() {
      return new Budget(4, 2, 6);
    }
  }

  /** The method and the budgets of the grid and of the adaptive search (each used by its method). */
  public record Settings(Method method, Budget grid, AdaptiveCriticalSearch.Budget adaptive) {
    /**
     * The corrector's default, still GRID: on the mode organism's ground truth ADAPTIVE found the
     * first wrong token two to three times as often at under a third of the grid's generated tokens,
     * but the first wrong step only about as often (ahead on two sample sets, one chain behind on
     * two; docs/benchmarks.md, "Critical search"), not at least as often everywhere.
     */
    public static Settings defaults() {
      return of(Method.GRID);
    }

    public static Settings of(Method method) {
      return new Settings(method, Budget.defaults(), AdaptiveCriticalSearch.Budget.defaults());
    }

    /** The grid with this budget. */
    public static Settings grid(Budget budget) {
      return new Settings(Method.GRID, budget, AdaptiveCriticalSearch.Budget.defaults());
    }
  }

  private CriticalSearch() {}

  /**
   * Searches one chain.
   *
   * @param completion the chain's text (the steps' character spans index it): CHECKED reads its steps
   */
  public static Result find(Settings settings, Rollouts rollouts, String prompt, String reference, String completion,
                            int[] tokens, List<Step> steps, float temperature, float topP, int maxNewTokens, long seed) {
    if (steps.isEmpty() || tokens.length == 0) {
      throw new IllegalArgumentException("a chain without steps or tokens has nothing to search");
    }
    return switch (settings.method()) {
      case GRID -> grid(rollouts, prompt, reference, tokens, steps, settings.grid(), temperature, topP, maxNewTokens, seed);
      case ADAPTIVE -> new AdaptiveCriticalSearch(rollouts, settings.adaptive(), prompt, reference, tokens, temperature, topP,
          maxNewTokens, seed).find(steps, -1);
      case CHECKED -> new AdaptiveCriticalSearch(rollouts, settings.adaptive(), prompt, reference, tokens, temperature, topP,
          maxNewTokens, seed).find(steps, CheckedSteps.firstWrong(completion, steps));
    };
  }

  /** Each step prefix's first token index, clamped into the chain. */
  static int[] stepStarts(int[] tokens, List<Step> steps) {
    int[] starts = new int[steps.size()];
    for (int k = 0; k < starts.length; k++) {
      starts[k] = Math.min(tokens.length, Math.max(0, steps.get(k).getTokenStart()));
    }
    return starts;
  }

  /** One past step k's last token, at least one past its first, clamped into the chain. */
  static int stepEnd(int[] tokens, List<Step> steps, int k, int start) {
    return Math.max(start + 1, Math.min(tokens.length, steps.get(k).getTokenEnd()));
  }

  private static Result grid(Rollouts rollouts, String prompt, String reference, int[] tokens, List<Step> steps,
                             Budget budget, float temperature, float topP, int maxNewTokens, long seed) {
    int s = steps.size();
    int[] stepStarts = stepStarts(tokens, steps);
    Rollouts.Rates stepRates = rollouts.successRates(prompt, reference, tokens, stepStarts, budget.stepRollouts(), temperature,
        topP, maxNewTokens, seed);
    float[] p = stepRates.rates();
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
    int end = stepEnd(tokens, steps, critical, start);
    float after = critical + 1 < s ? p[critical + 1] : 0f;
    // positions start+1 .. end-1 (the prefix before `start` is p[critical], already known)
    int inner = end - start - 1;
    int count = Math.min(inner, Math.max(0, budget.maxPositions() - 1));
    int[] searched = new int[count];
    for (int i = 0; i < count; i++) {
      searched[i] = start + 1 + (int) ((long) i * inner / count);
    }
    Rollouts.Rates tokenRates = count == 0 ? new Rollouts.Rates(new float[0], 0) : rollouts.successRates(prompt, reference,
        tokens, searched, budget.tokenRollouts(), temperature, topP, maxNewTokens, seed + 1);
    float[] q = tokenRates.rates();
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
    return new Result(p, critical, positions, estimates, token, used, stepRates.sampledTokens() + tokenRates.sampledTokens(),
        best > 0);
  }
}
