package dev.saerl.core.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class VerifierTest {
  @ParameterizedTest(name = "{0} ~ {1}")
  @CsvSource(delimiter = '|', value = {
      "18|The answer is 18.", "18|#### 18", "18|\\boxed{18}", "18|A: 18", "18|so she makes\\n18",
      "1450000|#### 1,450,000", "1,450,000|The answer is $1,450,000.", "-5|The answer is −5.",
      "0.5|The answer is 1/2.", "3/4|\\boxed{\\frac{3}{4}}", "3/4|\\boxed{\\dfrac{3}{4}}", "2.50|The answer is 2.5",
      "18|The answer is 18.00", "50|The answer is 50%.", "0.5|The answer is 50%", "36|The answer is 36 dollars.",
      "36|The answer is \\$36.", "1.5|The answer is 1 1/2.", "10|Answer: 10 apples", "x+1|\\boxed{x + 1}",
      "7|She has 3 + 4 = 7 apples.", "66|37 + 48 = 85. 85 - 19 = 66. The answer is 66.",
  })
  void equivalentAnswersVerify(String reference, String response) {
    assertTrue(Verifier.verify(reference, response.replace("\\n", "\n")).correct(), reference + " vs " + response);
  }

  @ParameterizedTest(name = "{0} !~ {1}")
  @CsvSource(delimiter = '|', value = {
      "18|The answer is 17.", "18|#### 180", "3/4|\\boxed{4/3}", "-5|The answer is 5.", "66|The answer is 6.",
      "1450|#### 1,450,000", "18|", "18|no numbers here",
  })
  void differentAnswersDoNot(String reference, String response) {
    assertFalse(Verifier.verify(reference, response == null ? "" : response).correct(), reference + " vs " + response);
  }

  @Test
  void theDecidingRuleIsReportedAndTheFallbackIsLabelled() {
    assertEquals("the_answer_is", Verifier.verify("66", "85 - 19 = 66. The answer is 66.").rule());
    assertEquals("hash_marks", Verifier.verify("18", "9 * 2 = 18\n#### 18").rule());
    assertEquals("last_number_fallback", Verifier.verify("7", "3 and 4 make 7 in total").rule());
    assertEquals("none", Verifier.verify("7", "I do not know").rule());
  }

  @Test
  void pathologicalInputIsBoundedAndNeverThrows() {
    String huge = "9".repeat(2_000_000) + "{".repeat(100_000) + "\\boxed{" + ",".repeat(50_000);
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      Verifier.verify("9", huge);
      Verifier.verify("\\frac{" .repeat(10_000), "1,2,3,4," .repeat(100_000));
      Verifier.verify("1", "The answer is " + "1,".repeat(100_000));
      Verifier.verify(null, null);
    });
  }

  @Test
  void everyGsm8kReferenceSolutionVerifiesAgainstItsOwnFinalAnswer() throws Exception {
    Path file = Path.of(System.getProperty("saerl.repo.root", "..")).resolve("testdata/gsm8k/gsm8k_test.jsonl");
    ObjectMapper json = new ObjectMapper();
    int rows = 0;
    try (BufferedReader in = Files.newBufferedReader(file)) {
      for (String line; (line = in.readLine()) != null; ) {
        String solution = json.readTree(line).path("answer").asText();
        String reference = Verifier.referenceAnswer(solution);
        var result = Verifier.verify(reference, solution);
        assertTrue(result.correct(), "row " + (rows + 1) + ": " + reference + " vs " + result);
        assertEquals("hash_marks", result.rule());
        rows++;
      }
    }
    assertEquals(1319, rows);
  }
}
