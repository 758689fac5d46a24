package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.core.steps.StepSplitter;
import dev.saerl.core.truth.ChainTruth;
import dev.saerl.core.verify.Verifier;
import dev.saerl.schemas.avro.Step;
import dev.saerl.workers.correct.CheckedSteps;
import dev.saerl.workers.correct.CriticalSearch;
import dev.saerl.workers.correct.Rollouts;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.pack.ModelPack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The critical searches on the bundled mode organism (models/modes), whose chains of {@code a op b
 * = c} steps carry ground truth: the first wrong step and its first wrong token.
 */
class CriticalSearchTest {
  /** A wrong sampled chain with a wrong arithmetic step. */
  record Wrong(String prompt, String answer, String completion, int[] tokens, List<Step> steps, int wrongChar,
               int wrongToken) {}

  static final int WRONG_SAMPLES = 40;
  static ModelPack pack;
  static OnnxGenerator generator;
  static Rollouts rollouts;
  static List<Wrong> wrong = new ArrayList<>();

  @BeforeAll
  static void sampleWrongChains() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    pack = ModelPack.load(root.resolve("models/modes"));
    generator = new OnnxGenerator(pack, 1);
    rollouts = new Rollouts(generator, 32);
    ObjectMapper json = new ObjectMapper();
    List<String> rows = Files.readAllLines(root.resolve("datasets/modes.jsonl"));
    // one problem in every 5 (the dataset lists each problem's phrasings together), 4 samples each at T = 1
    for (int q = 0; q < rows.size() && wrong.size() < WRONG_SAMPLES; q += 5) {
      JsonNode row = json.readTree(rows.get(q));
      String prompt = pack.prompt(row.get("question").asText());
      List<GenerationRequest> requests = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        requests.add(new GenerationRequest(prompt, 120, 1f, 1f, Rollouts.mix(7, q, i), Steering.NONE));
      }
      for (GenerationResult r : generator.generate(requests)) {
        ChainTruth truth = ChainTruth.of(r.text());
        if (wrong.size() < WRONG_SAMPLES && truth.firstWrong() >= 0 && !Verifier.verify(row.get("answer").asText(), r.text()).correct()) {
          int[] ends = generator.tokenizer().tokenEnds(r.tokens());
          wrong.add(new Wrong(prompt, row.get("answer").asText(), r.text(), r.tokens(), steps(r.text(), ends),
              truth.firstWrongStep().resultStart(), truth.firstWrongToken(ends)));
        }
      }
    }
    assertEquals(WRONG_SAMPLES, wrong.size(), "wrong samples with a wrong step");
  }

  @AfterAll
  static void close() {
    generator.close();
  }

  static List<Step> steps(String completion, int[] tokenEnds) {
    List<StepSplitter.Span> spans = StepSplitter.split(completion);
    int[][] tokenSpans = StepSplitter.tokenSpans(spans, tokenEnds);
    List<Step> steps = new ArrayList<>();
    for (StepSplitter.Span sp : spans) {
      steps.add(Step.newBuilder().setIndex(sp.index()).setText(sp.text()).setCharStart(sp.start()).setCharEnd(sp.end())
          .setTokenStart(tokenSpans[sp.index()][0]).setTokenEnd(tokenSpans[sp.index()][1]).build());
    }
    return steps;
  }

  static CriticalSearch.Result search(CriticalSearch.Method method, Wrong w, long seed) {
    return CriticalSearch.find(CriticalSearch.Settings.of(method), rollouts, w.prompt(), w.answer(), w.completion(), w.tokens(),
        w.steps(), 0.7f, 1f, 120, seed);
  }

  static boolean stepHit(CriticalSearch.Result r, Wrong w) {
    Step s = w.steps().get(r.criticalStep());
    return r.located() && w.wrongChar() >= s.getCharStart() && w.wrongChar() < s.getCharEnd();
  }

  /**
   * What the adaptive search is for: the first wrong token found at least as often as by the grid,
   * the first wrong step nearly as often (it can stop at a later step when a prefix after the error
   * still reaches the answer now and then, where the grid weighs every drop), at under a third of
   * the generated tokens.
   */
  @Test
  void adaptiveSearchFindsTheWrongTokenAsOftenAsTheGridAndTheStepNearlyAsOftenWithUnderAThirdOfItsTokens() {
    int gridHits = 0;
    int adaptiveHits = 0;
    int gridTokenHits = 0;
    int adaptiveTokenHits = 0;
    long gridTokens = 0;
    long adaptiveTokens = 0;
    StringBuilder misses = new StringBuilder();
    for (int i = 0; i < wrong.size(); i++) {
      Wrong w = wrong.get(i);
      CriticalSearch.Result grid = search(CriticalSearch.Method.GRID, w, i);
      CriticalSearch.Result adaptive = search(CriticalSearch.Method.ADAPTIVE, w, i);
      gridHits += stepHit(grid, w) ? 1 : 0;
      adaptiveHits += stepHit(adaptive, w) ? 1 : 0;
      gridTokenHits += grid.located() && grid.criticalToken() == w.wrongToken() ? 1 : 0;
      adaptiveTokenHits += adaptive.located() && adaptive.criticalToken() == w.wrongToken() ? 1 : 0;
      gridTokens += grid.generatedTokens();
      adaptiveTokens += adaptive.generatedTokens();
      if (stepHit(grid, w) != stepHit(adaptive, w)) {
        misses.append("\n  ").append(stepHit(grid, w) ? "adaptive" : "grid").append(" misses the step of ").append(w.completion())
            .append(": grid step ").append(grid.criticalStep()).append(" ").append(Arrays.toString(grid.stepEstimates()))
            .append(", adaptive step ").append(adaptive.criticalStep()).append(" ").append(Arrays.toString(adaptive.stepEstimates()));
      }
      Step s = w.steps().get(adaptive.criticalStep());
      assertTrue(adaptive.criticalToken() >= s.getTokenStart() && adaptive.criticalToken() < Math.max(s.getTokenEnd(),
          s.getTokenStart() + 1), "critical token inside the critical step");
    }
    String figures = "of " + wrong.size() + " wrong chains, first wrong step found: grid " + gridHits + ", adaptive "
        + adaptiveHits + "; first wrong token: grid " + gridTokenHits + ", adaptive " + adaptiveTokenHits
        + "; generated tokens: grid " + gridTokens + ", adaptive " + adaptiveTokens + misses;
    assertTrue(adaptiveTokenHits >= gridTokenHits, figures);
    assertTrue(adaptiveHits >= gridHits - wrong.size() / 10, figures);
    assertTrue(3 * adaptiveTokens <= gridTokens, figures);
  }

  @Test
  void generatedTokensAreTheTokensTheRolloutsSampledAfterTheirPrefixes() {
    Wrong w = wrong.get(0);
    int[] prefixes = {0, w.tokens().length / 2};
    Rollouts.Rates rates = rollouts.successRates(w.prompt(), w.answer(), w.tokens(), prefixes, 3, 0.7f, 1f, 120, 5);
    long sampled = 0;
    for (int len : prefixes) {
      for (int i = 0; i < 3; i++) {
        GenerationRequest request = new GenerationRequest(w.prompt(), 120 - len, 0.7f, 1f, Rollouts.mix(5, len, i),
            Steering.NONE, Arrays.copyOf(w.tokens(), len));
        sampled += generator.generate(List.of(request)).get(0).tokens().length;
      }
    }
    assertEquals(sampled, rates.sampledTokens());
    List<Rollouts.Outcome> later = rollouts.sample(w.prompt(), w.answer(), w.tokens(), prefixes[1], 1, 2, 0.7f, 1f, 120, 5);
    Rollouts.Outcome same = rollouts.sample(w.prompt(), w.answer(), w.tokens(), prefixes[1], 0, 3, 0.7f, 1f, 120, 5).get(1);
    assertEquals(same, later.get(0), "rollout i of a prefix is the same drawn alone or with others");
  }

  @Test
  void adaptiveAndCheckedSearchesAreDeterministicInTheirSeed() {
    Wrong w = wrong.get(1);
    for (CriticalSearch.Method m : List.of(CriticalSearch.Method.ADAPTIVE, CriticalSearch.Method.CHECKED)) {
      CriticalSearch.Result a = search(m, w, 3);
      CriticalSearch.Result b = search(m, w, 3);
      assertEquals(a.criticalToken(), b.criticalToken(), m.name());
      assertEquals(a.generatedTokens(), b.generatedTokens(), m.name());
      assertTrue(Arrays.equals(a.tokenPositions(), b.tokenPositions()), m.name());
    }
  }

  @Test
  void exactCheckingNamesTheStepOfTheFirstWrongResult() {
    assertEquals(1, checked("Careful: 21 - 20 = 1. 1 - 1 = 9. 9 + 6 = 15. The answer is 15."));
    assertEquals(0, checked("21-20=2. 2-1=1. The answer is 1."));
    assertEquals(-1, checked("Careful: 21 - 20 = 1. 1 - 1 = 0. The answer is 0."));
    assertEquals(-1, checked("No steps here. The answer is 3."));
  }

  /** CheckedSteps on a chain split into steps as the organism's one-character tokens would be. */
  static int checked(String chain) {
    int[] ends = new int[chain.length()];
    for (int i = 0; i < ends.length; i++) {
      ends[i] = i + 1;
    }
    return CheckedSteps.firstWrong(chain, steps(chain, ends));
  }

  @Test
  void methodsAreNamedInAnyCaseAndAnUnknownNameListsTheChoices() {
    assertEquals(CriticalSearch.Method.ADAPTIVE, CriticalSearch.Method.named("Adaptive"));
    var e = assertThrows(IllegalArgumentException.class, () -> CriticalSearch.Method.named("bisect"));
    assertTrue(e.getMessage().contains("grid, adaptive or checked"), e.getMessage());
    assertNotNull(CriticalSearch.Method.named("grid"));
  }
}
