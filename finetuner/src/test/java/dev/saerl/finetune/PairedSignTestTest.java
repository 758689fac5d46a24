package dev.saerl.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PairedSignTestTest {
  /** {@code wins} queries only the candidate gets right, {@code losses} only the current one, the rest both. */
  private static boolean[][] pairs(int n, int wins, int losses) {
    boolean[] candidate = new boolean[n];
    boolean[] current = new boolean[n];
    for (int i = 0; i < n; i++) {
      candidate[i] = i >= losses;
      current[i] = i < losses || i >= losses + wins;
    }
    return new boolean[][] {candidate, current};
  }

  @Test
  void countsOnlyDiscordantQueries() {
    boolean[][] p = pairs(50, 7, 3);
    PairedSignTest t = PairedSignTest.of(p[0], p[1]);
    assertEquals(7, t.wins());
    assertEquals(3, t.losses());
  }

  @Test
  void acceptsAMarginOfTwoSqrtDiscordantAndNothingLess() {
    boolean[][] enough = pairs(100, 12, 2); // 10 >= 2 sqrt(14) = 7.5
    assertTrue(PairedSignTest.beats(enough[0], enough[1]));
    boolean[][] short_ = pairs(100, 8, 3); // 5 < 2 sqrt(11) = 6.6
    assertFalse(PairedSignTest.beats(short_[0], short_[1]));
  }

  @Test
  void aTieOrAnIdenticalCandidateNeverReplacesTheCurrentVersion() {
    boolean[][] same = pairs(40, 0, 0);
    assertFalse(PairedSignTest.beats(same[0], same[1]));
    boolean[][] tie = pairs(40, 5, 5);
    assertFalse(PairedSignTest.beats(tie[0], tie[1]));
  }

  @Test
  void resultsOfDifferentQuerySetsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> PairedSignTest.of(new boolean[3], new boolean[4]));
  }
}
