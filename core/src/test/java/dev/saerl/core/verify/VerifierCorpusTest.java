package dev.saerl.core.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The labelled corpus in {@code verify/cases.jsonl}: one case a line, {@code {class, reference,
 * response, correct, why}} and, where the bound is the point, {@code outcome}. The labels were
 * written by reasoning about the mathematics, not by running the verifier. A case the verifier is
 * known to get wrong carries {@code known_limitation}: it counts against agreement and is listed,
 * but does not fail the test (until it starts to agree, when the label must be updated). Prints agreement per
 * class (surefire keeps it in {@code target/surefire-reports/*VerifierCorpusTest-output.txt}) and
 * the time per 1,000 verifications; the timing is reported, never asserted.
 */
class VerifierCorpusTest {
  /** {@code knownLimitation}: why the verifier is known to get this case wrong; such a case is counted, not failed. */
  record Case(int line, String answerClass, String reference, String response, boolean correct, String outcome,
      String why, String knownLimitation) {}

  static List<Case> corpus() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Case> cases = new ArrayList<>();
    try (var in = VerifierCorpusTest.class.getResourceAsStream("/verify/cases.jsonl");
         BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      int n = 0;
      for (String line; (line = r.readLine()) != null; ) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode c = json.readTree(line);
        cases.add(new Case(n, c.path("class").asText(), c.path("reference").asText(), c.path("response").asText(),
            c.path("correct").asBoolean(), c.hasNonNull("outcome") ? c.get("outcome").asText() : null,
            c.path("why").asText(), c.hasNonNull("known_limitation") ? c.get("known_limitation").asText() : null));
      }
    }
    return cases;
  }

  @Test
  void everyLabelledCaseAgreesAndAgreementIsReportedPerClass() throws IOException {
    List<Case> cases = corpus();
    Map<String, int[]> byClass = new TreeMap<>(); // class -> {agree, total, positives, negatives}
    List<String> disagreements = new ArrayList<>();
    List<String> knownMisses = new ArrayList<>();
    for (Case c : cases) {
      Verifier.Result r = Verifier.verify(c.reference(), c.response());
      boolean agrees = r.correct() == c.correct() && (c.outcome() == null || c.outcome().equals(r.outcome().name()));
      int[] counts = byClass.computeIfAbsent(c.answerClass(), k -> new int[4]);
      counts[0] += agrees ? 1 : 0;
      counts[1]++;
      counts[c.correct() ? 2 : 3]++;
      String what = "line " + c.line() + " [" + c.answerClass() + "] " + c.reference() + " vs " + c.response()
          + ": labelled " + c.correct() + (c.outcome() == null ? "" : "/" + c.outcome()) + ", got " + r + " (" + c.why() + ")";
      if (c.knownLimitation() != null) {
        knownMisses.add((agrees ? "now agrees, relabel: " : "known limitation, " + c.knownLimitation() + ": ") + what);
        if (agrees) {
          disagreements.add("a known limitation that now agrees; drop its known_limitation: " + what);
        }
      } else if (!agrees) {
        disagreements.add(what);
      }
    }
    StringBuilder report = new StringBuilder("verifier corpus agreement by class (agree/total, positives+negatives):\n");
    int agree = 0;
    for (var e : byClass.entrySet()) {
      int[] k = e.getValue();
      agree += k[0];
      report.append(String.format("  %-11s %3d/%3d  (%d+%d)%n", e.getKey(), k[0], k[1], k[2], k[3]));
    }
    report.append(String.format("  %-11s %3d/%3d%n", "all", agree, cases.size()));
    knownMisses.forEach(m -> report.append("  ").append(m).append('\n'));
    System.out.print(report);
    writeReport("verify-corpus.txt", report + String.join("\n", disagreements) + "\n");
    assertTrue(cases.size() >= 300, "the corpus has at least 300 cases, has " + cases.size());
    byClass.forEach((cls, k) -> assertTrue(k[2] > 0 && k[3] > 0 || cls.equals("timeout"),
        cls + " needs positives and negatives"));
    assertEquals(List.of(), disagreements);
  }

  @Test
  void timePerThousandVerificationsIsReported() throws IOException {
    List<Case> cases = corpus();
    List<String[]> gsm8k = gsm8kSolutions();
    for (int warm = 0; warm < 3; warm++) {
      run(cases);
      runGsm8k(gsm8k);
    }
    long t0 = System.nanoTime();
    int n = 0;
    for (int round = 0; round < 5; round++) {
      n += run(cases);
    }
    double corpusMs = (System.nanoTime() - t0) / 1e6 / n * 1_000;
    long t1 = System.nanoTime();
    int m = runGsm8k(gsm8k);
    double gsm8kMs = (System.nanoTime() - t1) / 1e6 / m * 1_000;
    String line = String.format("verifier: %.1f ms per 1,000 verifications on the corpus (%d runs), %.1f ms per 1,000 on "
        + "GSM8K reference solutions (%d runs)%n", corpusMs, n, gsm8kMs, m);
    System.out.print(line);
    writeReport("verify-timing.txt", line);
  }

  private static int run(List<Case> cases) {
    for (Case c : cases) {
      Verifier.verify(c.reference(), c.response());
    }
    return cases.size();
  }

  private static int runGsm8k(List<String[]> solutions) {
    for (String[] s : solutions) {
      Verifier.verify(s[0], s[1]);
    }
    return solutions.size();
  }

  private static List<String[]> gsm8kSolutions() throws IOException {
    Path file = Path.of(System.getProperty("saerl.repo.root", "..")).resolve("testdata/gsm8k/gsm8k_test.jsonl");
    ObjectMapper json = new ObjectMapper();
    List<String[]> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      String solution = json.readTree(line).path("answer").asText();
      out.add(new String[] {Verifier.referenceAnswer(solution), solution});
    }
    return out;
  }

  private static void writeReport(String name, String text) throws IOException {
    Path dir = Path.of("target");
    if (Files.isDirectory(dir)) {
      Files.writeString(dir.resolve(name), text);
    }
  }
}
