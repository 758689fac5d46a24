package dev.saerl.workers.correct;

import dev.saerl.schemas.avro.Step;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The critical step and token of a wrong chain, drawing rollouts only where a decision needs them.
 * The success curve of a wrong chain ends at exactly 0 and, on chains that go wrong at one step,
 * stays near its earlier level until the step that dooms it and near 0 after: the drop is at the
 * last prefix from which the answer can still be reached. The search scans the step prefixes from
 * the left for the first dead one (the chain's end known dead), then bisects over the token
 * prefixes of the step before it (its end taken as dead, the next step's prefix being so).
 *
 * <p>A probe is decided sequentially, {@code roundRollouts} rollouts at a time: the first that
 * verifies proves the prefix alive (its success rate is above 0) and stops the probe. It is called
 * dead after k failures without a success, k the fewest for which a prefix still at the success
 * rate of the alive prefix before it would fail them all with probability at most {@code missRate}
 * (that rate shrunk as successes / (trials + 1); a fair coin where nothing was rolled out there), k
 * from 2 to {@code maxFailures}: a clearly alive neighbour needs two failures, a doubtful one more.
 * When the last alive step prefix was proven on a minority of successes, the error may only have
 * made the answer unlikely there; both it and the step prefix before get a few more rollouts and
 * the larger drop decides ({@link #largestDrop}).
 *
 * <p>Every rollout also counts for the longer prefixes it passed through: one that repeated the
 * chain's next j tokens is a rollout from each of those j prefixes too (the same continuation
 * distribution, an independent seed), so the token probes before the error often need no new
 * rollouts. One search object serves one chain.
 */
public final class AdaptiveCriticalSearch {
  /**
   * @param roundRollouts rollouts drawn at a time at one prefix
   * @param maxFailures the most failures, without a success, before a prefix is called dead
   * @param missRate how likely a prefix at the alive level before it may fail every rollout drawn
   *     before it is called dead
   */
  public record Budget(int roundRollouts, int maxFailures, double missRate) {
    public Budget {
      if (roundRollouts < 1 || maxFailures < 2 || !(missRate > 0 && missRate < 1)) {
        throw new IllegalArgumentException("adaptive budget: round rollouts must be at least 1, max failures at least 2 and "
            + "the miss rate in (0, 1), got " + roundRollouts + ", " + maxFailures + ", " + missRate);
      }
    }

    public static Budget defaults() {
      return new Budget(1, 8, 0.2);
    }

    /**
     * Failures that call a prefix dead when the alive prefix before it succeeds at {@code level}:
     * the fewest k with (1 - level)^k at most the miss rate, from 2 to {@code maxFailures}.
     */
    int failuresToDecide(double level) {
      int k = (int) Math.ceil(Math.log(missRate) / Math.log(1 - Math.min(level, 0.999)));
      return Math.max(2, Math.min(maxFailures, k));
    }
  }

  /** The alive level assumed before any rollout from the alive side (a fair coin): 4 failures at a 0.1 miss rate. */
  static final double UNKNOWN_LEVEL = 0.5;

  /** One rollout, placed: it started at {@code start} and repeated the chain through prefix {@code start + agreement}. */
  private record Drawn(int start, int agreement, boolean correct) {}

  private record Tally(int successes, int trials) {}

  private final Rollouts rollouts;
  private final Budget budget;
  private final String prompt;
  private final String reference;
  private final int[] tokens;
  private final float temperature;
  private final float topP;
  private final int maxNewTokens;
  private final long seed;
  private final List<Drawn> drawn = new ArrayList<>();
  private final Map<Integer, Integer> drawnAt = new HashMap<>();
  private long sampledTokens;

  AdaptiveCriticalSearch(Rollouts rollouts, Budget budget, String prompt, String reference, int[] tokens, float temperature,
                         float topP, int maxNewTokens, long seed) {
    this.rollouts = rollouts;
    this.budget = budget;
    this.prompt = prompt;
    this.reference = reference;
    this.tokens = tokens;
    this.temperature = temperature;
    this.topP = topP;
    this.maxNewTokens = maxNewTokens;
    this.seed = seed;
  }

  /**
   * @param knownStep the critical step when it is known without rollouts (exact step checking), or
   *     -1 to search for it
   */
  CriticalSearch.Result find(List<Step> steps, int knownStep) {
    int[] starts = CriticalSearch.stepStarts(tokens, steps);
    int critical = knownStep >= 0 ? knownStep : largestDrop(starts, lastAliveStep(starts));
    int start = starts[critical];
    int end = CriticalSearch.stepEnd(tokens, steps, critical, start);
    int[] positions = new int[end - start];
    for (int i = 0; i < positions.length; i++) {
      positions[i] = start + i;
    }
    // positions[lo] is alive (the step prefix: probed, or assumed until the end), `end` is dead
    int token = positions[lastAlive(positions, 0, positions.length)];
    boolean located = alive(token, token); // rolls it out if nothing did yet (the first step's or a checked step's prefix)

    float[] stepEstimates = new float[steps.size()];
    for (int k = 0; k < stepEstimates.length; k++) {
      stepEstimates[k] = rate(starts[k]);
    }
    int[] searched = Arrays.stream(positions).filter(p -> tally(p).trials() > 0).toArray();
    float[] tokenEstimates = new float[searched.length];
    for (int i = 0; i < searched.length; i++) {
      tokenEstimates[i] = rate(searched[i]);
    }
    return new CriticalSearch.Result(stepEstimates, critical, searched, tokenEstimates, token, drawn.size(), sampledTokens,
        located);
  }

  /**
   * The last alive step prefix, or the one before it when the drop there is larger: a prefix
   * called alive on a minority of successes may be one the chain's error has only made unlikely,
   * not impossible. Then both prefixes get {@code maxFailures / 2} rollouts at least and the step
   * with the larger drop of the estimate is critical (the curve is 0 after the last alive prefix).
   */
  private int largestDrop(int[] starts, int last) {
    Tally t = tally(starts[last]);
    if (last == 0 || 2 * t.successes() >= t.trials()) {
      return last;
    }
    int least = budget.maxFailures() / 2;
    topUp(starts[last], least);
    topUp(starts[last - 1], least);
    float at = rate(starts[last]);
    return rate(starts[last - 1]) - at > at ? last - 1 : last;
  }

  private void topUp(int length, int trials) {
    int n = tally(length).trials();
    if (n < trials) {
      draw(length, trials - n);
    }
  }

  /**
   * The step prefix before the first dead one, scanning from the second (the first taken as alive
   * until the token search): a scan, not a bisection, because a chain can recover after its error
   * (a later step writes the right value again), and the first drop is the one sought. Step
   * prefixes before the error mostly cost nothing: the rollouts that verified from an earlier one
   * passed through them.
   */
  private int lastAliveStep(int[] starts) {
    int last = 0;
    for (int k = 1; k < starts.length; k++) {
      if (!alive(starts[k], starts[last])) {
        break;
      }
      last = k;
    }
    return last;
  }

  /**
   * Bisection over {@code prefixes[lo .. hi)}, {@code prefixes[lo]} taken as alive and the prefix
   * after {@code prefixes[hi - 1]} as dead: the index of the last alive one.
   */
  private int lastAlive(int[] prefixes, int lo, int hi) {
    while (hi - lo > 1) {
      int mid = (lo + hi) >>> 1;
      if (alive(prefixes[mid], prefixes[lo])) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * Decides the prefix of {@code length} tokens, drawing rounds of rollouts until one verifies
   * (alive) or enough fail to call it dead, given the success rate at {@code aliveBefore}, the
   * nearest prefix before it taken as alive: failing every rollout is then unlikely for a prefix
   * still at that level.
   */
  private boolean alive(int length, int aliveBefore) {
    while (true) {
      Tally t = tally(length);
      if (t.successes() > 0) {
        return true;
      }
      Tally before = tally(aliveBefore);
      double level = before.successes() == 0 ? UNKNOWN_LEVEL : (double) before.successes() / (before.trials() + 1);
      int needed = budget.failuresToDecide(level);
      if (t.trials() >= needed) {
        return false;
      }
      draw(length, Math.min(budget.roundRollouts(), needed - t.trials()));
    }
  }

  private void draw(int length, int n) {
    int first = drawnAt.getOrDefault(length, 0);
    for (Rollouts.Outcome o : rollouts.sample(prompt, reference, tokens, length, first, n, temperature, topP, maxNewTokens,
        seed)) {
      drawn.add(new Drawn(length, o.agreement(), o.correct()));
      sampledTokens += o.sampledTokens();
    }
    drawnAt.put(length, first + n);
  }

  /** The rollouts that count for the prefix of {@code length} tokens: those drawn at it or passing through it. */
  private Tally tally(int length) {
    int n = 0;
    int ok = 0;
    for (Drawn d : drawn) {
      if (d.start() <= length && length <= d.start() + d.agreement()) {
        n++;
        ok += d.correct() ? 1 : 0;
      }
    }
    return new Tally(ok, n);
  }

  /** The success rate over the rollouts that count for this prefix, or NaN without any. */
  private float rate(int length) {
    Tally t = tally(length);
    return t.trials() == 0 ? Float.NaN : (float) t.successes() / t.trials();
  }
}
