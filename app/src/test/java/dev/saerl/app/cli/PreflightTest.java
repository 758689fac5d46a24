package dev.saerl.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.finetune.TrainerCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreflightTest {
  @TempDir
  Path dir;

  private final Path root = Path.of(System.getProperty("saerl.repo.root", ".."));

  private Path script(String name, String body) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  private TrainerCommand foundryWith(Path python) {
    return new TrainerCommand(List.of(python.toString(), "-m", "foundry.trainer"), root.resolve("tools/foundry"),
        Duration.ofMinutes(1), Map.of());
  }

  @Test
  void everyMissingThingIsListedInOneRefusalBeforeAnythingChanges() throws Exception {
    Path python = script("python3", "echo \"ModuleNotFoundError: No module named 'torch'\" >&2; exit 1");
    var e = assertThrows(IllegalArgumentException.class, () -> new Preflight().dataset(dir.resolve("gsm8k.jsonl"))
        .pack(dir, true).trainer(foundryWith(python), true).orFail());
    String m = e.getMessage();
    assertTrue(m.startsWith("cannot start, nothing was changed:"), m);
    assertTrue(m.contains("--dataset " + dir.resolve("gsm8k.jsonl") + ": no such file"), m);
    assertTrue(m.contains("--pack " + dir + ": not a model pack"), m);
    assertTrue(m.contains("cannot import torch (ModuleNotFoundError: No module named 'torch')"), m);
    assertTrue(m.contains("apt-get install -y " + Preflight.TRAINER_PACKAGES), m);
  }

  @Test
  void theBundledPackAndDatasetWithAWorkingPythonPass() throws Exception {
    Path python = script("python3", "exit 0");
    var p = new Preflight().dataset(root.resolve("datasets/arith.jsonl")).pack(root.resolve("models/arith"), true)
        .trainer(foundryWith(python), true);
    assertEquals(List.of(), p.problems());
  }

  @Test
  void aCustomTrainerThatDoesNotExistIsNamed() {
    var t = TrainerCommand.parse("no-such-trainer-xyz {pack} {shard}", dir);
    var p = new Preflight().trainer(t, false);
    assertEquals(List.of("--trainer-command: no-such-trainer-xyz is not an executable file on PATH"), p.problems());
  }
}
