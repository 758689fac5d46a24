package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.core.verify.Verifier;
import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SourceFormat;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.workers.correct.Corrector;
import dev.saerl.workers.correct.CriticalSearch;
import dev.saerl.workers.correct.SteeringVectors;
import dev.saerl.workers.generate.SampleBuilder;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The corrector on the bundled model: forced prefixes, critical search, arms, determinism, UNKNOWN refusal. */
class CorrectorTest {
  static ModelPack pack;
  static OnnxGenerator generator;
  static OnnxSparseAutoencoder sae;
  static Query query;
  static Generation wrong;
  static final Corrector.Settings SETTINGS = new Corrector.Settings(CriticalSearch.Settings.grid(new CriticalSearch.Budget(2, 1, 3)), 0.7f, 1f, 120,
      List.of(0.25f, 1f), 0, 1.0, true, 11, 32);

  @BeforeAll
  static void load() {
    pack = ModelPack.load(BundledPack.dir());
    generator = new OnnxGenerator(pack, 1);
    sae = new OnnxSparseAutoencoder(pack, 1);
    // a sampled answer the model gets wrong (the bundled model is right ~60% of the time)
    query = Query.newBuilder().setQueryId("q-test").setDataset("arith").setGroupId("g").setSplit(Split.KNOWN)
        .setQuestion("There are 250 coins in Ben's box. 17 coins are taken out of the box. The box now holds 3 times as many coins. How many coins are in the box now?")
        .setReferenceAnswer("699").setFormat(SourceFormat.GENERIC).setSourceFile("test").setSourceLine(1).build();
    SampleBuilder builder = new SampleBuilder(pack, generator.tokenizer(), sae, 16);
    for (int seed = 0; seed < 64 && wrong == null; seed++) {
      GenerationResult r = generator.generate(List.of(new GenerationRequest(pack.prompt(query.getQuestion()), 120, 0.9f, 1f,
          seed, Steering.NONE))).get(0);
      if (!Verifier.verify(query.getReferenceAnswer(), r.text()).correct() && r.text().contains("The answer is")) {
        wrong = builder.build(query, r, 0, seed, 0.9f, sae.encode(r.hookResiduals())).generation();
      }
    }
    assertNotNull(wrong, "no incorrect sample in 64 seeds");
  }

  @AfterAll
  static void close() throws Exception {
    sae.close();
    generator.close();
  }

  static SteeringPlan plan() {
    SteeringPlan p = SteeringPlan.newBuilder().setPlanVersion("plan-test").setDataset("arith").setModelVersion(pack.version())
        .setSaeId(pack.sae().id()).setHookLayer(pack.hookLayer()).setFeatureIds(List.of(3, 17, 42))
        .setCoefficients(List.of(2f, 1.5f, 1f)).setScores(List.of(0.1f, 0.1f, 0.1f)).setSamplesUsed(100).build();
    return p;
  }

  @Test
  void forcedTokensContinueExactlyWhereTheGreedyChainWas() {
    GenerationRequest greedy = GenerationRequest.greedy(pack.prompt(query.getQuestion()), 60);
    int[] full = generator.generate(List.of(greedy)).get(0).tokens();
    int k = full.length / 2;
    GenerationResult rest = generator.generate(List.of(greedy.continuing(Arrays.copyOf(full, k)))).get(0);
    assertArrayEquals(Arrays.copyOfRange(full, k, full.length), rest.tokens());
  }

  @Test
  void theMaskedResampleNeverWritesTheOriginalCriticalTokenWhileThePlainResampleDoes() {
    // what follows the critical prefix, over several seeds: the masked resample always leaves the chain at the
    // critical token; the unsteered resample on the same seeds writes the original token at least once
    Corrector.Settings many = new Corrector.Settings(SETTINGS.search(), SETTINGS.temperature(), SETTINGS.topP(),
        SETTINGS.maxNewTokens(), List.of(0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f), SETTINGS.window(), 1.0, false,
        SETTINGS.seed(), SETTINGS.maxBatch());
    Corrector.Outcome o = new Corrector(generator, sae, many).correct(wrong, query, plan());
    String prefix = generator.tokenizer().decode(wrong.getTokenIds().stream().mapToInt(Integer::intValue)
        .limit(o.critical().criticalToken()).toArray());
    String original = wrong.getCompletion().substring(0, Math.min(wrong.getCompletion().length(), prefix.length() + 1));
    int masked = 0;
    int unsteeredRepeats = 0;
    for (Correction c : o.corrections()) {
      boolean repeats = c.getChosen().startsWith(original);
      if (c.getArm() == Arm.CRITICAL_MASKED) {
        masked++;
        assertFalse(repeats, "the masked resample wrote the critical token " + c.getCriticalTokenText() + ": " + c.getChosen());
      } else if (c.getArm() == Arm.UNSTEERED && repeats) {
        unsteeredRepeats++;
      }
    }
    assertEquals(8, masked);
    assertTrue(unsteeredRepeats > 0, "the plain resample never wrote the original token, so the mask was not tested");
  }

