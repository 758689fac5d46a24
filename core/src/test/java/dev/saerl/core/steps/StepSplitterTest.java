package dev.saerl.core.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class StepSplitterTest {
  @Test
  void arithmeticStepsSplitAtSentenceEndsButNotAtDecimalPoints() {
    String cot = " 37 + 48 = 85. 85 - 1.5 = 83.5. The answer is 83.5.";
    List<StepSplitter.Span> steps = StepSplitter.split(cot);
    assertEquals(List.of("37 + 48 = 85.", "85 - 1.5 = 83.5.", "The answer is 83.5."), steps.stream().map(StepSplitter.Span::text).toList());
    for (var s : steps) {
      assertEquals(s.text(), cot.substring(s.start(), s.end()));
    }
  }

  @Test
  void linesAreStepsAndBlankLinesAreSkipped() {
    var steps = StepSplitter.split("Janet sells 16 - 3 - 4 = 9 eggs\n\nShe makes 9 * 2 = $18\n#### 18");
    assertEquals(List.of("Janet sells 16 - 3 - 4 = 9 eggs", "She makes 9 * 2 = $18", "#### 18"), steps.stream().map(StepSplitter.Span::text).toList());
  }

  @Test
  void characterSpansMapToTokenSpans() {
    String cot = " 1 + 2 = 3. The answer is 3.";
    int[] ends = new int[cot.length()];
    for (int i = 0; i < ends.length; i++) {
      ends[i] = i + 1; // one character per token
    }
    var steps = StepSplitter.split(cot);
    int[][] spans = StepSplitter.tokenSpans(steps, ends);
    assertArrayEquals(new int[] {1, 11}, spans[0]);
    assertArrayEquals(new int[] {12, cot.length()}, spans[1]);
  }

  @Test
  void emptyTextHasNoSteps() {
    assertEquals(List.of(), StepSplitter.split("  \n "));
  }
}
