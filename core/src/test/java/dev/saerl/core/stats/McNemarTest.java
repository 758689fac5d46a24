package dev.saerl.core.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class McNemarTest {
  @Test
  void exactPValuesMatchTheBinomialTailsWorkedByHand() {
    // b=10, c=2: P(X <= 2 | 12, 1/2) = (1 + 12 + 66) / 4096
    assertEquals(2 * 79 / 4096.0, McNemar.twoSided(10, 2), 1e-12);
    assertEquals(McNemar.twoSided(10, 2), McNemar.twoSided(2, 10), 1e-12, "two-sided is symmetric");
    // P(X >= 10 | 12, 1/2) = (66 + 12 + 1) / 4096
    assertEquals(79 / 4096.0, McNemar.greater(10, 2), 1e-12);
    // the other direction: P(X >= 2 | 12, 1/2) = 1 - (1 + 12) / 4096
    assertEquals(1 - 13 / 4096.0, McNemar.greater(2, 10), 1e-12);
    assertEquals(1.0, McNemar.twoSided(5, 5), 1e-12, "balanced discordance is no evidence");
    assertEquals(1.0, McNemar.twoSided(0, 0));
    assertEquals(Math.pow(0.5, 20), McNemar.greater(20, 0), 1e-15);
  }

  @Test
  void onlyDiscordantPairsCount() {
    boolean[] a = {true, true, false, false, true, false};
    boolean[] b = {true, false, true, false, false, false};
    assertArrayEquals(new int[] {2, 1}, McNemar.discordant(a, b));
    assertThrows(IllegalArgumentException.class, () -> McNemar.discordant(a, new boolean[2]));
    assertThrows(IllegalArgumentException.class, () -> McNemar.twoSided(-1, 2));
  }
}
