package dev.saerl.workers.gates;

import dev.saerl.core.stats.Auroc;
import dev.saerl.core.stats.McNemar;
import dev.saerl.core.stats.PairedQueries;
import dev.saerl.core.stats.PairedContrast;
import dev.saerl.core.truth.ChainTruth.Mode;
import dev.saerl.workers.gates.ModeGates.Problem;
import dev.saerl.workers.gates.ModeGates.Sample;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * Gates G4 (discovery) and G5 (plan steering) of EXPERIMENT.md: the method as saerl runs it, without
 * the mode labels. On KNOWN-select A, the paired within-query contrast of SAE activations at the first
 * answer token between correct and incorrect samples ranks the features; the top {@link #CANDIDATES}
 * are validated causally on KNOWN-select B: each one's decoder row, at a coefficient in the feature's
 * own units times a dose (1, 3, 10, smallest first), is added at the first answer token of B's
 * incorrect samples, and its fixes are compared with a random direction of the same norm, drawn fresh
 * per sample, and with the unsteered resample, by exact one-sided McNemar tests, each at 0.05 /
 * (candidates x doses); it validates when it beats both. Then the candidates together, the same way.
 * Every regeneration of a sample runs on one fresh attempt stream, shared by all arms, never the
 * sample's own: on its own stream, a direction the model shrugs off replays the same wrong chain and
 * fixes nothing, so any direction that merely changes the chain would beat it. And at large doses a
 * random direction harms the chain (it leaves the residual manifold) while a latent's own direction
 * does not: beating it alone says "less harmful", not "fixes" (the null organism validated its mode
 * latent in half of its splits that way); the resample says whether steering fixed more than trying
 * again. The plan is the set, among those that validated (each at its smallest validated dose), that
 * fixed the most samples of B.
 *
 * <p>A and B are the two halves of the gates' fit queries (the eval queries are never seen here);
 * the mode labels are read only to judge G4 (is a mode latent in the plan?).
 */
final class PlanGates {
  static final int CANDIDATES = 8;
  static final double ALPHA = 0.05;
  /** A positive feature's coefficient: this quantile of its activation where active on correct samples of A. */
  static final double COEFFICIENT_QUANTILE = 0.9;
  static final double[] DOSES = {-1, 0.5, 1, 2};
  /**
   * Multiples of a candidate's coefficient tried on B, smallest first (the dose-response of
   * validation); every one counts in the Bonferroni correction.
   */
  static final float[] VALIDATION_DOSES = {1, 3, 10};
  /** Mixed into the gates' seed for the attempt stream of every validation regeneration. */
  static final long ATTEMPT_STREAM = 0xA77E3F7L;

  /** A ranked feature with its signed coefficient and, once validated, the test on B. */
  record Candidate(int feature, double contrast, double t, int queries, float coefficient, int rank) {
    Candidate times(float dose) {
      return new Candidate(feature, contrast, t, queries, coefficient * dose, rank);
    }
  }

  /** One causal test on B: a set of candidates (one latent, or all together) at a dose. */
  record Validation(List<Candidate> set, float dose, float norm, int samples, int fixed, int fixedRandom, double p,
                    double pResample, boolean kept) {}

  /** @param pairedQueries queries of A with both correct and incorrect samples (the contrast needs 3) */
  record Discovery(List<Validation> validations, List<Candidate> plan, List<PairedContrast.Feature> ranking,
                   int samplesA, int pairedQueries, int incorrectB, int fixedResample, float[] diffMean) {}

  private final ModeGates gates;
  private final JavaSparseAutoencoder sae;
  private final long seed;
  private final int d;

  PlanGates(ModeGates gates, JavaSparseAutoencoder sae, long seed, int d) {
    this.gates = gates;
    this.sae = sae;
    this.seed = seed;
    this.d = d;
  }

  // ---- G4 ---------------------------------------------------------------------------------------

  /** Ranks on the natural samples of queries in A, validates on those in B. */
  Discovery discover(List<Problem> problems, List<Sample> natural, IntPredicate inA, IntPredicate inB) {
    List<Sample> a = natural.stream().filter(x -> inA.test(x.query())).toList();
    float[][] codes = gates.dense(a);
    int[] query = a.stream().mapToInt(Sample::query).toArray();
    boolean[] correct = new boolean[a.size()];
    for (int i = 0; i < correct.length; i++) {
      correct[i] = a.get(i).correct();
    }
    List<PairedContrast.Feature> ranking = PairedContrast.rank(query, correct, codes, 3);
    List<Candidate> candidates = new ArrayList<>();
    for (PairedContrast.Feature f : ranking) {
      if (candidates.size() == CANDIDATES) {
        break;
      }
      // positive: add what correct samples show; negative: take away what incorrect ones show
      boolean up = f.meanDifference() > 0;
      double[] active = new double[correct.length];
      int k = 0;
      for (int i = 0; i < correct.length; i++) {
        if (correct[i] == up && codes[i][f.feature()] > 0) {
          active[k++] = codes[i][f.feature()];
        }
      }
      if (k == 0) {
        continue; // nothing to calibrate against
      }
      double[] sorted = Arrays.copyOf(active, k);
      Arrays.sort(sorted);
      float coefficient = (float) (sorted[(int) Math.min(k - 1, Math.floor(COEFFICIENT_QUANTILE * k))] * (up ? 1 : -1));
      candidates.add(new Candidate(f.feature(), f.meanDifference(), f.t(), f.queries(), coefficient, candidates.size() + 1));
    }
    List<Sample> wrong = natural.stream().filter(x -> inB.test(x.query()) && !x.correct()).toList();
    long attempt = seed ^ ATTEMPT_STREAM;
    boolean[] resampled = correct(gates.again(problems, wrong, attempt, x -> Steering.NONE));
    List<Validation> validations = new ArrayList<>();
    List<Candidate> plan = new ArrayList<>();
    // each latent alone, then the candidates together; each at each dose, all in one correction
    List<List<Candidate>> sets = new ArrayList<>();
    candidates.forEach(c -> sets.add(List.of(c)));
    if (candidates.size() > 1) {
      sets.add(candidates);
    }
    int tests = Math.max(1, sets.size() * VALIDATION_DOSES.length);
    for (List<Candidate> set : sets) {
      for (float dose : VALIDATION_DOSES) { // the smallest dose that validates is the one kept
        List<Candidate> at = set.stream().map(c -> c.times(dose)).toList();
        float[] v = vector(at, 1f);
        float norm = (float) ModeGates.norm(v);
        boolean[] steered = correct(gates.again(problems, wrong, attempt, x -> at(problems, x, v)));
        long stream = seed ^ set.hashCode() * 0x9E3779B97F4A7C15L ^ Float.floatToIntBits(dose);
        boolean[] random = correct(gates.again(problems, wrong, attempt, x -> at(problems, x,
            randomDirection(new SplittableRandom(ModeGates.mix(stream, x.query(), x.index())), norm))));
        int[] bc = McNemar.discordant(steered, random);
        double p = McNemar.greater(bc[0], bc[1]);
        int[] br = McNemar.discordant(steered, resampled);
        double pResample = McNemar.greater(br[0], br[1]);
        // both controls, each at the corrected level (an intersection-union test): a random direction
        // of the same norm, and the unsteered resample, which a direction that only changes the chain
        // (or harms it less than an off-manifold random push) does not beat
        boolean kept = bc[0] > bc[1] && p < ALPHA / tests && br[0] > br[1] && pResample < ALPHA / tests;
        validations.add(new Validation(at, dose, norm, wrong.size(), count(steered), count(random), p, pResample, kept));
        if (kept) {
          break;
        }
      }
    }
    // the plan: of the sets that validated (each at its smallest validated dose), the one that fixed
    // the most on B; a tie goes to the smaller set. Decided on B alone.
    validations.stream().filter(Validation::kept)
        .max(Comparator.comparingInt(Validation::fixed).thenComparingInt(v -> -v.set().size()))
        .ifPresent(v -> plan.addAll(v.set()));
    Map<Integer, Set<Boolean>> classes = new HashMap<>();
    for (int i = 0; i < query.length; i++) {
      classes.computeIfAbsent(query[i], k -> new HashSet<>()).add(correct[i]);
    }
    int paired = (int) classes.values().stream().filter(c -> c.size() == 2).count();
    return new Discovery(validations, plan, ranking, a.size(), paired, wrong.size(), count(resampled),
        diffMean(a, query, correct));
  }

  /** G4 on the mode organism: the validated plan contains a mode latent (AUROC >= 0.9 for the mode on the fit half). */
  GateResult discoveryGate(Discovery disc, List<Sample> natural, int bestLatent, boolean isNull, List<Discovery> repeats) {
    Map<String, Object> det = new LinkedHashMap<>();
    List<Sample> fit = natural.stream().filter(x -> x.query() % 2 == 0 && (x.mode() == Mode.CAREFUL || x.mode() == Mode.SLOPPY)).toList();
    float[][] codes = gates.dense(fit);
    boolean[] careful = new boolean[fit.size()];
    for (int i = 0; i < careful.length; i++) {
      careful[i] = fit.get(i).mode() == Mode.CAREFUL;
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    boolean modeLatentInPlan = false;
    Map<Integer, Double> modeAuroc = new HashMap<>();
    for (Candidate c : disc.validations().stream().flatMap(v -> v.set().stream()).toList()) {
      double auroc = Auroc.of(ModeGates.column(codes, c.feature()), careful);
      modeAuroc.put(c.feature(), Double.isNaN(auroc) ? Double.NaN : Math.max(auroc, 1 - auroc));
    }
    for (Validation v : disc.validations()) {
      Map<String, Object> row = new LinkedHashMap<>();
      if (v.set().size() == 1) {
        Candidate c = v.set().get(0);
        row.put("rank", c.rank());
        row.put("feature", c.feature());
        row.put("paired_contrast", c.contrast());
        row.put("t", Double.isInfinite(c.t()) ? Double.NaN : c.t());
        row.put("paired_queries", c.queries());
        row.put("coefficient", (double) c.coefficient());
        row.put("mode_auroc_fit_half", modeAuroc.get(c.feature()));
      } else {
        row.put("features", v.set().stream().map(Candidate::feature).toList());
      }
      row.put("dose", (double) v.dose());
      row.put("vector_norm", (double) v.norm());
      row.put("b_incorrect_samples", v.samples());
      row.put("fixed", v.fixed());
      row.put("fixed_random_direction", v.fixedRandom());
      row.put("p_one_sided", v.p());
      row.put("p_one_sided_vs_resample", v.pResample());
      row.put("validated", v.kept());
      rows.add(row);
    }
    for (Candidate c : disc.plan()) {
      modeLatentInPlan |= c.feature() == bestLatent || modeAuroc.getOrDefault(c.feature(), 0.0) >= 0.9;
    }
    det.put("position_type", "first answer token");
    det.put("select_a_samples", disc.samplesA());
    det.put("select_a_paired_queries", disc.pairedQueries());
    det.put("select_b_incorrect_samples", disc.incorrectB());
    det.put("b_fixed_by_unsteered_resample", disc.fixedResample());
    det.put("candidates", rows);
    det.put("plan", disc.plan().stream().map(Candidate::feature).toList());
    det.put("g2_best_latent", bestLatent);
    int rankOfBest = -1;
    for (int i = 0; i < disc.ranking().size(); i++) {
      if (disc.ranking().get(i).feature() == bestLatent) {
        rankOfBest = i + 1;
        break;
      }
    }
    det.put("g2_best_latent_contrast_rank", rankOfBest);
    det.put("bonferroni_alpha", ALPHA / ((CANDIDATES + 1) * VALIDATION_DOSES.length));
    if (isNull) {
      int withPlan = 0;
      for (Discovery r : repeats) {
        withPlan += r.plan().isEmpty() ? 0 : 1;
      }
      double rate = repeats.isEmpty() ? Double.NaN : (double) withPlan / repeats.size();
      det.put("splits", repeats.size());
      det.put("splits_with_a_validated_feature", withPlan);
      return new GateResult("G4", "discovery (false-positive rate)", rate, "<= 0.05 of splits with a plan (null)",
          rate <= 0.05, det);
    }
    return new GateResult("G4", "discovery (validated plan size)", (double) disc.plan().size(),
        "a mode latent among the validated top " + CANDIDATES, modeLatentInPlan, det);
  }

  // ---- G5 ---------------------------------------------------------------------------------------

  /**
   * Plan steering on the eval half (the same samples and random streams as G3's oracle at the first
   * answer token): the plan at calibrated strengths, its sign flip and a random direction of its norm,
   * beside prefix forcing of the careful marker (G1's forced samples, on the same streams).
   */
  GateResult steeringGate(List<Problem> problems, List<Sample> natural, List<Sample> oracle, List<Sample> carefulForced,
                          Discovery disc, boolean isNull) {
    Map<String, Object> det = new LinkedHashMap<>();
    if (disc.plan().isEmpty()) {
      det.put("plan", List.of());
      det.put("why", "no feature survived validation on B: nothing to steer with");
      return new GateResult("G5", "plan steering (share of oracle gain)", null,
          isNull ? "no plan, or no gain beyond controls (null)" : "recovery >= 0.7, McNemar p < 0.01 vs random and sign flip",
          isNull, det);
    }
    List<Sample> base = natural.stream().filter(x -> x.query() % 2 == 1).toList();
    float[] plan = vector(disc.plan(), 1f);
    float norm = (float) ModeGates.norm(plan);
    boolean[] baseOk = correct(base);
    boolean[] oracleOk = correct(oracle);
    Map<String, boolean[]> arms = new LinkedHashMap<>();
    for (double dose : DOSES) {
      float[] v = vector(disc.plan(), (float) dose);
      arms.put("plan_x" + dose, correct(gates.again(problems, base, x -> at(problems, x, v))));
    }
    arms.put("diffmean", correct(gates.again(problems, base, x -> at(problems, x, disc.diffMean()))));
    arms.put("prefix_forced_careful", correct(carefulForced.stream().filter(x -> x.query() % 2 == 1).toList()));
    arms.put("random_direction", correct(gates.again(problems, base, x -> at(problems, x,
        randomDirection(new SplittableRandom(ModeGates.mix(seed ^ 0x51A7L, x.query(), x.index())), norm)))));
    boolean[] planOk = arms.get("plan_x1.0");
    boolean[] flippedOk = arms.get("plan_x-1.0");
    boolean[] randomOk = arms.get("random_direction");
    double accBase = share(baseOk);
    double gainOracle = share(oracleOk) - accBase;
    double gainPlan = share(planOk) - accBase;
    double recovery = gainOracle > 0 ? gainPlan / gainOracle : Double.NaN;
    int[] vsRandom = McNemar.discordant(planOk, randomOk);
    int[] vsFlip = McNemar.discordant(planOk, flippedOk);
    double pRandom = McNemar.twoSided(vsRandom[0], vsRandom[1]);
    double pFlip = McNemar.twoSided(vsFlip[0], vsFlip[1]);
    det.put("plan", disc.plan().stream().map(Candidate::feature).toList());
    det.put("plan_norm", (double) norm);
    det.put("diffmean_norm", ModeGates.norm(disc.diffMean()));
    det.put("eval_samples", base.size());
    det.put("accuracy_unsteered", accBase);
    det.put("accuracy_oracle", share(oracleOk));
    Map<String, Object> dose = new LinkedHashMap<>();
    arms.forEach((k, v) -> dose.put(k, share(v)));
    det.put("accuracy_by_arm", dose);
    det.put("gain_oracle_points", 100 * gainOracle);
    det.put("gain_plan_points", 100 * gainPlan);
    det.put("mcnemar_vs_random", Map.of("plan_only", vsRandom[0], "random_only", vsRandom[1], "p", pRandom));
    det.put("mcnemar_vs_sign_flip", Map.of("plan_only", vsFlip[0], "flip_only", vsFlip[1], "p", pFlip));
    int[] vsDiffMean = McNemar.discordant(planOk, arms.get("diffmean"));
    det.put("mcnemar_vs_diffmean", Map.of("plan_only", vsDiffMean[0], "diffmean_only", vsDiffMean[1],
        "p", McNemar.twoSided(vsDiffMean[0], vsDiffMean[1])));
    int[] vsForced = McNemar.discordant(planOk, arms.get("prefix_forced_careful"));
    det.put("mcnemar_vs_prefix_forced_careful", Map.of("plan_only", vsForced[0], "forced_only", vsForced[1],
        "p", McNemar.twoSided(vsForced[0], vsForced[1])));
    boolean beats = vsRandom[0] > vsRandom[1] && pRandom < 0.01 && vsFlip[0] > vsFlip[1] && pFlip < 0.01;
    boolean pass = isNull ? !(vsRandom[0] > vsRandom[1] && pRandom < 0.01) : recovery >= 0.7 && beats;
    return new GateResult("G5", "plan steering (share of oracle gain)", recovery,
        isNull ? "no gain beyond random (null)" : "recovery >= 0.7, McNemar p < 0.01 vs random and sign flip", pass, det);
  }

  // ---- T1 ---------------------------------------------------------------------------------------

  /** Mixed into the gates' seed for T1's streams, which every arm of T1 shares. */
  static final long TEST_TIME_STREAM = 0x7E57L;

  /**
   * Test-time steering, the "no training" row of issue 15: on held-out problems (none of the gates'
   * block), {@code k} samples each, pass@1 per problem unsteered and with the plan at its position
   * type (the first answer token, dose 1), with the oracle direction there, and with the careful
   * marker's first token forced, all on one stream per (problem, sample); each arm against
   * unsteered by the paired signed-rank test over problems, and by McNemar over samples. Reported,
   * not gated.
   */
  GateResult testTime(List<Problem> heldOut, Discovery disc, float[] oracle, int[] carefulOpening, int k) {
    String name = "test-time steering (pass@1 points)";
    if (heldOut.isEmpty()) {
      return GateResult.notRun("T1", name, "no held-out problem outside the block");
    }
    long stream = seed ^ TEST_TIME_STREAM;
    boolean[] baseOk = correct(gates.draws(heldOut, k, stream, q -> Steering.NONE));
    double[] base = PairedQueries.passAtOne(baseOk, k);
    Map<String, Object> det = new LinkedHashMap<>();
    det.put("problems", heldOut.size());
    det.put("samples_per_problem", k);
    det.put("position", "first answer token");
    det.put("pass_at_1_unsteered", Arrays.stream(base).average().orElse(Double.NaN));
    Map<String, float[]> vectors = new LinkedHashMap<>();
    if (!disc.plan().isEmpty()) {
      vectors.put("plan", vector(disc.plan(), 1f));
    } else {
      det.put("plan", "none: no feature survived validation on B, nothing to steer with");
    }
    if (oracle != null) {
      vectors.put("oracle", oracle);
    }
    Map<String, Supplier<List<Sample>>> arms = new LinkedHashMap<>();
    vectors.forEach((arm, v) -> arms.put(arm, () -> gates.draws(heldOut, k, stream, q -> {
      int pos = gates.promptLength(heldOut.get(q));
      return Steering.window(v, pos, pos + 1);
    })));
    if (carefulOpening != null) {
      arms.put("prefix_forced_careful", () -> gates.draws(heldOut, k, stream, q -> Steering.NONE, carefulOpening));
    }
    Double planPoints = null;
    for (var arm : arms.entrySet()) {
      boolean[] ok = correct(arm.getValue().get());
      PairedQueries vs = PairedQueries.of(PairedQueries.passAtOne(ok, k), base);
      int[] pairs = McNemar.discordant(ok, baseOk);
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("pass_at_1", vs.first());
      a.put("difference_points", 100 * vs.difference());
      a.put("difference_se_points", 100 * vs.se());
      a.put("signed_rank_p", vs.p());
      a.put("mcnemar_samples", Map.of("steered_only", pairs[0], "unsteered_only", pairs[1],
          "p", McNemar.twoSided(pairs[0], pairs[1])));
      if (vectors.containsKey(arm.getKey())) {
        a.put("norm", ModeGates.norm(vectors.get(arm.getKey())));
      }
      det.put(arm.getKey(), a);
      if (arm.getKey().equals("plan")) {
        planPoints = 100 * vs.difference();
      }
    }
    return GateResult.reported("T1", name, planPoints, det);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /**
   * DiffMean on the same pairs: per paired query of A, the mean residual at the first answer token of
   * its correct samples minus that of its incorrect ones, averaged over the paired queries (correctness
   * only, no mode labels). Zero when no query is paired.
   */
  private float[] diffMean(List<Sample> a, int[] query, boolean[] correct) {
    float[][] residuals = new float[a.size()][];
    for (int i = 0; i < residuals.length; i++) {
      residuals[i] = a.get(i).firstResidual();
    }
    // the paired contrast of each residual coordinate is exactly this mean difference
    float[] out = new float[d];
    for (PairedContrast.Feature f : PairedContrast.rank(query, correct, residuals, 1)) {
      out[f.feature()] = (float) f.meanDifference();
    }
    return out;
  }

  /** Sum of the candidates' raw decoder rows times their coefficients, times {@code dose}. */
  float[] vector(List<Candidate> features, float dose) {
    float[] zero = sae.decode(new SparseCodes(new int[0], new float[0])); // b_dec
    float[] out = new float[d];
    for (Candidate c : features) {
      float[] one = sae.decode(new SparseCodes(new int[] {c.feature()}, new float[] {c.coefficient() * dose}));
      for (int j = 0; j < d; j++) {
        out[j] += one[j] - zero[j];
      }
    }
    return out;
  }

  private Steering at(List<Problem> problems, Sample x, float[] v) {
    int pos = gates.promptLength(problems.get(x.query()));
    return Steering.window(v, pos, pos + 1);
  }

  private static boolean[] correct(List<Sample> xs) {
    boolean[] out = new boolean[xs.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = xs.get(i).correct();
    }
    return out;
  }

  private static int count(boolean[] xs) {
    int n = 0;
    for (boolean x : xs) {
      n += x ? 1 : 0;
    }
    return n;
  }

  private static double share(boolean[] xs) {
    return xs.length == 0 ? Double.NaN : (double) count(xs) / xs.length;
  }

  private float[] randomDirection(SplittableRandom rng, float norm) {
    return ModeGates.randomDirection(rng, norm, d);
  }
}
