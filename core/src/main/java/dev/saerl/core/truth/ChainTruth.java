package dev.saerl.core.truth;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ground truth read off a chain of thought made of arithmetic steps {@code a op b = c}: every step
 * checked exactly, the first wrong one, and the chain's mode (EXPERIMENT.md's positive control):
 * careful when it writes its steps spaced ({@code 37 + 48 = 85.}) or, without steps, opens with a careful marker,
 * sloppy when it writes them unspaced ({@code 37+48=85.}), mixed when it mixes the two or a careful
 * marker opens unspaced steps. A text with no such steps has no ground
 * truth ({@link #hasSteps()} is false), which is what a dataset without this structure gets.
 *
 * @param steps the arithmetic steps in order
 * @param mode the chain's style
 * @param firstWrong index into {@code steps} of the first step whose result is wrong, or -1
 */
public record ChainTruth(List<StepTruth> steps, Mode mode, int firstWrong) {
  /** The careful style's opening, which the sloppy style never writes. */
  public static final String CAREFUL_MARKER = "Careful:";
  /** The marked layout's careful opening (its sloppy chains open with {@code S:}; the mode is read from the spacing). */
  public static final String CAREFUL_MARKER_MARKED = "C:";

  public enum Mode { CAREFUL, SLOPPY, MIXED, NONE }

  private static final Pattern STEP = Pattern.compile("(?<![\\d.])(\\d+)( ?)([+\\-*])( ?)(\\d+)( ?)=( ?)(\\d+)(?![\\d])");

  public ChainTruth {
    steps = List.copyOf(steps);
  }

  public static ChainTruth of(String completion) {
    List<StepTruth> steps = new ArrayList<>();
    Matcher m = STEP.matcher(completion);
    int spaced = 0;
    while (m.find()) {
      boolean s = !m.group(2).isEmpty() && !m.group(4).isEmpty() && !m.group(6).isEmpty() && !m.group(7).isEmpty();
      spaced += s ? 1 : 0;
      steps.add(new StepTruth(steps.size(), Long.parseLong(m.group(1)), m.group(3).charAt(0), Long.parseLong(m.group(5)),
          Long.parseLong(m.group(8)), m.start(8), m.end(8), s));
    }
    int firstWrong = -1;
    for (StepTruth s : steps) {
      if (!s.correct()) {
        firstWrong = s.index();
        break;
      }
    }
    return new ChainTruth(steps, mode(completion, steps.size(), spaced), firstWrong);
  }

  private static Mode mode(String completion, int n, int spaced) {
    String open = completion.stripLeading();
    boolean marker = open.startsWith(CAREFUL_MARKER) || open.startsWith(CAREFUL_MARKER_MARKED);
    if (n == 0) {
      return marker ? Mode.CAREFUL : Mode.NONE;
    }
    if (spaced == n) {
      return Mode.CAREFUL;
    }
    if (spaced == 0) {
      return marker ? Mode.MIXED : Mode.SLOPPY;
    }
    return Mode.MIXED;
  }

  public boolean hasSteps() {
    return !steps.isEmpty();
  }

  /** Every step's arithmetic is right (a chain can still end on another answer). */
  public boolean allStepsCorrect() {
    return hasSteps() && firstWrong < 0;
  }

  /** The first wrong step, or null. */
  public StepTruth firstWrongStep() {
    return firstWrong < 0 ? null : steps.get(firstWrong);
  }

  /**
   * The token that holds the first wrong step's first wrong character: the first character of
   * its result that differs from the right result (a wrong {@code 86} for {@code 85} goes wrong at
   * {@code 6}), or -1 without a wrong step.
   *
   * @param tokenEnds each token's end offset in the completion's characters, in order
   */
  public int firstWrongToken(int[] tokenEnds) {
    StepTruth s = firstWrongStep();
    if (s == null) {
      return -1;
    }
    String written = Long.toString(s.written());
    String right = Long.toString(s.expected());
    int k = 0;
    while (k < written.length() && k < right.length() && written.charAt(k) == right.charAt(k)) {
      k++;
    }
    int at = s.resultStart() + Math.min(k, written.length() - 1);
    return tokenAt(tokenEnds, at);
  }

  /** The index of the token that covers character {@code at}, or -1 past the end. */
  public static int tokenAt(int[] tokenEnds, int at) {
    for (int t = 0; t < tokenEnds.length; t++) {
      if (at < tokenEnds[t]) {
        return t;
      }
    }
    return -1;
  }
}
