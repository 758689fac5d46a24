package dev.saerl.app.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.finetune.TrainerCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-command loop at a reduced size: every stage runs for real (broker, registry, Streams, ONNX, PyTorch trainer). */
@Tag("integration")
class DemoTest {
  @TempDir
  Path dir;

  @Test
  void aReducedDemoRunsEveryStageAndWritesTheTableAndReport() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Demo demo;
    Path report;
    // the examiner: saerl serve on the bundled pack (its labels are sums, not labels; the plumbing is what is tested)
    try (var serve = dev.saerl.app.serve.OpenAiServer.start(dev.saerl.workers.pack.ModelPack.load(root.resolve("models/arith")), 1,
        dev.saerl.app.serve.OpenAiServer.Config.loopback(0))) {
      demo = new Demo(new Demo.Settings(dir.resolve("demo"), root.resolve("models/arith"),
          root.resolve("datasets/arith.jsonl"), 90, 1, 2, 4, 3, 2, 12, List.of(0.1f), 1, TrainerCommand.foundry(root, 2),
          java.net.URI.create(serve.url()), 2, dir.resolve("table.json")), new PrintStream(console, true, StandardCharsets.UTF_8));
      report = demo.run();
    }
    String out = console.toString(StandardCharsets.UTF_8);
    List<String> arms = demo.rows().stream().map(Demo.Row::arm).toList();
    assertEquals("base", arms.get(0));
    assertTrue(arms.containsAll(List.of("feature-rl", "random-direction", "star")), "arms " + arms + "\n" + out);
    assertTrue(out.contains("UNKNOWN accuracy [95% CI]"), out);
    demo.rows().forEach(r -> assertEquals(demo.rows().get(0).unknown().getTrials(), r.unknown().getTrials(),
        "every version scored on the same UNKNOWN queries"));
    assertEquals(1, demo.testTime().size(), out);
    var t = demo.testTime().get(0).planVsUnsteered();
    assertEquals(demo.rows().get(0).unknown().getTrials(), t.queries(), "the test-time row samples the same UNKNOWN queries");
    assertTrue(out.contains("test-time steering, round 1"), out);
    String html = Files.readString(report);
    assertTrue(html.contains("<svg") && html.contains("feature-rl") && html.contains("Top features"), "report has plots and features");
    assertTrue(html.contains("Test-time steering (no training)"), "report has the test-time row");
    assertTrue(Files.exists(dir.resolve("demo/packs/arith-r1-feature-rl/manifest.json")), "adapter version is a pack");
    // --json: the rows of saerl experiment's table, each arm of its kind, McNemar against the base and the round's STaR
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("table.json").toFile()).path("rows");
    assertEquals(demo.rows().size(), json.size(), json.toString());
    for (int i = 0; i < json.size(); i++) {
      var j = json.get(i);
      Demo.Row r = demo.rows().get(i);
      assertEquals(r.arm(), j.path("arm").asText());
      assertEquals(r.unknown().getRate(), j.path("greedy").asDouble(), 1e-12);
      for (String f : List.of("kind", "round", "seed", "version", "pass_at_1", "ci_low", "ci_high", "compute_flops",
          "p_vs_base", "p_vs_star")) {
        assertTrue(j.has(f), j + " has " + f);
      }
      String kind = switch (r.arm()) {
        case "base" -> "base";
        case "star", "resample-dpo" -> "baseline";
        case "random-direction" -> "control";
        default -> "saerl";
      };
      assertEquals(kind, j.path("kind").asText(), j.toString());
      assertEquals(i == 0, j.path("p_vs_base").isNull(), j.toString());
      assertEquals(r.arm().equals("base") || r.arm().equals("star"), j.path("p_vs_star").isNull(), j.toString());
    }
    assertTrue(html.matches("(?s).*&ldquo;.*&rdquo; \\([0-9]+% of [0-9]+; arith-base-v1\\).*"),
        "the examiner's labels with their detection scores and model are in the report");
  }

  @Test
  void acceptanceIsAPairedSignTest() {
    boolean[] current = new boolean[100];
    boolean[] candidate = new boolean[100];
    for (int i = 0; i < 10; i++) {
      candidate[i] = true; // 10 wins, 0 losses: 10 >= 2 sqrt(10) = 6.3
    }
    assertTrue(Demo.beats(candidate, current));
    for (int i = 10; i < 16; i++) {
      current[i] = true; // 10 wins, 6 losses: 4 < 2 sqrt(16) = 8
    }
    assertTrue(!Demo.beats(candidate, current));
    assertTrue(!Demo.beats(current, current), "a tie never replaces the current version");
  }
}
