package dev.saerl.workers.correct;

import dev.saerl.core.verify.Verifier;
import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.core.ids.Sha256;
import dev.saerl.workers.sae.SparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns an incorrect KNOWN sample into steered corrections: finds the critical step and token
 * ({@link CriticalSearch}), then regenerates from just before the critical token with a steering
 * vector added to the hook-layer residual over a window of positions, for every arm and strength,
 * with the same seed per strength across arms (so arms are compared on the same random draws).
 * The control share also gets the random direction, the sign flip, the unsteered resample and the
 * critical-token-masked resample (unsteered, the original critical token forbidden as the first
 * token: does steering beat simply not writing that token?). Every attempt becomes a Correction,
 * fixed or not.
 */
public final class Corrector {
  /**
   * @param search how the critical step and token are found, and with what budget
   * @param strengths multipliers of the plan's coefficients, swept
   * @param window tokens steered from the critical token on: 0 = to the end of the critical step, -1 = to the end
   * @param controlShare share of samples (by a hash of the sample id) that also get the control arms
   * @param conditional also run the CONDITIONAL arm
   */
  public record Settings(CriticalSearch.Settings search, float temperature, float topP, int maxNewTokens,
                         List<Float> strengths, int window, double controlShare, boolean conditional, long seed,
                         int maxBatch) {
    public static Settings defaults() {
      return new Settings(CriticalSearch.Settings.defaults(), 0.7f, 1f, 120, List.of(0.1f, 0.25f, 0.5f), 0, 1.0, true, 5, 32);
    }
  }

  /**
   * What correcting one sample produced. {@code planActivationChanges}: at most one vector, the mean
   * over the sample's fixed plan-arm attempts of (SAE codes of the chosen tokens in the window -
   * codes of the rejected tokens there), for the rephrasing averages.
   */
  public record Outcome(CriticalSearch.Result critical, List<Correction> corrections, boolean conditionalSteered,
                        List<float[]> planActivationChanges) {}

  private final OnnxGenerator generator;
  private final SparseAutoencoder sae;
  private final Settings settings;
  private final Rollouts rollouts;

  public Corrector(OnnxGenerator generator, SparseAutoencoder sae, Settings settings) {
    this.generator = generator;
    this.sae = sae;
    this.settings = settings;
    this.rollouts = new Rollouts(generator, settings.maxBatch());
  }

  /** Whether a sample is in the control share (deterministic in its id). */
  public boolean inControlShare(String sampleId) {
    long h = Long.parseUnsignedLong(Sha256.of("control:" + sampleId).substring(0, 12), 16);
    return h < settings.controlShare() * (1L << 48);
  }

