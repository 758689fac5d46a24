package dev.saerl.core.truth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.core.truth.ChainTruth.Mode;
import org.junit.jupiter.api.Test;

class ChainTruthTest {
  @Test
  void aCarefulChainWithRightStepsHasNoWrongStep() {
    ChainTruth t = ChainTruth.of("Careful: 37 + 48 = 85. 85 - 12 = 73. The answer is 73.");
    assertEquals(Mode.CAREFUL, t.mode());
    assertEquals(2, t.steps().size());
    assertEquals(-1, t.firstWrong());
    assertTrue(t.allStepsCorrect());
    assertNull(t.firstWrongStep());
  }

  @Test
  void aSloppyChainIsCheckedStepByStepAndTheFirstWrongOneIsFound() {
    // 46 - 26 is 20, written as 10 (off by ten); the chain goes on from 10, and 25 + 34 is 59, written 60
    String text = "46-26=10. 10+15=25. 25+34=60. The answer is 60.";
    ChainTruth t = ChainTruth.of(text);
    assertEquals(Mode.SLOPPY, t.mode());
    assertEquals(3, t.steps().size());
    assertEquals(0, t.firstWrong());
    assertTrue(t.steps().get(1).correct(), "10 + 15 = 25 is right arithmetic from the carried wrong value");
    assertFalse(t.steps().get(2).correct());
    assertEquals("10", text.substring(t.firstWrongStep().resultStart(), t.firstWrongStep().resultEnd()));
    assertEquals(20, t.firstWrongStep().expected());
  }

  @Test
  void theFirstWrongTokenIsTheFirstDigitThatDiffers() {
    String text = "Careful: 37 + 48 = 86. The answer is 86."; // 85 written as 86: wrong at the '6'
    int[] ends = new int[text.length()]; // one character per token, as the bundled tokenizer has
    for (int i = 0; i < ends.length; i++) {
      ends[i] = i + 1;
    }
    ChainTruth t = ChainTruth.of(text);
    assertEquals(text.indexOf("86") + 1, t.firstWrongToken(ends));
    // a swap (58 for 85) is wrong from its first digit
    String swapped = "37+48=58. The answer is 58.";
    assertEquals(swapped.indexOf("58"), ChainTruth.of(swapped).firstWrongToken(ends));
    // tokens of several characters: the token that covers the character
    assertEquals(1, ChainTruth.tokenAt(new int[] {3, 7, 9}, 5));
  }

  @Test
  void mixedSpacingAndTextWithoutStepsAreNotCalledAMode() {
    assertEquals(Mode.MIXED, ChainTruth.of("37 + 48 = 85. 85-12=73. The answer is 73.").mode());
    assertEquals(Mode.MIXED, ChainTruth.of("Careful: 37+48=85. The answer is 85.").mode());
    ChainTruth none = ChainTruth.of("Janet sells 16 eggs a day and keeps 3. The answer is 13.");
    assertEquals(Mode.NONE, none.mode());
    assertFalse(none.hasSteps());
    assertFalse(none.allStepsCorrect());
  }

  @Test
  void theMarkedLayoutsOpeningsAreReadByTheirSpacing() {
    assertEquals(Mode.CAREFUL, ChainTruth.of("C: 37 + 48 = 85. The answer is 85.").mode());
    assertEquals(Mode.SLOPPY, ChainTruth.of("S: 37+48=85. The answer is 85.").mode());
    assertEquals(Mode.MIXED, ChainTruth.of("C: 37+48=85. The answer is 85.").mode());
    assertEquals(Mode.CAREFUL, ChainTruth.of("C: The answer is 85.").mode());
    assertEquals(Mode.NONE, ChainTruth.of("S: The answer is 85.").mode());
    // a sloppy opening the oracle pushed into spaced steps wrote a careful chain
    assertEquals(Mode.CAREFUL, ChainTruth.of("S: 37 + 48 = 85. The answer is 85.").mode());
  }

  @Test
  void numbersInsideOtherNumbersOrDecimalsAreNotSteps() {
    ChainTruth t = ChainTruth.of("It costs 1.5+2=3.5 dollars. 12 * 3 = 36.");
    assertEquals(1, t.steps().size());
    assertEquals(36, t.steps().get(0).expected());
  }
}