  @Test
  void correctionsCoverEveryArmAndStrengthAndAreDeterministic() {
    Corrector corrector = new Corrector(generator, sae, SETTINGS);
    Corrector.Outcome a = corrector.correct(wrong, query, plan());
    Corrector.Outcome b = corrector.correct(wrong, query, plan());
    assertEquals(a.corrections(), b.corrections(), "same seeds, same corrections");

    Set<String> cells = new HashSet<>();
    for (Correction c : a.corrections()) {
      cells.add(c.getArm() + "@" + c.getStrength());
    }
    assertEquals(6 * 2, cells.size(),
        "PLAN, RANDOM_DIRECTION, SIGN_FLIPPED, UNSTEERED, CRITICAL_MASKED, CONDITIONAL x 2 strengths: " + cells);

    CriticalSearch.Result critical = a.critical();
    var step = wrong.getSteps().get(critical.criticalStep());
    assertTrue(critical.criticalToken() >= step.getTokenStart() && critical.criticalToken() < Math.max(step.getTokenEnd(), step.getTokenStart() + 1),
        "critical token inside the critical step");
    assertEquals(wrong.getSteps().size(), critical.stepEstimates().length);
    for (float p : critical.stepEstimates()) {
      assertTrue(p >= 0 && p <= 1);
    }
    String prefix = generator.tokenizer().decode(wrong.getTokenIds().stream().mapToInt(Integer::intValue).limit(critical.criticalToken()).toArray());
    for (Correction c : a.corrections()) {
      assertEquals(wrong.getSampleId(), c.getSampleId());
      assertEquals(wrong.getCompletion(), c.getRejected());
      assertTrue(c.getChosen().startsWith(prefix), "regenerated from the prefix before the critical token");
      assertEquals(Verifier.verify(query.getReferenceAnswer(), c.getChosen()).correct(), c.getFixed(), "fixed means the chosen chain verifies");
      assertEquals(c.getArm() != Arm.UNSTEERED && c.getArm() != Arm.CRITICAL_MASKED
          && (c.getArm() != Arm.CONDITIONAL || a.conditionalSteered()), c.getSteered());
      assertTrue(c.getRolloutsUsed() > critical.rollouts());
    }
    // control arms have the plan vector's norm at the same strength; seeds are shared across arms
    for (float s : SETTINGS.strengths()) {
      List<Correction> at = a.corrections().stream().filter(c -> c.getStrength() == s).toList();
      double planNorm = SteeringVectors.norm(SteeringVectors.plan(plan(), sae, s));
      for (Correction c : at) {
        assertEquals(at.get(0).getSeed(), c.getSeed());
        if (c.getSteered()) {
          assertEquals(planNorm, c.getSteeringNorm(), 1e-3 * planNorm);
        }
      }
    }
    assertEquals(a.corrections().size(), new HashSet<>(a.corrections().stream().map(Correction::getCorrectionId).toList()).size(),
        "ids are unique");
  }

  @Test
  void theAdaptiveSearchRegeneratesFromInsideTheStepItFound() {
    Corrector corrector = new Corrector(generator, sae, new Corrector.Settings(CriticalSearch.Settings.of(CriticalSearch.Method.ADAPTIVE),
        0.7f, 1f, 120, List.of(0.25f), 0, 0.0, false, 11, 32));
    Corrector.Outcome a = corrector.correct(wrong, query, plan());
    CriticalSearch.Result critical = a.critical();
    var step = wrong.getSteps().get(critical.criticalStep());
    assertTrue(critical.criticalToken() >= step.getTokenStart() && critical.criticalToken() < Math.max(step.getTokenEnd(), step.getTokenStart() + 1),
        "critical token inside the critical step");
    assertTrue(critical.generatedTokens() > 0 && critical.rollouts() > 0, "the search rolled out and counted its tokens");
    String prefix = generator.tokenizer().decode(wrong.getTokenIds().stream().mapToInt(Integer::intValue).limit(critical.criticalToken()).toArray());
    for (Correction c : a.corrections()) {
      assertTrue(c.getChosen().startsWith(prefix), "regenerated from the prefix before the critical token");
      assertEquals(critical.criticalToken(), c.getCriticalToken());
    }
  }

  @Test
  void unknownQueriesAreNeverCorrected() {
    Corrector corrector = new Corrector(generator, sae, SETTINGS);
    Query unknown = Query.newBuilder(query).setSplit(Split.UNKNOWN).build();
    var e = assertThrows(IllegalArgumentException.class, () -> corrector.correct(wrong, unknown, plan()));
    assertTrue(e.getMessage().contains("UNKNOWN"), e.getMessage());
    Generation unknownSample = Generation.newBuilder(wrong).setSplit(Split.UNKNOWN).build();
    assertThrows(IllegalArgumentException.class, () -> corrector.correct(unknownSample, query, plan()));
    Query validation = Query.newBuilder(query).setSplit(Split.KNOWN_VAL).build();
    var v = assertThrows(IllegalArgumentException.class, () -> corrector.correct(wrong, validation, plan()));
    assertTrue(v.getMessage().contains("KNOWN_VAL"), v.getMessage());
  }

  @Test
  void controlShareIsDeterministicAndRoughlyTheConfiguredShare() {
    Corrector half = new Corrector(generator, sae, new Corrector.Settings(SETTINGS.search(), 0.7f, 1f, 120, List.of(1f), 0, 0.5,
        false, 1, 32));
    List<Boolean> in = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      in.add(half.inControlShare("s-" + i));
    }
    long share = in.stream().filter(x -> x).count();
    assertTrue(share > 160 && share < 240, "about half: " + share);
    assertEquals(in.get(7), half.inControlShare("s-7"));
    assertFalse(new Corrector(generator, sae, new Corrector.Settings(SETTINGS.search(), 0.7f, 1f, 120, List.of(1f), 0, 0.0,
        false, 1, 32)).inControlShare("s-1"));
  }
}
