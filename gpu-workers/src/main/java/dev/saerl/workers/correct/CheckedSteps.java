package dev.saerl.workers.correct;

import dev.saerl.core.truth.ChainTruth;
import dev.saerl.core.truth.StepTruth;
import dev.saerl.schemas.avro.Step;
import java.util.List;

/**
 * Exact step verification for chains whose steps can be checked ({@code a op b = c}, core's
 * {@link ChainTruth}): the step that holds the first wrong result needs no rollouts to be found.
 * On a dataset graded by the same checker this is ground truth by construction, not an estimate.
 */
public final class CheckedSteps {
  private CheckedSteps() {}

  /**
   * The index into {@code steps} of the step holding the completion's first wrong checked result,
   * or -1 when the completion has no checkable steps, none is wrong, or no step's character span
   * holds it.
   */
  public static int firstWrong(String completion, List<Step> steps) {
    StepTruth wrong = ChainTruth.of(completion).firstWrongStep();
    if (wrong == null) {
      return -1;
    }
    for (int k = 0; k < steps.size(); k++) {
      Step s = steps.get(k);
      if (wrong.resultStart() >= s.getCharStart() && wrong.resultStart() < s.getCharEnd()) {
        return k;
      }
    }
    return -1;
  }
}
