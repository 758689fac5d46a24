package dev.saerl.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A reduced `saerl gates` on the two bundled organisms (models/modes and models/modes-null), read
 * back from its JSON. It asserts what the organisms and the gates' machinery must show even at
 * this size; the full figures are in the closing note and docs/experiment.md.
 */
@Tag("integration")
class GatesCommandTest {
  @TempDir
  static Path dir;

  static JsonNode doc;
  static int exit;

  static Path repo() {
    return Path.of(System.getProperty("saerl.repo.root", ".."));
  }

  @BeforeAll
  static void run() throws Exception {
    Path json = dir.resolve("gates.json");
    Path root = repo();
    exit = new CommandLine(new GatesCommand()).execute("--pack", root.resolve("models/modes").toString(),
        "--dataset", root.resolve("datasets/modes.jsonl").toString(),
        "--null", root.resolve("models/modes-null").toString(),
        "--null-dataset", root.resolve("datasets/modes-null.jsonl").toString(),
        "--queries", "32", "--samples", "4", "--critical", "4", "--null-splits", "2", "--test-time-samples", "2",
        "--json", json.toString());
    doc = new ObjectMapper().readTree(json.toFile());
  }

  static JsonNode gate(JsonNode gates, String id) {
    for (JsonNode g : gates) {
      if (g.path("id").asText().equals(id)) {
        return g;
      }
    }
    throw new AssertionError("no gate " + id + " in " + gates);
  }

  @Test
  void everyGateIsReportedInOrderWithItsFigureAndThresholdAndTheExitCodeFollowsThem() {
    for (JsonNode gates : List.of(doc.path("gates"), doc.path("null").path("gates"))) {
      List<String> ids = new ArrayList<>();
      gates.forEach(g -> ids.add(g.path("id").asText()));
      assertEquals(List.of("G1", "G2", "G3", "G4", "G5", "G6", "T1"), ids);
      for (String id : ids.subList(0, 6)) {
        assertTrue(gate(gates, id).path("pass").isBoolean(), id + " has a verdict");
        assertTrue(gate(gates, id).path("threshold").isTextual(), id + " has a threshold");
      }
      for (String id : List.of("G1", "G2", "G3", "G4", "G6")) { // G5 has no figure when no plan was validated
        assertTrue(gate(gates, id).path("value").isNumber(), id + " has a figure");
      }
    }
    boolean anyFailed = false;
    for (JsonNode gates : List.of(doc.path("gates"), doc.path("null").path("gates"))) {
      for (JsonNode g : gates) {
        anyFailed |= g.path("pass").isBoolean() && !g.path("pass").asBoolean();
      }
    }
    assertEquals(anyFailed ? 1 : 0, exit);
  }

  @Test
  void zeroStrengthReproducesTheTokensAndZeroingTheHookDestroysTheAnswers() {
    for (JsonNode gates : List.of(doc.path("gates"), doc.path("null").path("gates"))) {
      JsonNode g6 = gate(gates, "G6").path("details");
      assertEquals(1.0, g6.path("strength0_identical_cached").asDouble(), "cached, strength 0 = unsteered, bit for bit");
      assertEquals(1.0, g6.path("strength0_identical_two_pass").asDouble(), "two passes, strength 0 = unsteered, bit for bit");
      assertTrue(g6.path("edited_generation_matches_generator").asDouble() >= 0.9, g6.toString());
      assertTrue(g6.path("accuracy_hook_zeroed").asDouble() < 0.1, g6.toString());
      assertTrue(g6.path("cache_vs_no_cache_identical").asDouble() >= 0.9, g6.toString());
    }
  }

