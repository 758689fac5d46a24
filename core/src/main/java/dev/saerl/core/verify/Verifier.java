package dev.saerl.core.verify;

/**
 * Decides whether a response's final answer matches a reference answer: {@link AnswerExtractor}
 * finds the answer the response commits to last, {@link Answers} compares it by class. Never
 * throws on odd text, and every comparison is bounded (see {@code docs/verifier.md}).
 */
public final class Verifier {
  /** A verdict. {@code TIMEOUT}: the comparison ran out of its bounds; it is not a judgement that the answer is wrong. */
  public enum Outcome { CORRECT, INCORRECT, NO_ANSWER, TIMEOUT }

  /**
   * The outcome: whether it is correct, what was extracted, the extraction rule that found it, the
   * verdict, the class the answer was judged as (the reference's class when nothing was compared),
   * and the comparison rule that decided ("exact_rational", "random_points", "hedged", ...).
   */
  public record Result(boolean correct, String extracted, String rule, Outcome outcome, String answerClass,
      String comparison) {
    public Result {
      if (outcome == null || rule == null || correct != (outcome == Outcome.CORRECT)) {
        throw new IllegalArgumentException("correct must be true exactly when the outcome is CORRECT: " + correct + ", " + outcome);
      }
    }

    /** The result as callers before verdict classes built it. */
    public Result(boolean correct, String extracted, String rule) {
      this(correct, extracted, rule, correct ? Outcome.CORRECT : extracted == null ? Outcome.NO_ANSWER : Outcome.INCORRECT,
          null, null);
    }
  }

  private Verifier() {}

  public static Result verify(String reference, String response) {
    try {
      Extraction e = AnswerExtractor.extract(response);
      if (e.answer() == null) {
        return new Result(false, null, e.rule(), Outcome.NO_ANSWER, Answers.classOf(reference), "none");
      }
      Budget budget = Budget.standard();
      if (e.rival() != null) {
        Answers.Comparison same = Answers.compare(e.answer(), e.rival(), budget);
        if (!same.correct()) {
          Outcome outcome = same.outcome() == Outcome.TIMEOUT ? Outcome.TIMEOUT : Outcome.INCORRECT;
          return new Result(false, e.answer(), e.rule(), outcome, Answers.classOf(reference), "hedged");
        }
      }
      Answers.Comparison c = Answers.compare(reference, e.answer(), budget);
      return new Result(c.correct(), e.answer(), e.rule(), c.outcome(), c.answerClass(), c.rule());
    } catch (RuntimeException unexpected) {
      return new Result(false, null, "error:" + unexpected.getClass().getSimpleName(), Outcome.INCORRECT, null, "error");
    }
  }

  /** The reference's final answer from a dataset field: after "####", inside \boxed{}, or the field itself. */
  public static String referenceAnswer(String field) {
    Extraction e = AnswerExtractor.extract(field);
    return switch (e.rule()) {
      case "hash_marks", "boxed" -> e.answer();
      default -> field.trim();
    };
  }
}
