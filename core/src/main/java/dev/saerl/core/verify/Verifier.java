package dev.saerl.core.verify;

/** Decides whether a response's final answer matches a reference answer. Never throws on odd text. */
public final class Verifier {
  /** The outcome: whether it is correct, what was extracted, and the rule that found it. */
  public record Result(boolean correct, String extracted, String rule) {}

  private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile(AnswerExtractor.NUMBER);

  private Verifier() {}

  public static Result verify(String reference, String response) {
    try {
      Extraction e = AnswerExtractor.extract(response);
      boolean ok = e.answer() != null && Answers.equivalent(reference, e.answer());
      if (!ok && e.answer() != null && !e.rule().equals("last_number_fallback")) {
        // "The answer is 18 eggs, which makes $36": the first number of the matched answer text
        String first = firstNumber(e.answer());
        ok = first != null && Answers.equivalent(reference, first);
      }
      return new Result(ok, e.answer(), e.rule());
    } catch (RuntimeException unexpected) {
      return new Result(false, null, "error:" + unexpected.getClass().getSimpleName());
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

  private static String firstNumber(String s) {
    var m = NUMBER.matcher(s);
    return m.find() ? m.group() : null;
  }
}
