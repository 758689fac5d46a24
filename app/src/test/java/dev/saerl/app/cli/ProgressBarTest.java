package dev.saerl.app.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  private static String run(long total, long... updates) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ProgressBar bar = new ProgressBar("round 1: generating", total, "", 1,
        new PrintStream(bytes, true, StandardCharsets.UTF_8), false)) {
      for (long u : updates) {
        bar.update(u);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aStageThatStopsEarlyEndsAtItsRealCountNotAt100Percent() {
    String out = run(100, 10, 40);
    String last = out.lines().reduce((a, b) -> b).orElseThrow();
    assertTrue(last.contains("40/100"), last);
    assertTrue(last.contains(" 40%"), last);
    assertTrue(last.contains("stopped at 40 of 100"), last);
    assertFalse(out.contains("100%"), out);
  }

  @Test
  void aFinishedStageShowsCountRateElapsedAndEta() {
    String last = run(50, 25, 50).lines().reduce((a, b) -> b).orElseThrow();
    assertTrue(last.contains("100%") && last.contains("50/50"), last);
    assertTrue(last.matches(".*\\(\\d+:\\d\\d:\\d\\d / \\d+:\\d\\d:\\d\\d\\).*"), "elapsed / ETA: " + last);
    assertTrue(last.contains("/s"), "rate: " + last);
    assertFalse(last.contains("stopped"), last);
  }

  @Test
  void withoutATerminalEachDrawIsItsOwnLineWithNoCarriageReturns() {
    String out = run(10, 3);
    assertFalse(out.contains("\r"), out);
  }
}
