package dev.saerl.workers.bench;

import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Generation tokens/s of the Java runtime at several batch sizes, and SAE encoding rows/s (ONNX vs
 * plain Java), printed as one JSON object per line. tools/bench/generation.sh runs it beside the
 * foundry's PyTorch generation on the same pack and prompts and prints the ratios.
 * Args: PACK_DIR QUESTIONS_FILE (one question per line) BATCHES (e.g. 1,16,64) MAX_NEW_TOKENS REPEATS
 */
public final class GenerationBenchmark {
  /** Untimed runs at each batch size before timing; the JIT needs a few (foundry.bench does as many). */
  static final int WARM_UP = 3;

  private GenerationBenchmark() {}

  public static void main(String[] args) throws Exception {
    ModelPack pack = ModelPack.load(Path.of(args[0]));
    List<String> questions = Files.readAllLines(Path.of(args[1])).stream().filter(s -> !s.isBlank()).toList();
    int maxNew = Integer.parseInt(args[3]);
    int repeats = Integer.parseInt(args[4]);
    List<float[]> residuals = new ArrayList<>();
    try (OnnxGenerator gen = new OnnxGenerator(pack, 1)) {
      gen.generate(requests(pack, questions, 4, maxNew)); // warm-up
      for (String b : args[2].split(",")) {
        int batch = Integer.parseInt(b.trim());
        Timing t = time(gen, requests(pack, questions, batch, maxNew), WARM_UP, repeats);
        for (GenerationResult g : t.last()) {
          if (residuals.size() < 4096) {
            residuals.addAll(List.of(g.hookResiduals()));
          }
        }
        System.out.printf("{\"impl\": \"java-onnxruntime\", \"batch\": %d, \"tokens\": %d, \"seconds\": %.3f, \"tokens_per_s\": %.1f}%n",
            batch, t.tokens(), t.seconds(), t.tokensPerSecond());
      }
    }
    float[][] rows = residuals.toArray(new float[0][]);
    try (var onnx = new OnnxSparseAutoencoder(pack, 1)) {
      var java = new JavaSparseAutoencoder(pack);
      onnx.encode(rows);
      java.encode(rows);
      long t0 = System.nanoTime();
      onnx.encode(rows);
      long onnxNanos = System.nanoTime() - t0;
      t0 = System.nanoTime();
      java.encode(rows);
      long javaNanos = System.nanoTime() - t0;
      System.out.printf("{\"sae_rows\": %d, \"onnx_rows_per_s\": %.1f, \"java_rows_per_s\": %.1f}%n",
          rows.length, rows.length * 1e9 / onnxNanos, rows.length * 1e9 / javaNanos);
    }
  }

  /** Generated tokens, time and decode steps (the longest row) over the timed runs, and the last run's results. */
  public record Timing(long tokens, long nanos, long steps, List<GenerationResult> last) {
    public double seconds() {
      return nanos / 1e9;
    }

    public double tokensPerSecond() {
      return tokens * 1e9 / nanos;
    }
  }

  /** Runs the batch {@code warmUps} times untimed (buffers, JIT), then {@code repeats} times timed. */
  public static Timing time(OnnxGenerator gen, List<GenerationRequest> batch, int warmUps, int repeats) {
    for (int w = 0; w < warmUps; w++) {
      gen.generate(batch);
    }
    long tokens = 0;
    long nanos = 0;
    long steps = 0;
    List<GenerationResult> out = List.of();
    for (int r = 0; r < repeats; r++) {
      long t0 = System.nanoTime();
      out = gen.generate(batch);
      nanos += System.nanoTime() - t0;
      tokens += out.stream().mapToLong(g -> g.tokens().length).sum();
      steps += out.stream().mapToInt(g -> g.tokens().length).max().orElse(1);
    }
    return new Timing(tokens, nanos, steps, out);
  }

  static List<GenerationRequest> requests(ModelPack pack, List<String> questions, int batch, int maxNew) {
    List<GenerationRequest> out = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      out.add(GenerationRequest.greedy(pack.prompt(questions.get(i % questions.size())), maxNew));
    }
    return out;
  }
}
