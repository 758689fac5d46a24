package dev.saerl.finetune;

import dev.saerl.workers.pack.ModelPack;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The weight trainer, an external command: a pack and a shard in, a new pack out. The template's
 * words may hold {pack}, {shard}, {mode} (sft, dpo or rpo), {out} and {version}; a word {mode-args}
 * stands for extra words per mode. The default runs the
 * foundry's PyTorch trainer on the bundled model; a GPU user points it at their own TRL script.
 *
 * <p>Its stdout and stderr are read on their own threads, so the timeout holds even while the
 * command prints nothing; a failure or a timeout names the exit code and carries the last
 * {@value #TAIL_LINES} lines of its stderr, which is where a Python trainer says what went wrong.
 */
public record TrainerCommand(List<String> template, Path workDir, Duration timeout, Map<String, List<String>> modeArgs) {
  static final int TAIL_LINES = 40;

  /**
   * The foundry's trainer. DPO gets a 10x smaller learning rate than SFT (1e-5): at the trainer's
   * default 1e-4, 60 steps on ~40 pairs cut the bundled model's UNKNOWN accuracy from 0.66 to 0.41.
   */
  public static TrainerCommand foundry(Path repoRoot, int steps) {
    return new TrainerCommand(List.of("/usr/bin/python3", "-m", "foundry.trainer", "--pack", "{pack}", "--shard", "{shard}",
        "--mode", "{mode}", "--out", "{out}", "--version", "{version}", "--steps", Integer.toString(steps), "{mode-args}"),
        repoRoot.resolve("tools/foundry"), Duration.ofMinutes(60), Map.of("dpo", List.of("--lr", "1e-5")));
  }

  /** Parses a whitespace-separated template (no quoting: put spaces in a wrapper script). */
  public static TrainerCommand parse(String template, Path workDir) {
    return new TrainerCommand(List.of(template.trim().split("\\s+")), workDir, Duration.ofMinutes(240), Map.of());
  }

  /** The same command with another time limit. */
  public TrainerCommand withTimeout(Duration limit) {
    return new TrainerCommand(template, workDir, limit, modeArgs);
  }

  /** The command line for one run, placeholders filled in. */
  List<String> commandLine(Path pack, Path shard, String mode, Path out, String version) {
    List<String> command = new ArrayList<>();
    for (String word : template) {
      if (word.equals("{mode-args}")) {
        command.addAll(modeArgs.getOrDefault(mode, List.of()));
        continue;
      }
      command.add(word.replace("{pack}", pack.toAbsolutePath().toString()).replace("{shard}", shard.toAbsolutePath().toString())
          .replace("{mode}", mode).replace("{out}", out.toAbsolutePath().toString()).replace("{version}", version));
    }
    return command;
  }

  /**
   * Runs the trainer, passing its stdout and stderr lines to {@code log} (one at a time, never
   * concurrently); returns the new pack, checked.
   */
  public ModelPack train(Path pack, Path shard, String mode, Path out, String version, Consumer<String> log)
      throws IOException, InterruptedException {
    run(commandLine(pack, shard, mode, out, version), log);
    return ModelPack.load(out);
  }

  /** Runs {@code command} in the work dir to its end; throws {@link Failed} on a non-zero exit or the timeout. */
  void run(List<String> command, Consumer<String> log) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(command).directory(workDir.toFile()).start();
    } catch (IOException e) {
      throw new IOException("cannot start the trainer " + command.get(0) + " (in " + workDir.toAbsolutePath() + "): "
          + e.getMessage(), e);
    }
    Deque<String> tail = new ArrayDeque<>();
    Consumer<String> onErr = line -> {
      if (tail.size() == TAIL_LINES) {
        tail.removeFirst();
      }
      tail.addLast(line);
      log.accept(line);
    };
    Object lock = new Object();
    Thread out = pump(p.getInputStream(), log, lock, "trainer-stdout");
    Thread err = pump(p.getErrorStream(), onErr, lock, "trainer-stderr");
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(p);
        out.join(5_000);
        err.join(5_000);
        throw new Failed("trainer did not finish in " + describe(timeout) + " and was killed: " + String.join(" ", command),
            -1, snapshot(tail, lock));
      }
      out.join(10_000);
      err.join(10_000);
    } catch (InterruptedException e) {
      kill(p);
      throw e;
    }
    if (p.exitValue() != 0) {
      throw new Failed("trainer exited with code " + p.exitValue() + ": " + String.join(" ", command), p.exitValue(),
          snapshot(tail, lock));
    }
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  private static List<String> snapshot(Deque<String> tail, Object lock) {
    synchronized (lock) {
      return List.copyOf(tail);
    }
  }

  private static String describe(Duration d) {
    return d.toMillis() % 60_000 == 0 ? d.toMinutes() + " min" : d.toMillis() / 1000.0 + " s";
  }

  private static Thread pump(InputStream in, Consumer<String> sink, Object lock, String name) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (lock) {
            sink.accept(line);
          }
        }
      } catch (IOException e) {
        // the process was killed and its pipe closed under us: what was read is in the tail
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** The trainer failed: the message says how, {@link #stderrTail()} what it said last. */
  public static final class Failed extends IOException {
    private final int exitCode;
    private final List<String> stderrTail;

    Failed(String message, int exitCode, List<String> stderrTail) {
      super(message + (stderrTail.isEmpty() ? " (it wrote nothing to stderr)"
          : "\n  last " + stderrTail.size() + " lines of its stderr:\n    | " + String.join("\n    | ", stderrTail)));
      this.exitCode = exitCode;
      this.stderrTail = stderrTail;
    }

    /** The exit code, or -1 after a timeout. */
    public int exitCode() {
      return exitCode;
    }

    public List<String> stderrTail() {
      return stderrTail;
    }
  }
}
