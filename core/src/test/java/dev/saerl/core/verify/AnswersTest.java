package dev.saerl.core.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.core.verify.Verifier.Outcome;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswersTest {
  @Test
  void aComparisonOverItsBudgetIsATimeoutNotIncorrect() {
    Answers.Comparison c = Answers.compare("(x+1)^2", "x^2+2x+1", new Budget(50, 60_000));
    assertEquals(Outcome.TIMEOUT, c.outcome());
    assertFalse(c.correct());
    assertEquals(Outcome.CORRECT, Answers.compare("(x+1)^2", "x^2+2x+1").outcome(), "the same within the standard budget");
  }

  @Test
  void nestingAndOverflowBeyondTheBoundsAreTimeouts() {
    String deep = "\\boxed{" + "(".repeat(150) + "1" + ")".repeat(150) + "}";
    assertEquals(Outcome.TIMEOUT, Verifier.verify("1", deep).outcome());
    assertEquals(Outcome.TIMEOUT, Verifier.verify("10^{10^{10}}", "\\boxed{10^{10^{10}}+1}").outcome(),
        "overflow to infinity is not equality");
    assertEquals(Outcome.TIMEOUT, Answers.compare("1".repeat(Answers.MAX_ANSWER_CHARS + 1), "1").outcome());
    assertEquals(Outcome.INCORRECT, Answers.compare("1", "1".repeat(Answers.MAX_ANSWER_CHARS + 1)).outcome(),
        "an over-long candidate is not an answer");
  }

  @Test
  void answersBuiltToExhaustTheVerifierEndWithinTheirBounds() {
    List<String> candidates = List.of("3^{50000}+".repeat(150) + "1", "1000!+".repeat(250) + "1",
        "\\sqrt{".repeat(100) + "2" + "}".repeat(100), "x^{x^{x}}+".repeat(150) + "x", "9^{9^{9}}",
        "\\{" + "2,".repeat(500) + "1\\}", "a\\pm ".repeat(20) + "b", "\\binom{1000}{500}+".repeat(100) + "1",
        "0.\\overline{" + "9".repeat(1500) + "}");
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      for (String c : candidates) {
        Verifier.Result r = Verifier.verify("\\{" + "1,".repeat(500) + "1\\}", "\\boxed{" + c + "}");
        assertFalse(r.correct(), c);
        assertFalse(r.comparison().equals("error"), c);
      }
    });
  }

  @Test
  void randomPointsAreSeededSoVerdictsRepeat() {
    for (int i = 0; i < 5; i++) {
      assertTrue(Answers.equivalent("\\sin^2 x + \\cos^2 x", "1"));
      assertFalse(Answers.equivalent("\\sqrt{x^2}", "x"));
    }
  }

  @Test
  void theComparisonNamesClassAndRule() {
    Answers.Comparison c = Answers.compare("x \\geq 5", "[5, \\infty)");
    assertEquals("interval", c.answerClass());
    assertEquals("inequality_as_interval", c.rule());
    assertEquals("units+exact_rational", Answers.compare("5", "5\\text{ cm}^2").rule());
    assertEquals("hedged", Answers.compare("2", "x = 2 \\text{ or } x = -2").rule());
  }

  @Test
  void resultsKeepCorrectAndOutcomeConsistent() {
    Verifier.Result old = new Verifier.Result(true, "5", "boxed");
    assertEquals(Outcome.CORRECT, old.outcome());
    assertEquals(Outcome.NO_ANSWER, new Verifier.Result(false, null, "none").outcome());
    assertThrows(IllegalArgumentException.class, () -> new Verifier.Result(true, "5", "boxed", Outcome.TIMEOUT, null, null));
  }
}
