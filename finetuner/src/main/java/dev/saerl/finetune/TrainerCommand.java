package dev.saerl.finetune;

import dev.saerl.workers.pack.ModelPack;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The weight trainer, an external command: a pack and a shard in, a new pack out. The template's
 * words may hold {pack}, {shard}, {mode} (sft or dpo), {out} and {version}; a word {mode-args}
 * stands for extra words per mode. The default runs the
 * foundry's PyTorch trainer on the bundled model; a GPU user points it at their own TRL script.
 */
public record TrainerCommand(List<String> template, Path workDir, long timeoutMinutes, Map<String, List<String>> modeArgs) {

  /**
   * The foundry's trainer. DPO gets a 10x smaller learning rate than SFT (1e-5): at the trainer's
   * default 1e-4, 60 steps on ~40 pairs cut the bundled model's UNKNOWN accuracy from 0.66 to 0.41.
   */
  public static TrainerCommand foundry(Path repoRoot, int steps) {
    return new TrainerCommand(List.of("/usr/bin/python3", "-m", "foundry.trainer", "--pack", "{pack}", "--shard", "{shard}",
        "--mode", "{mode}", "--out", "{out}", "--version", "{version}", "--steps", Integer.toString(steps), "{mode-args}"),
        repoRoot.resolve("tools/foundry"), 60, Map.of("dpo", List.of("--lr", "1e-5")));
  }

  /** Parses a whitespace-separated template (no quoting: put spaces in a wrapper script). */
  public static TrainerCommand parse(String template, Path workDir) {
    return new TrainerCommand(List.of(template.trim().split("\\s+")), workDir, 240, Map.of());
  }

  /** Runs the trainer, passing its output lines to {@code log}; returns the new pack, checked. */
  public ModelPack train(Path pack, Path shard, String mode, Path out, String version, Consumer<String> log)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    for (String word : template) {
      if (word.equals("{mode-args}")) {
        command.addAll(modeArgs.getOrDefault(mode, List.of()));
        continue;
      }
      command.add(word.replace("{pack}", pack.toAbsolutePath().toString()).replace("{shard}", shard.toAbsolutePath().toString())
          .replace("{mode}", mode).replace("{out}", out.toAbsolutePath().toString()).replace("{version}", version));
    }
    Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        log.accept(line);
      }
    }
    if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException("trainer did not finish in " + timeoutMinutes + " min: " + String.join(" ", command));
    }
    if (p.exitValue() != 0) {
      throw new IOException("trainer exited with " + p.exitValue() + ": " + String.join(" ", command));
    }
    return ModelPack.load(out);
  }
}
