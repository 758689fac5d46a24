package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the foundry end to end at toy size (train, SAE, export, SFT, DPO) with Debian's
 * python3-torch, then loads every pack it wrote in Java and generates with it.
 */
@Tag("integration")
class FoundrySmokeTest {
  @TempDir
  Path out;

  @Test
  void theFoundryWritesPacksTheJavaRuntimeAccepts() throws Exception {
    BundledPack.runFoundry("foundry.smoke", out);
    for (String name : List.of("base", "sft", "dpo")) {
      ModelPack pack = ModelPack.load(out.resolve(name));
      try (OnnxGenerator g = new OnnxGenerator(pack, 1)) {
        var r = g.generate(List.of(GenerationRequest.greedy(pack.prompt("Mia has 2 apples. How many?"), 8))).get(0);
        assertTrue(r.tokens().length > 0, name);
      }
      if (!name.equals("base")) {
        assertEquals("smoke-v1", pack.parentVersion());
      }
    }
  }
}
