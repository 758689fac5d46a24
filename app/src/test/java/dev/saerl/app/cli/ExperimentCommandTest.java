package dev.saerl.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.producers.ingest.Split;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A reduced `saerl experiment` on models/modes (one seed, one round, a few samples, a few trainer
 * steps), read back from its JSON and its shards: the table has the fields, every trained
 * row is a KNOWN-train sample, STaR got at least the steered arm's generated tokens, the
 * plausibility filter keeps out of training the openings only the push writes, and every RPO pair
 * is a right chain against a wrong one by the dataset's own answers. The full tables are in
 * docs/finetune.md.
 */
@Tag("integration")
class ExperimentCommandTest {
  @TempDir
  static Path dir;

  static JsonNode doc;
  static int exit;

  @BeforeAll
  static void run() throws Exception {
    Path root = GatesCommandTest.repo();
    Path json = dir.resolve("experiment.json");
    exit = new CommandLine(new ExperimentCommand()).execute("--pack", root.resolve("models/modes").toString(),
        "--dataset", root.resolve("datasets/modes.jsonl").toString(), "--seeds", "1", "--rounds", "1",
        "--samples", "2", "--eval-samples", "2", "--plan-samples", "8", "--trainer-steps", "4", "--min-token-prob", "0.001", "--rpo",
        "--work", dir.resolve("work").toString(), "--json", json.toString());
    doc = new ObjectMapper().readTree(json.toFile());
  }

  @Test
  void everyRowHasTheTablesFieldsAndTheBaseComesFirst() {
    assertEquals(0, exit);
    JsonNode rows = doc.path("rows");
    assertTrue(rows.size() >= 2, "the base and STaR at least: " + rows);
    assertEquals("base", rows.get(0).path("kind").asText());
    for (JsonNode r : rows) {
      for (String f : List.of("arm", "kind", "round", "seed", "version", "pass_at_1", "ci_low", "ci_high", "greedy",
          "compute_flops", "p_vs_base", "p_vs_star")) {
        assertTrue(r.has(f), "row " + r + " has " + f);
      }
      assertTrue(List.of("base", "baseline", "saerl").contains(r.path("kind").asText()), r.toString());
      double p = r.path("pass_at_1").asDouble();
      assertTrue(p >= 0 && p <= 1, r.toString());
      if (!r.path("kind").asText().equals("base")) {
        assertTrue(r.path("compute_flops").asDouble() > 0, "a trained arm's compute is counted: " + r);
        assertTrue(r.path("p_vs_base").isNumber(), r.toString());
      }
    }
  }

  @Test
  void starGetsAtLeastTheSteeredArmsGeneratedTokens() {
    JsonNode steered = null;
    JsonNode star = null;
    for (JsonNode r : doc.path("rows")) {
      if (r.path("arm").asText().equals("steered-star")) {
        steered = r;
      } else if (r.path("arm").asText().equals("star")) {
        star = r;
      }
    }
    assertTrue(star != null, "a STaR row");
    assertTrue(doc.path("plans").get(0).path("found").asBoolean(), "the organism's plan is found at 8 samples: " + doc.path("plans"));
    assertTrue(steered != null, "a steered STaR row when the plan was found");
    assertTrue(star.path("generated_tokens").asLong() >= steered.path("generated_tokens").asLong(),
        "STaR " + star.path("generated_tokens") + " vs steered " + steered.path("generated_tokens"));
    assertTrue(steered.path("p_vs_star").isNumber(), steered.toString());
  }

  @Test
  void everyShardRowIsAKnownTrainProblem() throws Exception {
    List<Path> shards;
    try (Stream<Path> files = Files.list(dir.resolve("work").resolve("shards"))) {
      shards = files.toList();
    }
    assertFalse(shards.isEmpty(), "the arms wrote shards");
    ObjectMapper json = new ObjectMapper();
    List<String> outside = new ArrayList<>();
    int rows = 0;
    for (Path shard : shards) {
      for (String line : Files.readAllLines(shard)) {
        JsonNode row = json.readTree(line);
        String group = row.path("group_id").asText();
        if (Split.DEFAULT.of(group) != dev.saerl.schemas.avro.Split.KNOWN) {
          outside.add(shard.getFileName() + ": " + group + " is " + Split.DEFAULT.of(group));
        }
        rows++;
      }
    }
    assertTrue(rows > 0, "some rows were trained on");
    assertEquals(List.of(), outside, "every row's group is KNOWN-train");
  }

  /**
   * RPO's pairs, judged by the dataset's reference answers (not by the labels the experiment
   * computed): the chosen chain ends in the problem's answer and the rejected one does not, and the
   * arm's row counts the reference's forward passes.
   */
  @Test
  void everyRpoPairIsARightChainAgainstAWrongOne() throws Exception {
    Path root = GatesCommandTest.repo();
    ObjectMapper json = new ObjectMapper();
    java.util.Map<String, String> answers = new java.util.HashMap<>();
    for (String line : Files.readAllLines(root.resolve("datasets/modes.jsonl"))) {
      JsonNode q = json.readTree(line);
      answers.put(q.path("group_id").asText(), q.path("answer").asText());
    }
    Path shard = dir.resolve("work").resolve("shards").resolve("modes-rpo-s1-r1.jsonl");
    assertTrue(Files.exists(shard), "the RPO arm trained");
    List<String> wrong = new ArrayList<>();
    int pairs = 0;
    for (String line : Files.readAllLines(shard)) {
      JsonNode row = json.readTree(line);
      String answer = answers.get(row.path("group_id").asText());
      if (!answer.equals(finalAnswer(row.path("chosen").asText())) || answer.equals(finalAnswer(row.path("rejected").asText()))) {
        wrong.add(answer + ": " + row);
      }
      pairs++;
    }
    assertTrue(pairs > 0, "some pairs");
    assertEquals(0, wrong.size(), wrong.size() + " of " + pairs + " pairs have a chosen chain that is not right or a "
        + "rejected one that is, e.g. " + wrong.subList(0, Math.min(3, wrong.size())));
    JsonNode rpo = null;
    for (JsonNode r : doc.path("rows")) {
      if (r.path("arm").asText().equals("rpo")) {
        rpo = r;
      }
    }
    assertTrue(rpo != null, "an RPO row");
    assertEquals(pairs, rpo.path("shard_rows").asInt(), rpo.toString());
    assertTrue(rpo.path("forward_tokens").asLong() > 0 && rpo.path("p_vs_star").isNumber(), rpo.toString());
  }

  private static String finalAnswer(String chain) {
    var m = java.util.regex.Pattern.compile("The answer is (-?\\d+)").matcher(chain);
    return m.find() ? m.group(1) : null;
  }

  /**
   * The plan's push at the first answer token makes about half of the organism's steered samples
   * open with a digit in place of the careful marker's first letter ("4areful: ...", measured on
   * the full run); with --min-token-prob (tokens the unsteered parent finds implausible) none is
   * trained on.
   */
  @Test
  void steeredStarTrainsOnNoOpeningOnlyThePushWrites() throws Exception {
    Path shard = dir.resolve("work").resolve("shards").resolve("modes-steered-star-s1-r1.jsonl");
    assertTrue(Files.exists(shard), "the steered arm trained");
    ObjectMapper json = new ObjectMapper();
    List<String> pushed = new ArrayList<>();
    for (String line : Files.readAllLines(shard)) {
      String completion = json.readTree(line).path("completion").asText();
      if (completion.matches("(?s)\\dareful:.*")) {
        pushed.add(completion);
      }
    }
    assertEquals(List.of(), pushed, "trained on openings the unsteered model does not write");
  }
}
