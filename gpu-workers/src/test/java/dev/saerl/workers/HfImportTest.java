package dev.saerl.workers;

import static dev.saerl.workers.GoldenParityTest.floats;
import static dev.saerl.workers.GoldenParityTest.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.KvCache;
import dev.saerl.workers.inference.OnnxDecoder;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.pack.Safetensors;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import dev.saerl.workers.sae.SparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Hugging Face importer end to end: the foundry writes tiny random Llama, Qwen2, Gemma-2 and
 * Mistral checkpoints in Hugging Face layout and SAEs in SAELens, sparsify, Goodfire and Gemma Scope
 * layouts, checks each SAE conversion against the release's formulas and each model against an
 * independent NumPy forward, and imports them as packs (foundry/tiny.py); here each pack runs on
 * ONNX Runtime and must reproduce the foundry's PyTorch outputs.
 */
@Tag("integration")
class HfImportTest {
  @TempDir
  static Path out;
  static JsonNode tiny;

  @BeforeAll
  static void importTinyCheckpoints() throws Exception {
    Path foundry = BundledPack.dir().resolveSibling("../tools/foundry").normalize();
    Process p = new ProcessBuilder("/usr/bin/python3", "-m", "foundry.tiny", "--out", out.toString())
        .directory(foundry.toFile()).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "foundry.tiny timed out");
    assertEquals(0, p.exitValue(), log);
    tiny = new ObjectMapper().readTree(out.resolve("tiny.json").toFile());
  }

  static ModelPack pack(String model) {
    return ModelPack.load(Path.of(tiny.path("packs").path(model).path("dir").asText()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama", "qwen2", "gemma2", "mistral"})
  void prefillCachedDecodeAndSaeCodesMatchThePyTorchGolden(String model) throws Exception {
    ModelPack pack = pack(model);
    assertEquals(tiny.path("packs").path(model).path("hook_layer").asInt(), pack.hookLayer());
    JsonNode golden = new ObjectMapper().readTree(pack.file("golden.json").toFile());
    int[] ids = ints(golden.path("input_ids"));
    int t = ids.length;
    int d = pack.architecture().dModel();
    int v = pack.architecture().vocabSize();
    // the golden steering vector: the feature's decoder row as released, times the coefficient
    float[] row = new float[d];
    float[] wDec = Safetensors.read(pack.file(pack.sae().weightsFile())).get("W_dec").data();
    System.arraycopy(wDec, golden.path("steer_feature").asInt() * d, row, 0, d);
    float coef = (float) golden.path("steer_coefficient").asDouble();
    for (int i = 0; i < d; i++) {
      row[i] *= coef;
    }
    try (OnnxGenerator generator = new OnnxGenerator(pack, 1); SparseAutoencoder onnxSae = new OnnxSparseAutoencoder(pack, 1)) {
      SparseAutoencoder javaSae = new JavaSparseAutoencoder(pack);
      OnnxDecoder decoder = generator.decoder();
      for (String mode : List.of("plain", "steered")) {
        JsonNode g = golden.path(mode);
        String where = model + " " + mode;
        float[] steer = mode.equals("plain") ? null : repeat(row, t);
        long[] lids = new long[t];
        long[] pos = new long[t];
        long[] mask = new long[t];
        for (int i = 0; i < t; i++) {
          lids[i] = ids[i];
          pos[i] = i;
          mask[i] = 1;
        }
        int[] greedy = ints(g.path("greedy_tokens"));
        try (KvCache cache = decoder.newCache(1, t + greedy.length)) {
          float[][] hooks = new float[t][];
          try (OnnxDecoder.Pass pass = decoder.forward(lids, pos, mask, steer, 1, t, cache)) {
            float[] logits = new float[t * v];
            float[] hook = new float[t * d];
            for (int i = 0; i < t; i++) {
              System.arraycopy(pass.logits(0, i), 0, logits, i * v, v);
              hooks[i] = pass.hook(0, i);
              System.arraycopy(hooks[i], 0, hook, i * d, d);
            }
            assertClose(floats(g.path("logits")), logits, where + " prefill logits");
            assertClose(floats(g.path("hook_resid")), hook, where + " prefill hook_resid");
            assertEquals(greedy[0], argmax(pass.logits(0, t - 1)), where + " first greedy token");
          }
          // cached greedy decoding, one token a pass (sliding windows reach past the prompt here)
          for (int s = 0; s < greedy.length; s++) {
            long[] cacheMask = new long[1];
            cacheMask[0] = 1;
            try (OnnxDecoder.Pass step = decoder.forward(new long[] {greedy[s]}, new long[] {t + s}, cacheMask,
                steer == null ? null : row, 1, 1, cache)) {
              assertClose(floats(g.path("decode_logits").get(s)), step.logits(0, 0), where + " decode step " + s);
              if (s + 1 < greedy.length) {
                assertEquals(greedy[s + 1], argmax(step.logits(0, 0)), where + " greedy token " + (s + 1));
              }
            }
          }
          for (SparseAutoencoder sae : List.of(onnxSae, javaSae)) {
            List<SparseCodes> codes = sae.encode(hooks);
            for (int i = 0; i < t; i++) {
              String what = where + " " + pack.sae().kind() + " SAE codes at " + i + " (" + sae.getClass().getSimpleName() + ")";
              assertArrayEquals(ints(g.path("sae_ids").get(i)), codes.get(i).ids(), what);
              assertClose(floats(g.path("sae_values").get(i)), codes.get(i).values(), what);
            }
          }
        }
      }
    }
  }

  @Test
  void fp16WeightsLiveInExternalDataAndTheManifestKeepsTheCheckpointsFacts() {
    ModelPack qwen = pack("qwen2");
    assertTrue(qwen.files().containsKey("model.onnx.data"), qwen.files().keySet().toString());
    assertEquals(List.of(2), qwen.eosTokenIds());
    assertEquals(false, qwen.addBos());
    ModelPack llama = pack("llama");
    assertEquals("jumprelu", llama.sae().kind());
    assertEquals(false, llama.sae().inputMinusBDec());
    assertEquals("topk", qwen.sae().kind());
    assertEquals(true, qwen.sae().inputMinusBDec());
    assertEquals("relu", pack("mistral").sae().kind());
  }

  @Test
  void generationStopsAtAnEndOfSequenceTokenWithoutKeepingIt() throws Exception {
    ModelPack llama = pack("llama");
    Path copy = out.resolve("llama-eos");
    String prompt = llama.prompt("Tom has 3 pens. He buys 4 more. How many pens?");
    int[] free;
    try (OnnxGenerator g = new OnnxGenerator(withEos(llama, copy.resolve("none"), List.of()), 1)) {
      free = g.generate(List.of(GenerationRequest.greedy(prompt, 10))).get(0).tokens();
    }
    assertEquals(10, free.length);
    int at = 1; // the first token not seen before it
    while (at < free.length && contains(free, at, free[at])) {
      at++;
    }
    assertTrue(at < free.length, "greedy tokens repeat: " + java.util.Arrays.toString(free));
    try (OnnxGenerator g = new OnnxGenerator(withEos(llama, copy.resolve("eos"), List.of(free[at])), 1)) {
      GenerationResult r = g.generate(List.of(GenerationRequest.greedy(prompt, 10))).get(0);
      assertArrayEquals(java.util.Arrays.copyOf(free, at), r.tokens());
      assertEquals(GenerationResult.FinishReason.STOP, r.finishReason());
      assertEquals(at, r.hookResiduals().length);
    }
  }

  /** A copy of the pack whose manifest names other end-of-sequence tokens. */
  static ModelPack withEos(ModelPack pack, Path dir, List<Integer> eos) throws Exception {
    Files.createDirectories(dir);
    for (String f : pack.files().keySet()) {
      Files.copy(pack.file(f), dir.resolve(f));
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode m = (ObjectNode) json.readTree(pack.file(ModelPack.MANIFEST).toFile());
    var ids = m.putArray("eos_token_ids");
    eos.forEach(ids::add);
    json.writeValue(dir.resolve(ModelPack.MANIFEST).toFile(), m);
    return ModelPack.load(dir);
  }

  static boolean contains(int[] a, int before, int x) {
    for (int i = 0; i < before; i++) {
      if (a[i] == x) {
        return true;
      }
    }
    return false;
  }

  static float[] repeat(float[] row, int times) {
    float[] out = new float[row.length * times];
    for (int i = 0; i < times; i++) {
      System.arraycopy(row, 0, out, i * row.length, row.length);
    }
    return out;
  }

  static int argmax(float[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      best = x[i] > x[best] ? i : best;
    }
    return best;
  }

  /** Absolute 1e-4, relative to the reference's scale where values exceed 1 (logits of tens). */
  static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = 0;
    double scale = 1;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    assertTrue(worst <= GoldenParityTest.TOL * scale, what + ": max abs difference " + worst + " > " + GoldenParityTest.TOL + " x " + scale);
  }
}
