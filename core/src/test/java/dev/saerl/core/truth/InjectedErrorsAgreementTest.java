package dev.saerl.core.truth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ground-truth checker against the foundry's own log of what it injected into the organisms'
 * training chains (models/&lt;pack&gt;/training/injected_errors.jsonl): the checker never sees the log,
 * only the text, and must find the same mode, the same wrong steps and the same first wrong span.
 */
class InjectedErrorsAgreementTest {
  static Path repo() {
    return Path.of(System.getProperty("saerl.repo.root", ".."));
  }

  @ParameterizedTest
  @ValueSource(strings = {"modes", "modes-null"})
  void theCheckerFindsEveryInjectedErrorAndNothingElse(String pack) throws Exception {
    Path log = repo().resolve("models").resolve(pack).resolve("training/injected_errors.jsonl");
    ObjectMapper mapper = new ObjectMapper();
    int chains = 0;
    int withErrors = 0;
    List<String> disagreements = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(log)) {
      String line;
      while ((line = r.readLine()) != null) {
        JsonNode row = mapper.readTree(line);
        String completion = row.get("completion").asText().stripTrailing();
        ChainTruth t = ChainTruth.of(completion);
        chains++;
        String mode = row.get("mode").asText();
        if (!t.mode().name().equalsIgnoreCase(mode)) {
          disagreements.add("mode " + t.mode() + " vs logged " + mode + ": " + completion);
          continue;
        }
        List<Integer> logged = new ArrayList<>();
        row.get("errors").forEach(e -> logged.add(e.get("step").asInt()));
        List<Integer> found = new ArrayList<>();
        t.steps().stream().filter(s -> !s.correct()).forEach(s -> found.add(s.index()));
        if (!logged.equals(found)) {
          disagreements.add("wrong steps " + found + " vs logged " + logged + ": " + completion);
          continue;
        }
        if (!logged.isEmpty()) {
          withErrors++;
          JsonNode first = row.get("errors").get(0);
          if (t.firstWrongStep().resultStart() != first.get("start").asInt() || t.firstWrongStep().resultEnd() != first.get("end").asInt()) {
            disagreements.add("first wrong span differs: " + completion);
          }
        }
      }
    }
    System.out.printf("%s: %d training chains, %d with injected errors, %d disagreements%n", pack, chains, withErrors,
        disagreements.size());
    assertTrue(chains >= 1000 && withErrors >= 100, chains + " chains, " + withErrors + " with errors");
    assertEquals(List.of(), disagreements.subList(0, Math.min(5, disagreements.size())), disagreements.size() + " disagreements");
  }
}
