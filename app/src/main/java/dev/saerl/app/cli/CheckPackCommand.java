package dev.saerl.app.cli;

import dev.saerl.workers.bench.GenerationBenchmark;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GoldenCheck;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.OrtRuntime;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import dev.saerl.workers.sae.SparseAutoencoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "check-pack", mixinStandardHelpOptions = true,
    description = {"Loads a model pack (manifest, checksums, graph contract), runs its golden.json (the foundry's PyTorch",
        "outputs: prefill logits and hook residuals, cached decode steps, SAE codes, plain and steered) on this",
        "machine's ONNX Runtime and reports the largest differences; exit status 1 if any exceeds 1e-4 (relative",
        "above 1). With --bench, also greedy generation tokens/s at each batch size. Use it after importing a",
        "Hugging Face checkpoint (docs/real-models.md) and on a GPU machine (SAERL_DEVICE=cuda to insist on CUDA)."})
public final class CheckPackCommand implements Callable<Integer> {
  @Parameters(paramLabel = "PACK", description = "The pack directory.")
  Path dir;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--bench", description = "Also time greedy generation.")
  boolean bench;

  @Option(names = "--batches", split = ",", defaultValue = "1,32", description = "Batch sizes for --bench (default ${DEFAULT-VALUE}).")
  List<Integer> batches;

  @Option(names = "--new-tokens", defaultValue = "64", description = "Tokens generated per row for --bench (default ${DEFAULT-VALUE}).")
  int newTokens;

  @Option(names = "--question", defaultValue = "A farmer has 17 cows and buys 25 more. How many cows does the farmer have now?",
      description = "The question put into the pack's prompt template for --bench.")
  String question;

  @Override
  public Integer call() throws IOException {
    long t0 = System.nanoTime();
    ModelPack pack = ModelPack.load(dir);
    var a = pack.architecture();
    System.out.printf("pack %s (%s): %d layers, d_model %d, %d heads (%d kv), vocab %d, hook layer %d, SAE %s with %d features%n",
        pack.name(), pack.version(), a.nLayer(), a.dModel(), a.nHead(), a.nKvHead(), a.vocabSize(), pack.hookLayer(),
        pack.sae().kind(), pack.sae().features());
    try (OnnxGenerator generator = new OnnxGenerator(pack, threads); SparseAutoencoder onnxSae = new OnnxSparseAutoencoder(pack, threads)) {
      System.out.printf("loaded in %.1f s on %s%n", (System.nanoTime() - t0) / 1e9, OrtRuntime.provider());
      GoldenCheck.Report report = GoldenCheck.run(pack, generator.decoder(), List.of(onnxSae, new JavaSparseAutoencoder(pack)));
      for (GoldenCheck.Difference d : report.differences()) {
        if (!d.ok()) {
          System.out.printf("  DIFFERS %s: max abs %.3g (reference scale %.3g)%n", d.what(), d.maxAbs(), d.scale());
        }
      }
      report.mismatches().forEach(m -> System.out.println("  DIFFERS " + m));
      GoldenCheck.Difference worst = report.worst();
      System.out.printf("golden: %d outputs compared, worst %s: max abs %.3g (scale %.3g): %s%n", report.differences().size(),
          worst.what(), worst.maxAbs(), worst.scale(), report.ok() ? "ok" : "FAILED");
      if (bench) {
        bench(pack, generator);
      }
      return report.ok() ? 0 : 1;
    }
  }

  private void bench(ModelPack pack, OnnxGenerator generator) throws IOException {
    // the weights are read once per decode step at batch 1: the memory-bandwidth floor of a step. fp16
    // packs store half precision but ONNX Runtime folds the casts at load and reads fp32. The count is
    // every stored weight, so the GB/s is an upper bound: a step reads one row of an untied embedding
    // table, not all of it (docs/benchmarks.md: 0.85 of 0.98 GB for the 246M Llama).
    long weightBytes = 0;
    for (String f : List.of(ModelPack.MODEL_FILE, ModelPack.MODEL_FILE + ".data")) {
      weightBytes += Files.exists(pack.file(f)) ? Files.size(pack.file(f)) : 0;
    }
    weightBytes *= pack.weightsDtype().equals("fp16") ? 2 : 1;
    for (int batch : batches) {
      List<GenerationRequest> requests = new ArrayList<>();
      for (int i = 0; i < batch; i++) {
        requests.add(GenerationRequest.greedy(pack.prompt(question), newTokens));
      }
      GenerationBenchmark.Timing t = GenerationBenchmark.time(generator, requests, 1, 1);
      System.out.printf("batch %d: %d tokens in %.2f s = %.1f tokens/s, %.2f ms per step (prefill included); fp32 weights %.2f GB, "
              + "at most %.1f GB/s (every stored weight once per step; an untied embedding table is not read whole)%n", batch, t.tokens(), t.seconds(), t.tokensPerSecond(),
          t.seconds() * 1000 / t.steps(), weightBytes / 1e9, weightBytes / 1e9 * t.steps() / t.seconds());
    }
  }
}
