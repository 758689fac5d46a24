package dev.saerl.app.cli;

import dev.saerl.finetune.TrainerCommand;
import dev.saerl.workers.pack.ModelPack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a command needs, checked before it starts or deletes anything: the dataset is readable,
 * the pack loads (and the default trainer can train it), the trainer can start (the foundry's
 * needs {@code /usr/bin/python3} with torch). Every problem is collected, each with what to do,
 * so one run tells a newcomer everything that is missing. The launcher installs Debian's packages
 * itself when it runs as root; these checks also cover {@code java -jar} and the container.
 */
final class Preflight {
  /** What the foundry's trainer needs from Debian, as {@code .ci/packages} lists it. */
  static final String TRAINER_PACKAGES = "python3-torch python3-numpy python3-onnx libopenblas0-openmp";

  private final List<String> problems = new ArrayList<>();

  List<String> problems() {
    return problems;
  }

  Preflight dataset(Path file) {
    if (!Files.isRegularFile(file)) {
      problems.add("--dataset " + file + ": no such file");
    } else if (!Files.isReadable(file)) {
      problems.add("--dataset " + file + ": not readable");
    } else {
      try {
        if (Files.size(file) == 0) {
          problems.add("--dataset " + file + ": empty");
        }
      } catch (IOException e) {
        problems.add("--dataset " + file + ": " + e);
      }
    }
    return this;
  }

  /** The pack loads; with the foundry's trainer, it is one the trainer can train (it has its safetensors). */
  Preflight pack(Path dir, boolean foundryTrainer) {
    try {
      ModelPack.load(dir);
    } catch (RuntimeException e) {
      problems.add("--pack " + dir + ": " + e.getMessage());
      return this;
    }
    if (foundryTrainer && !Files.isRegularFile(dir.resolve("model.safetensors"))) {
      problems.add("--pack " + dir + ": no model.safetensors, so the foundry's trainer cannot finetune it (packs imported "
          + "from Hugging Face are not trainable there yet): give --trainer-command for your own trainer");
    }
    return this;
  }

  /** The trainer's program exists; the foundry's Python imports torch. */
  Preflight trainer(TrainerCommand trainer, boolean foundry) {
    String program = trainer.template().get(0);
    if (foundry) {
      if (!Files.isExecutable(Path.of(program))) {
        problems.add("the weight trainer needs " + program + " (Debian's python3): apt-get install -y python3 " + TRAINER_PACKAGES);
        return this;
      }
      String failure = run(List.of(program, "-c", "import torch, numpy, onnx"));
      if (failure != null) {
        problems.add("the weight trainer's " + program + " cannot import torch (" + failure + "): apt-get install -y "
            + TRAINER_PACKAGES + "   (./saerl does this itself when run as root)");
      }
      if (!Files.isDirectory(trainer.workDir())) {
        problems.add("the foundry trainer is not at " + trainer.workDir().toAbsolutePath()
            + ": run the demo from the repository root, or give --trainer-command");
      }
    } else if (!program.contains("/") ? !onPath(program) : !Files.isExecutable(trainer.workDir().resolve(program))) {
      problems.add("--trainer-command: " + program + " is not an executable file" + (program.contains("/") ? "" : " on PATH"));
    }
    return this;
  }

  /** Throws one exception listing every problem, if any. */
  void orFail() {
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("cannot start, nothing was changed:\n  - " + String.join("\n  - ", problems));
    }
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  /** Null when the command exits 0 within a minute; otherwise its last line of output, or why not. */
  private static String run(List<String> command) {
    try {
      Path log = Files.createTempFile("saerl-preflight-", ".log");
      try {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return "no answer in 60 s";
        }
        if (p.exitValue() == 0) {
          return null;
        }
        List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "exit code " + p.exitValue() : lines.get(lines.size() - 1).trim();
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      return e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }
}