  public Outcome correct(Generation g, Query q, SteeringPlan plan) {
    if (q.getSplit() != Split.KNOWN || g.getSplit() != Split.KNOWN) {
      throw new IllegalArgumentException("query " + q.getQueryId() + " is " + q.getSplit()
          + ": UNKNOWN queries are held out and never corrected");
    }
    if (!q.getQueryId().equals(g.getQueryId())) {
      throw new IllegalArgumentException("generation " + g.getSampleId() + " answers " + g.getQueryId() + ", not " + q.getQueryId());
    }
    String reference = q.getReferenceAnswer();
    int[] tokens = g.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
    long seed = Rollouts.mix(settings.seed(), g.getSampleId().hashCode(), 0);
    CriticalSearch.Result critical = CriticalSearch.find(settings.search(), rollouts, g.getPrompt(), reference,
        g.getCompletion(), tokens, g.getSteps(), settings.temperature(), settings.topP(), settings.maxNewTokens(), seed);
    int c = critical.criticalToken();
    var step = g.getSteps().get(critical.criticalStep());
    int stepEnd = Math.max(c + 1, Math.min(tokens.length, step.getTokenEnd()));
    int steps = settings.window() > 0 ? settings.window() : settings.window() == 0 ? stepEnd - c : settings.maxNewTokens();
    int promptTokens = g.getPromptTokens();
    // the residual at position i decides token i+1: steer from the position before the critical token
    int from = promptTokens + c - 1;
    int to = from + steps;

    // the original chain's hook residuals, from one unsteered pass, computed only if an arm needs them
    int rejectedEnd = Math.min(tokens.length, c + steps);
    float[][][] chain = new float[1][][];
    java.util.function.Supplier<float[][]> original = () -> {
      if (chain[0] == null) {
        chain[0] = generator.hookResiduals(generator.tokenizer().encode(g.getPrompt(), generator.pack().addBos()), tokens,
            Math.max(stepEnd, rejectedEnd));
      }
      return chain[0];
    };
    boolean weaker = settings.conditional()
        && planFeaturesWeaker(plan, Arrays.copyOfRange(original.get(), Math.max(0, step.getTokenStart()), stepEnd));
    List<Arm> arms = new ArrayList<>(List.of(Arm.PLAN));
    if (inControlShare(g.getSampleId())) {
      arms.addAll(List.of(Arm.RANDOM_DIRECTION, Arm.SIGN_FLIPPED, Arm.UNSTEERED, Arm.CRITICAL_MASKED));
    }
    if (settings.conditional()) {
      arms.add(Arm.CONDITIONAL);
    }
    int[] prefix = Arrays.copyOf(tokens, c);
    List<GenerationRequest> requests = new ArrayList<>();
    List<Arm> armOf = new ArrayList<>();
    List<Float> strengthOf = new ArrayList<>();
    List<Long> seedOf = new ArrayList<>();
    List<float[]> vectorOf = new ArrayList<>();
    for (int si = 0; si < settings.strengths().size(); si++) {
      float strength = settings.strengths().get(si);
      long s = Rollouts.mix(seed, 7919, si);
      float[] planVector = SteeringVectors.plan(plan, sae, strength);
      for (Arm arm : arms) {
        float[] v = switch (arm) {
          case PLAN -> planVector;
          case RANDOM_DIRECTION -> SteeringVectors.randomLike(planVector, s ^ 0x5DEECE66DL);
          case SIGN_FLIPPED -> SteeringVectors.negated(planVector);
          case CONDITIONAL -> weaker ? planVector : null;
          default -> null;
        };
        requests.add(new GenerationRequest(g.getPrompt(), Math.max(8, settings.maxNewTokens() - c), settings.temperature(),
            settings.topP(), s, v == null ? Steering.NONE : Steering.window(v, from, to), prefix,
            arm == Arm.CRITICAL_MASKED ? tokens[c] : -1));
        armOf.add(arm);
        strengthOf.add(strength);
        seedOf.add(s);
        vectorOf.add(v);
      }
    }
    List<GenerationResult> results = rollouts.generate(requests);
    String prefixText = generator.tokenizer().decode(prefix);
    int used = critical.rollouts() + requests.size();
    List<Correction> out = new ArrayList<>();
    List<float[]> changes = new ArrayList<>();
    float[] rejectedCodes = null;
    for (int i = 0; i < requests.size(); i++) {
      GenerationResult r = results.get(i);
      String chosen = prefixText + r.text();
      boolean fixed = Verifier.verify(reference, chosen).correct();
      Arm arm = armOf.get(i);
      float[] v = vectorOf.get(i);
      out.add(Correction.newBuilder()
          .setCorrectionId(id(g.getSampleId(), plan.getPlanVersion(), arm, strengthOf.get(i), seedOf.get(i)))
          .setSampleId(g.getSampleId()).setQueryId(g.getQueryId()).setDataset(q.getDataset()).setGroupId(q.getGroupId())
          .setModelVersion(g.getModelVersion()).setPlanVersion(arm == Arm.UNSTEERED || arm == Arm.CRITICAL_MASKED ? null : plan.getPlanVersion())
          .setArm(arm).setStrength(strengthOf.get(i)).setSeed(seedOf.get(i)).setPrompt(g.getPrompt())
          .setRejected(g.getCompletion()).setChosen(chosen).setFixed(fixed).setCriticalStep(critical.criticalStep())
          .setCriticalToken(c).setCriticalTokenText(generator.tokenizer().decode(new int[] {tokens[c]}))
          .setStepSuccessEstimates(floats(critical.stepEstimates())).setRolloutsUsed(used)
          .setTokenPositions(ints(critical.tokenPositions())).setTokenSuccessEstimates(floats(critical.tokenEstimates()))
          .setSteerFrom(v == null ? -1 : c).setSteerTo(v == null ? -1 : c + steps).setSteered(v != null)
          .setSteeringNorm(v == null ? 0f : (float) SteeringVectors.norm(v)).build());
      if (fixed && arm == Arm.PLAN && r.hookResiduals().length > 0) {
        if (rejectedCodes == null) {
          rejectedCodes = meanCodes(Arrays.copyOfRange(original.get(), c, rejectedEnd));
        }
        float[][] hooks = Arrays.copyOf(r.hookResiduals(), Math.min(steps, r.hookResiduals().length));
        float[] chosenCodes = meanCodes(hooks);
        float[] change = new float[chosenCodes.length];
        for (int j = 0; j < change.length; j++) {
          change[j] = chosenCodes[j] - rejectedCodes[j];
        }
        changes.add(change);
      }
    }
    return new Outcome(critical, out, weaker, changes.isEmpty() ? List.of() : List.of(mean(changes)));
  }

  /**
   * Whether, at the critical step of the original chain, the plan's features fire weaker than in
   * correct samples: the mean over plan features of (peak activation in the step / the plan's
   * coefficient, which is the feature's mean activation when active) is below 1.
   */
  private boolean planFeaturesWeaker(SteeringPlan plan, float[][] criticalStep) {
    List<SparseCodes> codes = sae.encode(criticalStep);
    double ratio = 0;
    for (int i = 0; i < plan.getFeatureIds().size(); i++) {
      float peak = 0;
      for (SparseCodes code : codes) {
        peak = Math.max(peak, code.get(plan.getFeatureIds().get(i)));
      }
      ratio += peak / Math.max(1e-6f, plan.getCoefficients().get(i));
    }
    return ratio / plan.getFeatureIds().size() < 1;
  }

  private float[] meanCodes(float[][] residuals) {
    float[] mean = new float[generator.pack().sae().features()];
    if (residuals.length == 0) {
      return mean;
    }
    for (SparseCodes c : sae.encode(residuals)) {
      for (int i = 0; i < c.ids().length; i++) {
        mean[c.ids()[i]] += c.values()[i] / residuals.length;
      }
    }
    return mean;
  }

  private static float[] mean(List<float[]> vectors) {
    float[] m = new float[vectors.get(0).length];
    for (float[] v : vectors) {
      for (int j = 0; j < m.length; j++) {
        m[j] += v[j] / vectors.size();
      }
    }
    return m;
  }

  static String id(String sampleId, String planVersion, Arm arm, float strength, long seed) {
    return "c-" + Sha256.of(sampleId + "\n" + planVersion + "\n" + arm + "\n" + strength + "\n" + seed).substring(0, 24);
  }

  private static List<Float> floats(float[] v) {
    List<Float> out = new ArrayList<>(v.length);
    for (float x : v) {
      out.add(x);
    }
    return out;
  }

  private static List<Integer> ints(int[] v) {
    List<Integer> out = new ArrayList<>(v.length);
    for (int x : v) {
      out.add(x);
    }
    return out;
  }
}
