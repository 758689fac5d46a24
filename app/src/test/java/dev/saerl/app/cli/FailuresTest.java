package dev.saerl.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class FailuresTest {
  private static String print(Throwable e, boolean verbose) {
    StringWriter s = new StringWriter();
    Failures.print(new PrintWriter(s), "verify", e, verbose);
    return s.toString();
  }

  @Test
  void aMissingFileIsNamedAsMissingNotJustByItsPath() {
    String out = print(new NoSuchFileException("/nonexistent"), false);
    assertTrue(out.startsWith("saerl verify: no such file: /nonexistent\n"), out);
  }

  @Test
  void theTypeAndEveryCauseArePrintedOnePerLine() {
    var e = new IllegalStateException("batch failed", new UncheckedIOException("reading shard", new IOException("disk full")));
    String[] lines = print(e, false).split("\n");
    assertEquals("saerl verify: IllegalStateException: batch failed", lines[0]);
    assertEquals("  caused by: UncheckedIOException: reading shard", lines[1]);
    assertEquals("  caused by: IOException: disk full", lines[2]);
  }

  @Test
  void aTypeOutsideTheJdkIsQualifiedAndAMessagelessOneStillNamed() {
    class OrtLikeException extends RuntimeException {}
    assertEquals(OrtLikeException.class.getName(), Failures.describe(new OrtLikeException()));
  }

  @Test
  void theStackOnlyWithVerbose() {
    var e = new IllegalStateException("boom");
    assertFalse(print(e, false).contains("\tat "));
    assertTrue(print(e, false).contains("--verbose"), "says how to get it");
    assertTrue(print(e, true).contains("\tat dev.saerl.app.cli.FailuresTest"));
  }

  @Test
  void aRefusalOfBadInputIsOneSentenceWithoutTheStackHint() {
    assertEquals("saerl verify: --dataset x.jsonl: no such file\n",
        print(new IllegalArgumentException("--dataset x.jsonl: no such file"), false));
  }
}
