package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.GoldenCheck;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import dev.saerl.workers.sae.SparseAutoencoder;
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
  void prefillAndCachedDecodeMatchLogitsHookResidualsAndSaeCodesWithAndWithoutSteering() {
    GoldenCheck.Report report = GoldenCheck.run(pack, generator.decoder(), List.of(onnxSae, javaSae));
    assertEquals(List.of(), report.mismatches());
    // 2 cases x 2 modes x (prefill logits and hook, one decode step's logits and hook, 2 SAEs)
    assertEquals(24, report.differences().size());
    for (GoldenCheck.Difference d : report.differences()) {
      assertTrue(d.maxAbs() <= TOL, d.toString()); // absolute 1e-4: the bundled model's logits are small
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

  static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }
}