  /** G4's ranking sees only correct/incorrect verdicts; the mode labels only judge it here. */
  @Test
  void theUnlabelledPairedContrastRanksModeLatentsFirstOnModes() {
    JsonNode g4 = gate(doc.path("gates"), "G4").path("details");
    java.util.Map<Integer, Double> auroc = new java.util.TreeMap<>();
    g4.path("candidates").forEach(c -> {
      if (c.has("feature")) {
        auroc.put(c.path("feature").asInt(), c.path("mode_auroc_fit_half").asDouble());
      }
    });
    assertEquals(8, auroc.size(), g4.toString());
    // at this size most latents that vary at that position are mode-related, so the margin over random
    // verdicts is read in the mean (random verdicts gave 0.935 and 6 of 8 above 0.85; these give 0.984, 8)
    double mean = auroc.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    long modeLatents = auroc.values().stream().filter(a -> a >= 0.85).count();
    assertTrue(mean >= 0.95 && modeLatents >= 7, "mean mode AUROC " + mean + ", " + modeLatents + " of 8 above 0.85: " + auroc);
  }

  /**
   * G4 regenerates B's incorrect samples on a fresh attempt stream: on a sample's own stream the
   * unsteered resample replays its wrong chain and fixes nothing, and a candidate that merely
   * changes the chain would beat a random direction the model shrugs off.
   */
  @Test
  void discoveryValidatesOnAFreshAttemptStreamWhereAResampleCanFixAWrongChain() {
    for (JsonNode gates : List.of(doc.path("gates"), doc.path("null").path("gates"))) {
      JsonNode g4 = gate(gates, "G4").path("details");
      int wrong = g4.path("select_b_incorrect_samples").asInt();
      int resampled = g4.path("b_fixed_by_unsteered_resample").asInt(-1);
      assertTrue(wrong > 0 && resampled > 0 && resampled < wrong, "resample fixed " + resampled + " of " + wrong + ": " + g4);
    }
  }

  /**
   * T1 samples held-out problems only (UNKNOWN, outside the block), is reported without a verdict,
   * and on modes the oracle at the first answer token raises pass@1 there: an effect on answers it
   * never saw, not on the vector.
   */
  @Test
  void testTimeSteeringIsReportedNotGatedAndTheOracleLiftsHeldOutProblemsOnModes() {
    for (JsonNode gates : List.of(doc.path("gates"), doc.path("null").path("gates"))) {
      JsonNode t1 = gate(gates, "T1");
      assertTrue(t1.path("pass").isNull(), t1.toString());
      assertEquals("reported, not gated", t1.path("threshold").asText());
      assertTrue(t1.path("details").path("problems").asInt() >= 50, t1.toString());
    }
    JsonNode oracle = gate(doc.path("gates"), "T1").path("details").path("oracle");
    assertTrue(oracle.path("difference_points").asDouble() >= 10 && oracle.path("signed_rank_p").asDouble() < 0.01,
        oracle.toString());
  }

  @Test
  void theHeldOutProblemsLieOutsideTheBlockAndAreAboutTheUnknownShare() throws Exception {
    List<dev.saerl.workers.gates.ModeGates.Problem> all = GatesCommand.problems(repo().resolve("datasets/modes.jsonl"));
    var block = all.subList(40, 160);
    var held = GatesCommand.heldOut(all, 40, 120);
    assertTrue(held.stream().noneMatch(block::contains), "no problem of the block is held out");
    double share = (double) held.size() / (all.size() - block.size());
    assertTrue(share > 0.2 && share < 0.4, "UNKNOWN is 0.3 of the groups: " + held.size() + " of " + (all.size() - block.size()));
  }

  @Test
  void theStyleIsDecodableAtTheFirstAnswerTokenInBothOrganisms() {
    for (JsonNode gates : List.of(doc.path("gates"), doc.path("null").path("gates"))) {
      JsonNode g2 = gate(gates, "G2");
      assertTrue(g2.path("value").asDouble() >= 0.95, g2.toString());
      double careful = g2.path("details").path("careful_share").asDouble();
      assertTrue(careful > 0.2 && careful < 0.8, "both modes are sampled: careful share " + careful);
    }
  }
}
