package dev.saerl.core.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class AnswerExtractorTest {
  @Test
  void theLastCommittedAnswerWinsOverAnEarlierBox() {
    Extraction e = AnswerExtractor.extract("So \\boxed{5}.\n\nWait, I dropped a term; the answer is $7$.");
    assertEquals("7", e.answer());
    assertEquals("the_answer_is", e.rule());
    assertNull(e.rival(), "a correction in a later paragraph is not a hedge");
  }

  @Test
  void twoDifferentAnswersInOneBreathAreReportedAsRivals() {
    assertEquals("5", AnswerExtractor.extract("\\boxed{5} or \\boxed{7}").rival());
    assertEquals("6", AnswerExtractor.extract("The answer is 6. The answer is 8.").rival());
    assertEquals("5", AnswerExtractor.extract("\\boxed{5}\n\nAlternatively, it could be \\boxed{7}.").rival());
    assertNull(AnswerExtractor.extract("First \\boxed{3}, then adding 2 gives \\boxed{5}.").rival(), "a next step");
  }

  @Test
  void agreeingMarksReportTheStrongestRule() {
    Extraction e = AnswerExtractor.extract("Hence $\\boxed{12}$. The answer is 12.");
    assertEquals("12", e.answer());
    assertEquals("boxed", e.rule(), "the ingester reads MATH references by this rule");
  }

  @Test
  void answerTextInDollarsIsTakenWholeAndDollarAmountsAreNot() {
    assertEquals("28 \\%", AnswerExtractor.extract("Final Answer: The final answer is $28 \\%$. I hope it is correct.").answer());
    assertEquals("(3, 4)", AnswerExtractor.extract("The answer is $(3, 4)$.").answer());
    assertEquals("18", AnswerExtractor.extract("The answer is $18.").answer());
    assertEquals("18 eggs", AnswerExtractor.extract("The answer is 18 eggs, which makes $36.").answer());
  }

  @Test
  void phrasesThatAreNotAnswersAreSkipped() {
    assertEquals("boxed", AnswerExtractor.extract("The answer is correct: \\boxed{3}").rule());
    assertEquals("none", AnswerExtractor.extract("The answer is below.").rule());
  }

  @Test
  void theUnmarkedFallbackTakesNoNumberFromAWordAQuestionOrLatex() {
    assertEquals("7", AnswerExtractor.extract("3 and 4 make 7 in total").answer());
    assertEquals("3", AnswerExtractor.extract("We know x2 + 1 = 3, so the result is 3.").answer());
    assertEquals("none", AnswerExtractor.extract("The number is x2 here").rule());
    assertEquals("none", AnswerExtractor.extract("The 3rd term").rule());
    assertEquals("none", AnswerExtractor.extract("How many apples does Sam have if he has 3 and buys 4?").rule());
    assertEquals("none", AnswerExtractor.extract("If Sam has 3 apples and buys 4 more").rule());
    assertEquals("none", AnswerExtractor.extract("so it is \\frac{1+\\sqrt{5}}{2}").rule());
  }

  @Test
  void theUnmarkedFallbackTakesTheResultAfterTheLastEqualsSign() {
    assertEquals("120", AnswerExtractor.extract("So 200 - 80 = 120 lbs. of carrots will not be used.").answer());
    assertEquals("15", AnswerExtractor.extract("Thus, there are 9 + 6 = 15 liters of water out of the 24 liters.").answer());
    assertEquals("192", AnswerExtractor.extract("There are 160+32 = 192 cows after Mr. Sylas adds four.").answer());
  }

  @Test
  void aFinalLineCanBeOneMathExpression() {
    assertEquals("k = \\frac{1}{3}", AnswerExtractor.extract("Solving,\n$k = \\frac{1}{3}$").answer());
    assertEquals("x = 5", AnswerExtractor.extract("We find\n\\[\nx = 5\n\\]").answer());
    assertEquals("final_line", AnswerExtractor.extract("so she makes\n18").rule());
  }
}
