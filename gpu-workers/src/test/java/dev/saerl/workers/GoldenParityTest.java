package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.KvCache;
import dev.saerl.workers.inference.OnnxDecoder;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import dev.saerl.workers.sae.SparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Java on ONNX Runtime reproduces the foundry's PyTorch reference outputs (golden.json) of the bundled pack. */
class GoldenParityTest {
  static final double TOL = 1e-4;
  static ModelPack pack;
  static OnnxGenerator generator;
  static JsonNode golden;
  static SparseAutoencoder onnxSae;
  static SparseAutoencoder javaSae;

  @BeforeAll
  static void load() throws Exception {
    pack = ModelPack.load(BundledPack.dir());
    generator = new OnnxGenerator(pack, 1);
    golden = new ObjectMapper().readTree(pack.file("golden.json").toFile());
    onnxSae = new OnnxSparseAutoencoder(pack, 1);
    javaSae = new JavaSparseAutoencoder(pack);
  }

  @AfterAll
  static void close() {
    generator.close();
    onnxSae.close();
  }

  float[] steerVector() {
    float[] dir = javaSae.direction(golden.path("steer_feature").asInt());
    float coef = (float) golden.path("steer_coefficient").asDouble();
    for (int i = 0; i < dir.length; i++) {
      dir[i] *= coef;
    }
    return dir;
  }

  @Test
  void tokenizerMatchesThePythonIds() {
    for (JsonNode c : golden.path("cases")) {
      assertArrayEquals(ints(c.path("input_ids")), generator.tokenizer().encode(c.path("prompt").asText(), true));
    }
  }

  @Test
  void prefillAndCachedDecodeMatchLogitsAndHookResidualsWithAndWithoutSteering() {
    int d = pack.architecture().dModel();
    int v = pack.architecture().vocabSize();
    for (JsonNode c : golden.path("cases")) {
      for (String mode : List.of("plain", "steered")) {
        JsonNode g = c.path(mode);
        int[] ids = ints(c.path("input_ids"));
        int t = ids.length;
        long[] lids = new long[t];
        long[] pos = new long[t];
        long[] mask = new long[t];
        for (int i = 0; i < t; i++) {
          lids[i] = ids[i];
          pos[i] = i;
          mask[i] = 1;
        }
        float[] steer = null;
        if (mode.equals("steered")) {
          steer = new float[t * d];
          for (int i = 0; i < t; i++) {
            System.arraycopy(steerVector(), 0, steer, i * d, d);
          }
        }
        OnnxDecoder decoder = generator.decoder();
        try (KvCache cache = decoder.newCache(1, t + 1); OnnxDecoder.Pass pass = decoder.forward(lids, pos, mask, steer, 1, t, cache)) {
          float[] logits = new float[t * v];
          float[] hook = new float[t * d];
          for (int i = 0; i < t; i++) {
            System.arraycopy(pass.logits(0, i), 0, logits, i * v, v);
            System.arraycopy(pass.hook(0, i), 0, hook, i * d, d);
          }
          assertClose(floats(g.path("logits")), logits, mode + " logits");
          assertClose(floats(g.path("hook_resid")), hook, mode + " hook_resid");
          float[] steer1 = steer == null ? null : steerVector();
          try (OnnxDecoder.Pass step = decoder.forward(new long[] {g.path("decode_token").asInt()}, new long[] {t},
              new long[] {1}, steer1, 1, 1, cache)) {
            assertClose(floats(g.path("decode_logits")), step.logits(0, 0), mode + " cached decode logits");
            assertClose(floats(g.path("decode_hook_resid")), step.hook(0, 0), mode + " cached decode hook");
          }
          // SAE codes of the prefill residuals, both implementations
          float[][] rows = new float[t][];
          for (int i = 0; i < t; i++) {
            rows[i] = pass.hook(0, i);
          }
          for (SparseAutoencoder sae : List.of(onnxSae, javaSae)) {
            List<SparseCodes> codes = sae.encode(rows);
            for (int i = 0; i < t; i++) {
              assertArrayEquals(ints(g.path("sae_ids").get(i)), codes.get(i).ids(), mode + " SAE ids at " + i + " (" + sae.getClass().getSimpleName() + ")");
              assertClose(floats(g.path("sae_values").get(i)), codes.get(i).values(), mode + " SAE values at " + i);
            }
          }
        }
      }
    }
  }

  @Test
  void greedyGenerationGivesTheSameTokensWithAndWithoutSteering() {
    int max = golden.path("max_new_tokens").asInt();
    for (JsonNode c : golden.path("cases")) {
      GenerationRequest plain = GenerationRequest.greedy(c.path("prompt").asText(), max);
      List<GenerationResult> r = generator.generate(List.of(plain, plain.withSteering(Steering.everywhere(steerVector()))));
      assertEquals(c.path("plain").path("greedy_completion").asText(), r.get(0).text());
      assertArrayEquals(ints(c.path("plain").path("greedy_tokens")), r.get(0).tokens());
      assertEquals(c.path("steered").path("greedy_completion").asText(), r.get(1).text());
      assertEquals(r.get(0).tokens().length, r.get(0).hookResiduals().length);
    }
  }

  static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    assertTrue(worst <= TOL, what + ": max abs difference " + worst + " > " + TOL);
  }

  static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }

  static float[] floats(JsonNode a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) a.get(i).asDouble();
    }
    return out;
  }
}
