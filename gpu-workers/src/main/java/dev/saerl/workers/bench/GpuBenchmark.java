package dev.saerl.workers.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GoldenCheck;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.OrtRuntime;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What tools/bench/gpu.sh measures on one execution provider (OrtRuntime's choice: SAERL_DEVICE),
 * printed as one JSON object: golden.json parity of the decoder and the ONNX SAE; greedy tokens/s
 * at each batch size; the batch-1 decode step without prefill (a run of N new tokens minus a run
 * of 1, over N - 1 steps); and the memory bandwidth ONNX Runtime reaches on the same provider,
 * from foundry.roofline's graph (a ReduceSum of large initializers inside a Loop: two trip counts,
 * extra bytes over extra time, so neither the run's fixed cost nor any host transfer is in it).
 * Args: PACK BANDWIDTH_GRAPH BYTES_PER_ITERATION EXPECTED_SUM_PER_ITERATION BATCHES NEW_TOKENS WARM_UPS REPEATS
 * (BANDWIDTH_GRAPH "-": no bandwidth; BATCHES "-": parity only).
 */
public final class GpuBenchmark {
  static final String QUESTION = "A farmer has 17 cows and buys 25 more. How many cows does the farmer have now?";

  private GpuBenchmark() {}

  public static void main(String[] args) throws Exception {
    ModelPack pack = ModelPack.load(Path.of(args[0]));
    String graph = args[1];
    long bytesPerIteration = Long.parseLong(args[2]);
    double expectedSum = Double.parseDouble(args[3]);
    int newTokens = Integer.parseInt(args[5]);
    int warmUps = Integer.parseInt(args[6]);
    int repeats = Integer.parseInt(args[7]);
    ObjectMapper json = new ObjectMapper();
    ObjectNode out = json.createObjectNode();
    long t0 = System.nanoTime();
    try (OnnxGenerator gen = new OnnxGenerator(pack, 1); OnnxSparseAutoencoder sae = new OnnxSparseAutoencoder(pack, 1)) {
      out.put("provider", OrtRuntime.provider());
      out.put("load_s", (System.nanoTime() - t0) / 1e9);
      GoldenCheck.Report report = GoldenCheck.run(pack, gen.decoder(), List.of(sae));
      GoldenCheck.Difference worst = report.worst();
      ObjectNode parity = out.putObject("parity");
      parity.put("outputs", report.differences().size());
      parity.put("worst", worst.what());
      parity.put("max_abs_diff", worst.maxAbs());
      parity.put("scale", worst.scale());
      parity.put("tolerance", GoldenCheck.TOLERANCE * Math.max(1, worst.scale()));
      parity.put("mismatches", report.mismatches().size());
      parity.put("ok", report.ok());
      out.put("prompt_tokens", gen.tokenizer().encode(pack.prompt(QUESTION), pack.addBos()).length);
      if (args[4].equals("-")) {
        System.out.println(json.writeValueAsString(out));
        return;
      }
      ArrayNode batches = out.putArray("batches");
      GenerationBenchmark.Timing full = null; // batch 1 at newTokens: the decode step's long call
      for (String b : args[4].split(",")) {
        int batch = Integer.parseInt(b.trim());
        GenerationBenchmark.Timing t = GenerationBenchmark.time(gen, requests(pack, batch, newTokens), warmUps, repeats);
        if (batch == 1) {
          full = t;
        }
        ObjectNode row = batches.addObject();
        row.put("batch", batch);
        row.put("tokens", t.tokens());
        row.put("steps", t.steps());
        row.put("seconds", t.seconds());
        row.put("tokens_per_s", t.tokensPerSecond());
      }
      if (full == null) {
        full = GenerationBenchmark.time(gen, requests(pack, 1, newTokens), warmUps, repeats);
      }
      GenerationBenchmark.Timing prefill = GenerationBenchmark.time(gen, requests(pack, 1, 1), warmUps, repeats);
      double steps = (double) full.steps() / repeats - 1;
      double perStep = (full.seconds() - prefill.seconds()) / repeats / steps;
      ObjectNode step = out.putObject("batch1_decode");
      step.put("steps_per_call", steps);
      step.put("call_s", full.seconds() / repeats);
      step.put("prefill_and_first_token_s", prefill.seconds() / repeats);
      step.put("step_ms", perStep * 1e3);
      step.put("steps_per_s", 1 / perStep);
    }
    if (!graph.equals("-")) {
      out.set("bandwidth", bandwidth(json, Path.of(graph), bytesPerIteration, expectedSum));
    }
    System.out.println(json.writeValueAsString(out));
  }

  static List<GenerationRequest> requests(ModelPack pack, int batch, int newTokens) {
    List<GenerationRequest> out = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      out.add(GenerationRequest.greedy(pack.prompt(QUESTION), newTokens));
    }
    return out;
  }

  /**
   * Trip counts n (the smallest doubling that runs 0.1 s) and 3n, five times each alternately; the
   * fastest of each. Each run's sum is checked against the expected one, so the iterations did read
   * every chunk.
   */
  static ObjectNode bandwidth(ObjectMapper json, Path graph, long bytesPerIteration, double expectedSum) throws OrtException {
    ObjectNode out = json.createObjectNode();
    try (OrtSession session = OrtRuntime.open(graph, 1)) {
      out.put("provider", OrtRuntime.provider());
      run(session, 1, expectedSum); // warm-up: allocation, kernels
      long n = 1;
      while (run(session, n, expectedSum) < 0.1 && n < (1 << 16)) {
        n *= 2;
      }
      double low = Double.MAX_VALUE;
      double high = Double.MAX_VALUE;
      for (int r = 0; r < 5; r++) {
        low = Math.min(low, run(session, n, expectedSum));
        high = Math.min(high, run(session, 3 * n, expectedSum));
      }
      out.put("bytes_per_iteration", bytesPerIteration);
      out.put("iterations", json.createArrayNode().add(n).add(3 * n));
      out.put("seconds", json.createArrayNode().add(low).add(high));
      out.put("gb_s", bytesPerIteration * 2.0 * n / (high - low) / 1e9);
    }
    return out;
  }

  /** One run of {@code trips} iterations: its seconds; fails unless the sum is trips times the expected one (float32, 1%). */
  static double run(OrtSession session, long trips, double expectedSum) throws OrtException {
    try (OnnxTensor m = OnnxTensor.createTensor(OrtRuntime.env(), LongBuffer.wrap(new long[] {trips}), new long[0])) {
      long t0 = System.nanoTime();
      try (OrtSession.Result r = session.run(Map.of("trips", m))) {
        double seconds = (System.nanoTime() - t0) / 1e9;
        float sum = ((OnnxTensor) r.get(0)).getFloatBuffer().get(0);
        double want = expectedSum * trips;
        if (!(Math.abs(sum - want) <= 0.01 * Math.abs(want))) {
          throw new IllegalStateException("bandwidth graph: " + trips + " iterations summed to " + sum + ", expected " + want);
        }
        return seconds;
      }
    }
  }
}
