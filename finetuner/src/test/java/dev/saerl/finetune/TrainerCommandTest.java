package dev.saerl.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerCommandTest {
  @TempDir
  Path dir;

  private TrainerCommand sh(Duration timeout) {
    return new TrainerCommand(List.of("/bin/sh", "-c"), dir, timeout, Map.of());
  }

  @Test
  void aFailingTrainerReportsItsExitCodeAndTheLast40LinesOfItsStderr() {
    var e = assertThrows(TrainerCommand.Failed.class, () -> sh(Duration.ofMinutes(1)).run(List.of("/bin/sh", "-c",
        "echo '{\"step\": 1}'; i=1; while [ $i -le 60 ]; do echo \"err $i\" >&2; i=$((i+1)); done; exit 3"), line -> {}));
    assertEquals(3, e.exitCode());
    assertEquals(40, e.stderrTail().size());
    assertEquals("err 21", e.stderrTail().get(0));
    assertEquals("err 60", e.stderrTail().get(39));
    assertTrue(e.getMessage().contains("exited with code 3"), e.getMessage());
    assertTrue(e.getMessage().contains("| err 60"), e.getMessage());
  }

  @Test
  void theTimeoutHoldsWhileTheTrainerPrintsNothingAndKeepsItsPipesOpen() {
    long t0 = System.nanoTime();
    var e = assertThrows(TrainerCommand.Failed.class, () -> sh(Duration.ofMillis(500)).run(List.of("/bin/sh", "-c",
        "echo starting >&2; sleep 60"), line -> {}));
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertTrue(seconds < 15, "took " + seconds + " s");
    assertEquals(-1, e.exitCode());
    assertEquals("starting", e.stderrTail().get(0)); // the shell may add "Killed" when its child goes first
    assertTrue(e.getMessage().contains("did not finish in 0.5 s"), e.getMessage());
  }

  @Test
  void everyLineOfBothStreamsReachesTheLog() throws Exception {
    List<String> lines = new ArrayList<>();
    sh(Duration.ofMinutes(1)).run(List.of("/bin/sh", "-c", "echo out; echo err >&2"), lines::add);
    assertEquals(List.of("err", "out"), lines.stream().sorted().toList());
  }

  @Test
  void aTrainerThatCannotStartIsNamed() {
    var e = assertThrows(java.io.IOException.class, () -> sh(Duration.ofMinutes(1)).run(List.of("/nonexistent/python3"), l -> {}));
    assertTrue(e.getMessage().startsWith("cannot start the trainer /nonexistent/python3"), e.getMessage());
  }
}
