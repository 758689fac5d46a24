package dev.saerl.app.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.finetune.Evaluator;
import dev.saerl.workers.pack.ModelPack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
  @TempDir
  Path dir;

  private static Demo.Row row(int round, String arm, boolean... ok) {
    return new Demo.Row(round, arm, "gsm8k-r" + round + "-" + arm, 0.5, Evaluator.accuracy("gsm8k", "v", null, arm, round, ok), false, "", ok);
  }

  @Test
  void everyFigureNamesTheDatasetWhatWasMeasuredOnHowManyAndGivesEachArmOneColour() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    ModelPack pack = ModelPack.load(root.resolve("models/arith"));
    List<Demo.Row> rows = List.of(row(0, "base", true, false, true), row(1, "feature-rl", true, true, true), row(1, "dpo", false, false, true));
    List<Demo.FixRate> fix = List.of(new Demo.FixRate(1, "plan", 3, 10, null, null, null),
        new Demo.FixRate(1, "random_direction", 1, 10, 1L, 3L, 0.625));
    Path file = dir.resolve("report.html");
    Report.write(file, new Report.Run("gsm8k", Path.of("datasets/gsm8k.jsonl"), pack, dir), rows, fix, List.of(), "http://127.0.0.1:9/",
        List.of());
    String html = Files.readString(file);
    assertTrue(html.contains("<h1>saerl demo report: gsm8k</h1>"), "dataset in the title");
    assertTrue(html.contains("Accuracy on the same 3 UNKNOWN queries of gsm8k"), "what and on how many");
    assertTrue(html.contains("round 1 plan (n=10)"), "fix bars say on how many samples");
    assertTrue(html.contains("Top features of gsm8k"), "features of this dataset");
    assertTrue(html.contains("<td>1:3, p 0.625</td>"), "the control against the plan on the same samples");
    // the legend, the bars and the table swatches all use the arm's one colour
    assertTrue(html.contains("fill=\"" + Report.colour("feature-rl") + "\">feature-rl</text>"), "legend colour");
    assertTrue(html.matches("(?s).*<rect x=\"[0-9]+\" y=\"[0-9.]+\" width=\"[0-9.]+\" height=\"18\" fill=\""
        + Report.colour("random_direction") + "\"/>.*"), "fix bar colour");
    assertTrue(html.contains("background:" + Report.colour("dpo") + "\"></span>dpo"), "table swatch colour");
    assertEquals(Report.colour("random-direction"), Report.colour("random_direction"), "one concept, one colour");
    assertTrue(!Report.colour("feature-rl").equals(Report.colour("dpo")) && !Report.colour("plan").equals(Report.colour("unsteered")));
  }

  @Test
  void theSameStepFromSeveralSamplesIsShownOnce() throws Exception {
    var examples = new ObjectMapper().readTree("""
        [{"activation": 3.0, "text": " 12 + 7 = 19."}, {"activation": 2.9, "text": "12 + 7 = 19."},
         {"activation": 2.8, "text": " 12 + 7 = 19."}, {"activation": 2.0, "text": " 19 * 2 = 38."},
         {"activation": 1.0, "text": " The answer is 38."}, {"activation": 0.5, "text": " 5 - 1 = 4."}]""");
    List<String> shown = Report.distinctSteps(examples, 3).stream().map(e -> e.get("text").asText()).toList();
    assertEquals(List.of(" 12 + 7 = 19.", " 19 * 2 = 38.", " The answer is 38."), shown);
  }
}
