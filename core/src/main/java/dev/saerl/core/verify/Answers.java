package dev.saerl.core.verify;

import dev.saerl.core.verify.Node.Seq;
import dev.saerl.core.verify.Verifier.Outcome;
import java.util.regex.Pattern;

/**
 * Equivalence of final answers, judged by class (see {@link Equivalence} for the rules and
 * {@link MathParser} for the LaTeX subset read). Before comparing: a multiple-choice reference
 * ("C", "(C)") is matched by letter; the same text after removing spacing commands is equal;
 * words after a number ("36 dollars", "5\text{ cm}^2") are dropped when what remains is a number;
 * {@code a \pm b} is the list {a + b, a - b}. A comma between digits that makes one side a list
 * while the other is a number is read once more as a decimal comma ("1,5" = 1.5). A reference that
 * cannot be parsed ("3:4") is compared as text without case, spacing and markup; a comparison that exceeds its {@link Budget} is a
 * {@link Outcome#TIMEOUT}, never {@link Outcome#INCORRECT}.
 */
public final class Answers {
  /** Answers longer than this are not parsed: a longer reference times out, a longer candidate is incorrect. */
  public static final int MAX_ANSWER_CHARS = 2_000;
  private static final Pattern DIGIT_COMMA_DIGIT = Pattern.compile("\\d(?:,|\\{,\\})\\d");

  /** How two answers compare: the outcome, the class they were judged as, and the rule that decided. */
  public record Comparison(Outcome outcome, String answerClass, String rule) {
    public Comparison {
      if (outcome == null || outcome == Outcome.NO_ANSWER || rule == null) {
        throw new IllegalArgumentException("a comparison needs an outcome (not NO_ANSWER) and a rule");
      }
    }

    public boolean correct() {
      return outcome == Outcome.CORRECT;
    }
  }

  private Answers() {}

  public static boolean equivalent(String reference, String candidate) {
    return compare(reference, candidate).correct();
  }

  public static Comparison compare(String reference, String candidate) {
    return compare(reference, candidate, Budget.standard());
  }

  static Comparison compare(String reference, String candidate, Budget budget) {
    if (reference == null || candidate == null || reference.isBlank() || candidate.isBlank()) {
      return new Comparison(Outcome.INCORRECT, "none", "missing");
    }
    if (reference.length() > MAX_ANSWER_CHARS) {
      return new Comparison(Outcome.TIMEOUT, "text", "too_long_reference");
    }
    if (candidate.length() > MAX_ANSWER_CHARS) {
      return new Comparison(Outcome.INCORRECT, "text", "too_long");
    }
    try {
      return judge(reference, candidate, budget);
    } catch (Budget.Exceeded e) {
      return new Comparison(Outcome.TIMEOUT, classOf(reference), "timeout");
    }
  }

  /** The class a reference answer belongs to ("rational", "interval", ...), as the verifier reports it. */
  public static String classOf(String reference) {
    if (reference == null || reference.length() > MAX_ANSWER_CHARS) {
      return "text";
    }
    try {
      if (Choice.referenceLetter(reference) != 0) {
        return "choice";
      }
      Budget budget = Budget.standard();
      Node n = parse(reference, budget, false);
      return n == null ? "text" : Shapes.classOf(n, budget);
    } catch (Budget.Exceeded e) {
      return "unknown";
    }
  }

  private static Comparison judge(String reference, String candidate, Budget budget) {
    char letter = Choice.referenceLetter(reference);
    if (letter != 0) {
      char got = Choice.candidateLetter(candidate);
      return new Comparison(got == letter ? Outcome.CORRECT : Outcome.INCORRECT, "choice",
          got == Choice.HEDGED ? "hedged" : "choice");
    }
    Node a = parse(reference, budget, false);
    if (a == null) {
      boolean same = !Texts.loose(reference).isEmpty() && Texts.loose(reference).equals(Texts.loose(candidate));
      return new Comparison(same ? Outcome.CORRECT : Outcome.INCORRECT, "text", "text");
    }
    String referenceClass = Shapes.classOf(a, budget);
    if (Texts.compact(reference).equals(Texts.compact(candidate))) {
      return new Comparison(Outcome.CORRECT, referenceClass, "same_text");
    }
    Node b = parse(candidate, budget, false);
    if (b == null) {
      return new Comparison(Outcome.INCORRECT, referenceClass, "unparseable");
    }
    boolean[] units = {false};
    Equivalence equivalence = new Equivalence(budget);
    Equivalence.Match m = compareCanonical(equivalence, a, b, units);
    if (!m.equal() && (a instanceof Seq) != (b instanceof Seq)) {
      // "1,5" against 1.5: a decimal comma read as a list separator
      boolean retryCandidate = b instanceof Seq;
      String side = retryCandidate ? candidate : reference;
      Node again = DIGIT_COMMA_DIGIT.matcher(side).find() ? parse(side, budget, true) : null;
      if (again != null && !(again instanceof Seq)) {
        Equivalence.Match retry = retryCandidate ? compareCanonical(equivalence, a, again, units)
            : compareCanonical(equivalence, again, b, units);
        if (retry.equal()) {
          m = retry.prefixed("decimal_comma");
        }
      }
    }
    if (units[0]) {
      m = m.prefixed("units");
    }
    return new Comparison(m.equal() ? Outcome.CORRECT : Outcome.INCORRECT, m.answerClass(), m.rule());
  }

  private static Equivalence.Match compareCanonical(Equivalence equivalence, Node a, Node b, boolean[] units) {
    Node ca;
    Node cb;
    try {
      ca = Shapes.expandPlusMinus(Shapes.stripUnits(a, units));
      cb = Shapes.expandPlusMinus(Shapes.stripUnits(b, units));
    } catch (Unparseable e) {
      return new Equivalence.Match(false, "symbolic", "unparseable");
    }
    return equivalence.equal(ca, cb);
  }

  /** The parsed answer, or null when it is outside the subset the parser reads. */
  private static Node parse(String s, Budget budget, boolean decimalComma) {
    try {
      return MathParser.parse(s, budget, decimalComma);
    } catch (Unparseable e) {
      return null;
    }
  }
}
