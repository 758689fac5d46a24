package dev.saerl.workers.gates;

import dev.saerl.core.stats.Auroc;
import dev.saerl.core.stats.LogisticProbe;
import dev.saerl.core.steps.StepSplitter;
import dev.saerl.core.truth.ChainTruth;
import dev.saerl.core.truth.ChainTruth.Mode;
import dev.saerl.core.verify.Verifier;
import dev.saerl.schemas.avro.Step;
import dev.saerl.workers.correct.CriticalSearch;
import dev.saerl.workers.correct.Rollouts;
import dev.saerl.workers.inference.EditedGeneration;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * The gates of EXPERIMENT.md (G4 and G5 in {@link PlanGates}), run directly on a pack of the mode
 * organism (no broker: the gates judge the model, not the pipeline). Every arm of a comparison uses the same queries and
 * the same seed per (query, sample), so differences between arms are paired.
 *
 * <p>Queries alternate between a fit half (where the oracle direction and the best SAE latent are
 * chosen) and an eval half (where they are measured). The first answer token is the first
 * generated one; its residual is the one read where it is fed (position = prompt length), the first
 * residual in which careful and sloppy samples of a query differ.
 */
public final class ModeGates {
  /** One dataset row: the question, its reference answer and (careful, clean) solution. */
  public record Problem(String groupId, String question, String answer, String solution) {}

  /**
   * @param isNull the pack is the null twin: G1 and G3 then check the null behaviour (no gap; the
   *     oracle flips the style but not the accuracy)
   * @param criticalSamples wrong samples given to the rollout critical-token finder
   * @param nullSplits on the null twin, how many random select A/B splits G4 repeats discovery over
   * @param offset the first problem used (problems offset .. offset + queries - 1): a fresh block
   *     replicates a result on problems nothing was looked at on
   * @param testTimeSamples samples per problem of T1, test-time steering on the held-out problems (0: not run)
   */
  public record Settings(int queries, int samples, float temperature, long seed, int criticalSamples, int maxNewTokens,
                         int batch, boolean isNull, int nullSplits, int offset, int testTimeSamples) {}

  /** What one generated sample was, read with ground truth. */
  record Sample(int query, int index, String completion, float[] firstResidual, int[] tokens, boolean correct, ChainTruth truth) {
    Mode mode() {
      return truth.mode();
    }
  }

  private final OnnxGenerator generator;
  private final JavaSparseAutoencoder sae;
  private final Settings s;
  private final Consumer<String> progress;
  private final int d;
  private List<Sample> oracleAtFirstToken = List.of();
  private float[] oracleVector;
  private List<Sample> carefulForced = List.of();
  private int[] carefulOpening;
  private long generatedTokens;

  public ModeGates(OnnxGenerator generator, JavaSparseAutoencoder sae, Settings settings, Consumer<String> progress) {
    this.generator = generator;
    this.sae = sae;
    this.s = settings;
    this.progress = progress;
    this.d = generator.pack().architecture().dModel();
  }

  /** The gates on the block of {@code all} the settings name, with no test-time row. */
  public List<GateResult> run(List<Problem> all) {
    return run(all, List.of());
  }

  /**
   * The gates on the block of {@code all} the settings name, then T1: test-time steering on
   * {@code heldOut} (problems outside the block, e.g. the dataset's UNKNOWN split), reported, not gated.
   */
  public List<GateResult> run(List<Problem> all, List<Problem> heldOut) {
    if (s.offset() < 0 || s.offset() >= all.size()) {
      throw new IllegalArgumentException("--offset " + s.offset() + " outside the dataset's " + all.size() + " problems");
    }
    List<Problem> problems = all.subList(s.offset(), Math.min(s.offset() + s.queries(), all.size()));
    if (problems.size() < 4) {
      throw new IllegalArgumentException("the gates need at least 4 queries, got " + problems.size());
    }
    List<GateResult> out = new ArrayList<>();
    progress.accept("G1: forcing the careful and the sloppy opening");
    out.add(forcedModeGap(problems));
    progress.accept("G2: natural samples and probes at the first answer token");
    List<Sample> natural = sample(problems, ALL, q -> null, q -> Steering.NONE);
    GateResult g2 = decodability(natural);
    out.add(g2);
    progress.accept("G3: the oracle direction");
    out.add(oracle(problems, natural));
    progress.accept("G4: paired contrast on select A, causal validation on select B");
    PlanGates plans = new PlanGates(this, sae, s.seed(), d);
    PlanGates.Discovery discovery = plans.discover(problems, natural, SELECT_A, SELECT_B);
    List<PlanGates.Discovery> repeats = new ArrayList<>();
    if (s.isNull()) {
      repeats.add(discovery);
      for (int r = 1; r < s.nullSplits(); r++) {
        progress.accept("G4: split " + (r + 1) + " of " + s.nullSplits());
        long split = r;
        IntPredicate inA = q -> q % 2 == 0 && (mix(s.seed(), split, q) & 1) == 0;
        repeats.add(plans.discover(problems, natural, inA, q -> q % 2 == 0 && !inA.test(q)));
      }
    }
    out.add(plans.discoveryGate(discovery, natural, (Integer) g2.details().get("best_latent"), s.isNull(), repeats));
    progress.accept("G5: plan steering against the oracle, its sign flip and a random direction");
    out.add(plans.steeringGate(problems, natural, oracleAtFirstToken, carefulForced, discovery, s.isNull()));
    progress.accept("G6: invariants (zero steering, no cache, SAE splice, zeroed stream, critical tokens)");
    out.add(invariants(problems, natural));
    if (s.testTimeSamples() > 0) {
      progress.accept("T1: test-time steering on " + heldOut.size() + " held-out problems x " + s.testTimeSamples() + " samples");
      out.add(plans.testTime(heldOut, discovery, oracleVector, carefulOpening, s.testTimeSamples()));
    }
    return out;
  }

  /**
   * The method's steering plan, found as saerl finds one, without mode labels: {@code why} says what
   * validated it, or why nothing did ({@code vector} null). The vector is added at the first answer
   * token. {@code generatedTokens}: what finding it cost.
   */
  public record Plan(float[] vector, List<Integer> features, String why, long generatedTokens) {
    public boolean found() {
      return vector != null;
    }
  }

  /**
   * The plan from natural samples of {@code selectA} and {@code selectB} (the settings' samples,
   * temperature and seed): the paired contrast at the first answer token ranks features on A, causal
   * validation on B keeps them ({@link PlanGates#discover}).
   */
  public Plan plan(List<Problem> selectA, List<Problem> selectB) {
    long before = generatedTokens;
    List<Problem> both = new ArrayList<>(selectA);
    both.addAll(selectB);
    int a = selectA.size();
    List<Sample> natural = draws(both, s.samples(), s.seed(), q -> Steering.NONE);
    PlanGates plans = new PlanGates(this, sae, s.seed(), d);
    PlanGates.Discovery disc = plans.discover(both, natural, q -> q < a, q -> q >= a);
    long cost = generatedTokens - before;
    if (disc.plan().isEmpty()) {
      return new Plan(null, List.of(), String.format(Locale.ROOT, "no feature survived validation on select B (%d tests of "
          + "%d candidates, %d incorrect samples of B)", disc.validations().size(), Math.min(PlanGates.CANDIDATES,
          disc.ranking().size()), disc.incorrectB()), cost);
    }
    PlanGates.Validation kept = disc.validations().stream().filter(v -> v.kept() && v.set().equals(disc.plan())).findFirst()
        .orElseThrow();
    List<Integer> features = disc.plan().stream().map(PlanGates.Candidate::feature).toList();
    return new Plan(plans.vector(disc.plan(), 1f), features, String.format(Locale.ROOT, "features %s at %.0fx their "
        + "coefficient: fixed %d of %d incorrect samples of select B, random direction %d (p %.2g), resample %d (p %.2g)",
        features, kept.dose(), kept.fixed(), kept.samples(), kept.fixedRandom(), kept.p(), disc.fixedResample(),
        kept.pResample()), cost);
  }

  /** Tokens generated through these gates so far by their samples and regenerations (not the critical searches' rollouts). */
  public long generatedTokens() {
    return generatedTokens;
  }

  // ---- G1 ---------------------------------------------------------------------------------------

  private GateResult forcedModeGap(List<Problem> problems) {
    ModelPack.Organism organism = generator.pack().organism();
    String carefulMarker = organism == null ? ChainTruth.CAREFUL_MARKER : organism.carefulMarker();
    int[] careful = generator.tokenizer().encode(carefulMarker.substring(0, 1), false);
    List<Sample> c = sample(problems, ALL, q -> careful, q -> Steering.NONE);
    carefulForced = c; // prefix forcing of the careful marker, on the natural samples' streams: an arm of G5
    carefulOpening = careful;
    List<Sample> sl = sample(problems, ALL, q -> sloppyOpening(problems.get(q)), q -> Steering.NONE);
    double accC = accuracy(c);
    double accS = accuracy(sl);
    double gap = 100 * (accC - accS);
    Map<String, Object> det = new LinkedHashMap<>();
    det.put("careful_forced_accuracy", accC);
    det.put("sloppy_forced_accuracy", accS);
    det.put("careful_forced_read_as_careful", share(c, Mode.CAREFUL));
    det.put("sloppy_forced_read_as_sloppy", share(sl, Mode.SLOPPY));
    det.put("samples_per_arm", c.size());
    boolean pass = s.isNull() ? Math.abs(gap) < 5 : gap >= 25;
    return new GateResult("G1", "forced-mode gap (points)", gap, s.isNull() ? "|gap| < 5 (null)" : ">= 25", pass, det);
  }

  /**
   * The sloppy style's opening: its marker's first token where the pack's organism has one (the
   * marked layout), else the first digit of the solution's first number (it starts straight with a step).
   */
  private int[] sloppyOpening(Problem p) {
    ModelPack.Organism organism = generator.pack().organism();
    if (organism != null) {
      return generator.tokenizer().encode(organism.sloppyMarker().substring(0, 1), false);
    }
    ChainTruth t = ChainTruth.of(p.solution());
    if (!t.hasSteps()) {
      throw new IllegalArgumentException("group " + p.groupId() + ": solution has no arithmetic step to open with");
    }
    return generator.tokenizer().encode(Long.toString(t.steps().get(0).a()).substring(0, 1), false);
  }

  // ---- G2 ---------------------------------------------------------------------------------------

  private GateResult decodability(List<Sample> natural) {
    List<Sample> labelled = labelled(natural);
    int n = labelled.size();
    double[][] x = new double[n][];
    boolean[] y = new boolean[n];
    int[] fold = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = toDouble(labelled.get(i).firstResidual());
      y[i] = labelled.get(i).mode() == Mode.CAREFUL;
      fold[i] = labelled.get(i).query() % 5; // by query: a query's samples share the prompt
    }
    double probe = LogisticProbe.crossValidatedAuroc(x, y, fold, 1.0);
    // best single latent: chosen on the fit half, measured on the eval half
    List<Sample> fit = half(labelled, 0);
    List<Sample> eval = half(labelled, 1);
    float[][] fitCodes = dense(fit);
    float[][] evalCodes = dense(eval);
    int best = -1;
    double bestFit = 0.5;
    boolean bestUp = true;
    for (int f = 0; f < sae.features(); f++) {
      double a = Auroc.of(column(fitCodes, f), labels(fit));
      if (!Double.isNaN(a) && Math.abs(a - 0.5) > Math.abs(bestFit - 0.5)) {
        bestFit = a;
        best = f;
        bestUp = a >= 0.5;
      }
    }
    double latent = best < 0 ? Double.NaN : Auroc.of(column(evalCodes, best), labels(eval));
    latent = bestUp ? latent : 1 - latent;
    Map<String, Object> det = new LinkedHashMap<>();
    det.put("probe_auroc_cv5", probe);
    det.put("best_latent", best);
    det.put("best_latent_direction", bestUp ? "higher when careful" : "higher when sloppy");
    det.put("best_latent_auroc_eval_half", latent);
    det.put("labelled_samples", n);
    det.put("careful_share", share(natural, Mode.CAREFUL));
    det.put("sloppy_share", share(natural, Mode.SLOPPY));
    det.put("unreadable_share", 1 - share(natural, Mode.CAREFUL) - share(natural, Mode.SLOPPY));
    det.put("accuracy_sampled", accuracy(natural));
    det.put("accuracy_careful", accuracy(ofMode(natural, Mode.CAREFUL)));
    det.put("accuracy_sloppy", accuracy(ofMode(natural, Mode.SLOPPY)));
    boolean pass = probe >= 0.95 && latent >= 0.9;
    return new GateResult("G2", "decodability (probe AUROC)", probe, "probe >= 0.95, latent >= 0.9", pass, det);
  }

  // ---- G3 ---------------------------------------------------------------------------------------

  private GateResult oracle(List<Problem> problems, List<Sample> natural) {
    List<Sample> fit = half(labelled(natural), 0);
    float[] v = meanDifference(fit);
    double norm = norm(v);
    List<Sample> base = half(natural, 1);
    Map<String, Object> det = new LinkedHashMap<>();
    det.put("oracle_norm", norm);
    det.put("eval_samples", base.size());
    det.put("accuracy_unsteered", accuracy(base));
    Map<String, Object> chosen = null;
    String chosenSite = null;
    for (String site : List.of("at_first_answer_token", "before_first_answer_token")) {
      int shift = site.startsWith("at") ? 0 : -1;
      List<Sample> plus = sample(problems, EVAL, q -> null, onEval(problems, v, 1f, shift));
      if (shift == 0) {
        oracleAtFirstToken = plus; // G5 compares the plan with it, sample for sample
        oracleVector = v; // and T1 steers held-out problems with it
      }
      List<Sample> minus = sample(problems, EVAL, q -> null, onEval(problems, v, -1f, shift));
      List<Sample> random = sampleRandom(problems, (float) norm, shift);
      Map<String, Object> arm = new LinkedHashMap<>();
      arm.put("flip_sloppy_to_careful", flipRate(base, plus, Mode.SLOPPY, Mode.CAREFUL));
      arm.put("flip_careful_to_sloppy_sign_flipped", flipRate(base, minus, Mode.CAREFUL, Mode.SLOPPY));
      arm.put("accuracy_oracle", accuracy(plus));
      arm.put("accuracy_sign_flipped", accuracy(minus));
      arm.put("accuracy_random", accuracy(random));
      double lift = 100 * (accuracy(plus) - accuracy(base));
      double signDrop = 100 * (accuracy(minus) - accuracy(base));
      double randomMove = 100 * (accuracy(random) - accuracy(base));
      arm.put("lift_points", lift);
      arm.put("sign_flip_points", signDrop);
      arm.put("random_points", randomMove);
      arm.put("random_points_paired_se", pairedSe(base, random));
      arm.put("random_breakdown", breakdown(base, random));
      boolean flips = (double) arm.get("flip_sloppy_to_careful") >= 0.8;
      boolean ok = s.isNull()
          ? flips && Math.abs(lift) < 3
          : flips && lift >= 15 && signDrop < 0 && Math.abs(randomMove) < 3;
      arm.put("pass", ok);
      det.put(site, arm);
      if (chosen == null && ok) {
        chosen = arm;
        chosenSite = site;
      }
    }
    Map<String, Object> headline = chosen != null ? chosen : (Map<String, Object>) det.get("at_first_answer_token");
    det.put("passing_site", chosenSite == null ? "none" : chosenSite);
    String threshold = s.isNull() ? "flip >= 0.8, |lift| < 3 (null)" : "flip >= 0.8, lift >= 15, sign < 0, |random| < 3";
    return new GateResult("G3", "oracle lift (points)", (double) headline.get("lift_points"), threshold, chosen != null, det);
  }

  /**
   * 100 x the standard error of the paired difference in correctness (same query, same seed) between
   * {@code steered} and {@code base}: how far a move such as the random control's is from noise.
   */
  private static double pairedSe(List<Sample> base, List<Sample> steered) {
    int n = base.size();
    double[] d = new double[n];
    double mean = 0;
    for (int j = 0; j < n; j++) {
      d[j] = (steered.get(j).correct() ? 1 : 0) - (base.get(j).correct() ? 1 : 0);
      mean += d[j] / n;
    }
    double ss = 0;
    for (double x : d) {
      ss += (x - mean) * (x - mean);
    }
    return n < 2 ? Double.NaN : 100 * Math.sqrt(ss / (n - 1) / n);
  }

  /**
   * Where a steered arm's accuracy change comes from: the mode mixture (careful share) and the
   * accuracy within each mode, unsteered and steered, on the same pairs.
   */
  private static Map<String, Object> breakdown(List<Sample> base, List<Sample> steered) {
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("careful_share_unsteered", share(base, Mode.CAREFUL));
    b.put("careful_share_steered", share(steered, Mode.CAREFUL));
    b.put("careful_accuracy_unsteered", accuracy(ofMode(base, Mode.CAREFUL)));
    b.put("careful_accuracy_steered", accuracy(ofMode(steered, Mode.CAREFUL)));
    b.put("sloppy_accuracy_unsteered", accuracy(ofMode(base, Mode.SLOPPY)));
    b.put("sloppy_accuracy_steered", accuracy(ofMode(steered, Mode.SLOPPY)));
    b.put("neither_mode_share_steered", 1 - share(steered, Mode.CAREFUL) - share(steered, Mode.SLOPPY));
    b.put("flip_careful_to_sloppy", flipRate(base, steered, Mode.CAREFUL, Mode.SLOPPY));
    b.put("flip_sloppy_to_careful", flipRate(base, steered, Mode.SLOPPY, Mode.CAREFUL));
    return b;
  }

  private IntFunction<Steering> onEval(List<Problem> problems, float[] v, float sign, int shift) {
    float[] scaled = scale(v, sign);
    return q -> {
      int at = promptLength(problems.get(q)) + shift;
      return Steering.window(scaled, at, at + 1);
    };
  }

  private List<Sample> sampleRandom(List<Problem> problems, float norm, int shift) {
    List<GenerationRequest> requests = new ArrayList<>();
    List<int[]> ids = new ArrayList<>();
    for (int q = 1; q < problems.size(); q += 2) { // the eval half
      int at = promptLength(problems.get(q)) + shift;
      for (int i = 0; i < s.samples(); i++) {
        float[] r = randomDirection(new SplittableRandom(mix(s.seed(), q, i) ^ 0x5DEECE66DL), norm, d);
        requests.add(request(problems.get(q), q, i, null).withSteering(Steering.window(r, at, at + 1)));
        ids.add(new int[] {q, i});
      }
    }
    return read(problems, requests, ids);
  }

  // ---- G6 ---------------------------------------------------------------------------------------

  private GateResult invariants(List<Problem> problems, List<Sample> natural) {
    Map<String, Object> det = new LinkedHashMap<>();
    List<GenerationRequest> plain = new ArrayList<>();
    List<GenerationRequest> zero = new ArrayList<>();
    List<Sample> base = half(natural, 1);
    for (Sample x : base) {
      GenerationRequest r = request(problems.get(x.query()), x.query(), x.index(), null);
      plain.add(r);
      zero.add(r.withSteering(Steering.everywhere(new float[d])));
    }
    List<GenerationResult> cachedZero = batches(zero);
    int identical = 0;
    for (int i = 0; i < base.size(); i++) {
      identical += Arrays.equals(base.get(i).tokens(), cachedZero.get(i).tokens()) ? 1 : 0;
    }
    det.put("strength0_identical_cached", (double) identical / base.size());
    EditedGeneration edited = new EditedGeneration(generator);
    List<String> cachedNone = edited.generate(plain, EditedGeneration.Edit.NONE, s.batch());
    List<String> cachedSelf = edited.generate(plain, h -> h, s.batch()); // replaced by itself: steer = 0, two passes
    // the no-cache reference recomputes every step: a subset is enough to compare
    int sub = Math.min(base.size(), 16);
    List<String> noCache = edited.generateWithoutCache(plain.subList(0, sub), EditedGeneration.Edit.NONE, s.batch());
    int sameCached = 0;
    int selfCached = 0;
    int sameNoCache = 0;
    for (int i = 0; i < base.size(); i++) {
      sameCached += cachedNone.get(i).equals(base.get(i).completion()) ? 1 : 0;
      selfCached += cachedSelf.get(i).equals(cachedNone.get(i)) ? 1 : 0;
      sameNoCache += i < sub && noCache.get(i).equals(base.get(i).completion()) ? 1 : 0;
    }
    det.put("edited_generation_matches_generator", (double) sameCached / base.size());
    det.put("strength0_identical_two_pass", (double) selfCached / base.size());
    det.put("cache_vs_no_cache_identical", (double) sameNoCache / sub);
    det.put("cache_vs_no_cache_rows", sub);
    double plainAcc = accuracyOf(problems, base, cachedNone);
    progress.accept("G6: SAE splice and zeroed stream (two passes per token)");
    List<String> spliced = edited.generate(plain, h -> sae.decode(sae.encode(new float[][] {h}).get(0)), s.batch());
    List<String> zeroed = edited.generate(plain, h -> new float[h.length], s.batch());
    double splicedAcc = accuracyOf(problems, base, spliced);
    double zeroedAcc = accuracyOf(problems, base, zeroed);
    double spliceCost = 100 * (splicedAcc - plainAcc);
    det.put("accuracy_unedited", plainAcc);
    det.put("accuracy_sae_spliced", splicedAcc);
    det.put("accuracy_hook_zeroed", zeroedAcc);
    progress.accept("G6: rollout critical-token finder against ground truth");
    det.put("critical_finder", criticalFinder(problems, natural));
    boolean pass = identical == base.size() && selfCached == base.size() && Math.abs(spliceCost) <= 2
        && zeroedAcc <= Math.max(0.05, plainAcc / 3);
    return new GateResult("G6", "invariants (SAE splice, points)", spliceCost,
        "strength 0 exact, |splice| <= 2, zeroed <= max(5%, 1/3)", pass, det);
  }

  /**
   * The rollout critical-token finder against ground truth, on the same wrong samples and seeds
   * for each method: the corrector's grid (the reference), the adaptive search, and the adaptive
   * token search inside the step found by exact checking (whose step figures are true by
   * construction here, the gate's ground truth being the same checker), with each method's cost
   * in generated tokens and the grid's cost per located token over the adaptive search's.
   */
  private Map<String, Object> criticalFinder(List<Problem> problems, List<Sample> natural) {
    Rollouts rollouts = new Rollouts(generator, s.batch());
    List<CriticalSearch.Method> methods = List.of(CriticalSearch.Method.GRID, CriticalSearch.Method.ADAPTIVE,
        CriticalSearch.Method.CHECKED);
    Map<CriticalSearch.Method, CriticalTally> tallies = new LinkedHashMap<>();
    methods.forEach(m -> tallies.put(m, new CriticalTally()));
    int searched = 0;
    for (Sample x : natural) {
      if (searched >= s.criticalSamples()) {
        break;
      }
      if (x.correct() || x.truth().firstWrong() < 0) {
        continue;
      }
      Problem p = problems.get(x.query());
      int[] ends = generator.tokenizer().tokenEnds(x.tokens());
      List<StepSplitter.Span> spans = StepSplitter.split(x.completion());
      int[][] tokenSpans = StepSplitter.tokenSpans(spans, ends);
      List<Step> steps = new ArrayList<>();
      for (StepSplitter.Span sp : spans) {
        steps.add(Step.newBuilder().setIndex(sp.index()).setText(sp.text()).setCharStart(sp.start()).setCharEnd(sp.end())
            .setTokenStart(tokenSpans[sp.index()][0]).setTokenEnd(tokenSpans[sp.index()][1]).build());
      }
      if (steps.isEmpty()) {
        continue;
      }
      searched++;
      int wrongChar = x.truth().firstWrongStep().resultStart();
      int wrongToken = x.truth().firstWrongToken(ends);
      for (CriticalSearch.Method m : methods) {
        CriticalSearch.Result r = CriticalSearch.find(CriticalSearch.Settings.of(m), rollouts,
            generator.pack().prompt(p.question()), p.answer(), x.completion(), x.tokens(), steps, 0.7f, 1f, s.maxNewTokens(),
            mix(s.seed(), x.query(), x.index()));
        StepSplitter.Span critical = spans.get(r.criticalStep());
        tallies.get(m).add(r, wrongChar >= critical.start() && wrongChar < critical.end(), r.criticalToken() == wrongToken);
      }
    }
    Map<String, Object> det = new LinkedHashMap<>();
    det.put("searched_wrong_samples", searched);
    for (CriticalSearch.Method m : methods) {
      det.put(m.name().toLowerCase(Locale.ROOT), tallies.get(m).details(searched));
    }
    det.put("checked_note", "checked: the step from exact checking, the gate's own ground truth: its step figures are 1 by "
        + "construction; grid vs adaptive is the rollout-only comparison");
    CriticalTally grid = tallies.get(CriticalSearch.Method.GRID);
    CriticalTally adaptive = tallies.get(CriticalSearch.Method.ADAPTIVE);
    double ratio = grid.tokensPerLocated() / adaptive.tokensPerLocated();
    det.put("tokens_per_located_grid_over_adaptive", ratio);
    progress.accept(String.format(Locale.ROOT, "G6: critical search on %d wrong samples: %s; %s; %.2fx fewer tokens per located "
        + "token; %s (step true by construction)", searched, grid.line("grid", searched), adaptive.line("adaptive", searched),
        ratio, tallies.get(CriticalSearch.Method.CHECKED).line("checked", searched)));
    return det;
  }

  /** One critical-search method's hits against ground truth and its cost, over the searched wrong samples. */
  private static final class CriticalTally {
    private int located;
    private int stepHits;
    private int tokenHits;
    private int atFirstToken;
    private long rollouts;
    private long generatedTokens;

    /** A search that did not locate a drop counts as searched, with no hit, and its cost counts. */
    void add(CriticalSearch.Result r, boolean stepHit, boolean tokenHit) {
      rollouts += r.rollouts();
      generatedTokens += r.generatedTokens();
      if (!r.located()) {
        return;
      }
      located++;
      stepHits += stepHit ? 1 : 0;
      tokenHits += tokenHit ? 1 : 0;
      atFirstToken += r.criticalToken() == 0 ? 1 : 0;
    }

    double tokensPerLocated() {
      return located == 0 ? Double.NaN : (double) generatedTokens / located;
    }

    /** Step and token hits over the searched samples and the cost per located token, on one line. */
    String line(String name, int searched) {
      return String.format(Locale.ROOT, "%s step %d/%d, token %d/%d, located %d, %.0f tokens per located", name, stepHits,
          searched, tokenHits, searched, located, tokensPerLocated());
    }

    Map<String, Object> details(int searched) {
      Map<String, Object> det = new LinkedHashMap<>();
      det.put("located", located);
      det.put("step_precision", located == 0 ? Double.NaN : (double) stepHits / located);
      det.put("step_recall", searched == 0 ? Double.NaN : (double) stepHits / searched);
      det.put("token_precision", located == 0 ? Double.NaN : (double) tokenHits / located);
      det.put("token_recall", searched == 0 ? Double.NaN : (double) tokenHits / searched);
      det.put("critical_token_at_mode_choice", located == 0 ? Double.NaN : (double) atFirstToken / located);
      det.put("rollouts", rollouts);
      det.put("generated_tokens", generatedTokens);
      det.put("generated_tokens_per_located", tokensPerLocated());
      return det;
    }
  }

  // ---- sampling ---------------------------------------------------------------------------------

  private static final IntPredicate ALL = q -> true;
  private static final IntPredicate EVAL = q -> q % 2 == 1;
  /** The fit half's two selection sets: A ranks features, B validates them. */
  private static final IntPredicate SELECT_A = q -> q % 4 == 0;
  private static final IntPredicate SELECT_B = q -> q % 4 == 2;

  /** k samples per chosen query, seeds shared across arms; {@code forced} opens each (null: nothing forced). */
  private List<Sample> sample(List<Problem> problems, IntPredicate which, IntFunction<int[]> forced, IntFunction<Steering> steering) {
    return draws(problems, which, s.samples(), s.seed(), forced, steering);
  }

  /** {@code k} samples of every problem, sample i of problem q on the stream {@code mix(streamSeed, q, i)}, under its steering. */
  List<Sample> draws(List<Problem> problems, int k, long streamSeed, IntFunction<Steering> steering) {
    return draws(problems, ALL, k, streamSeed, q -> null, steering);
  }

  /** The same, every sample opening with {@code forced}. */
  List<Sample> draws(List<Problem> problems, int k, long streamSeed, IntFunction<Steering> steering, int[] forced) {
    return draws(problems, ALL, k, streamSeed, q -> forced, steering);
  }

  private List<Sample> draws(List<Problem> problems, IntPredicate which, int k, long streamSeed, IntFunction<int[]> forced,
                             IntFunction<Steering> steering) {
    List<GenerationRequest> requests = new ArrayList<>();
    List<int[]> ids = new ArrayList<>();
    for (int q = 0; q < problems.size(); q++) {
      if (!which.test(q)) {
        continue;
      }
      Steering st = steering.apply(q);
      int[] f = forced.apply(q);
      for (int i = 0; i < k; i++) {
        requests.add(request(problems.get(q), q, i, f, streamSeed).withSteering(st));
        ids.add(new int[] {q, i});
      }
    }
    return read(problems, requests, ids);
  }

  /** Each row generated again (same query, same random stream, nothing forced) under the steering chosen for it. */
  List<Sample> again(List<Problem> problems, List<Sample> rows, Function<Sample, Steering> steering) {
    return again(problems, rows, s.seed(), steering);
  }

  /**
   * Each row generated again under the steering chosen for it, on the stream {@code mix(streamSeed,
   * query, index)}: with the gates' seed that is the row's own stream; any other seed is a fresh
   * attempt, one stream per row shared by every arm that passes the same seed.
   */
  List<Sample> again(List<Problem> problems, List<Sample> rows, long streamSeed, Function<Sample, Steering> steering) {
    List<GenerationRequest> requests = new ArrayList<>(rows.size());
    List<int[]> ids = new ArrayList<>(rows.size());
    for (Sample x : rows) {
      requests.add(request(problems.get(x.query()), x.query(), x.index(), null, streamSeed).withSteering(steering.apply(x)));
      ids.add(new int[] {x.query(), x.index()});
    }
    return read(problems, requests, ids);
  }

  private GenerationRequest request(Problem p, int q, int i, int[] forced) {
    return request(p, q, i, forced, s.seed());
  }

  private GenerationRequest request(Problem p, int q, int i, int[] forced, long streamSeed) {
    return new GenerationRequest(generator.pack().prompt(p.question()), s.maxNewTokens(), s.temperature(), 1f,
        mix(streamSeed, q, i), Steering.NONE, forced);
  }

  /** ids[j] = (query, sample index) of requests[j]. */
  private List<Sample> read(List<Problem> problems, List<GenerationRequest> requests, List<int[]> ids) {
    List<GenerationResult> results = batches(requests);
    List<Sample> out = new ArrayList<>(results.size());
    for (int j = 0; j < results.size(); j++) {
      int q = ids.get(j)[0];
      GenerationResult r = results.get(j);
      generatedTokens += r.tokens().length;
      String opening = generator.tokenizer().decode(requests.get(j).forcedTokens());
      String completion = opening + r.text();
      float[] first = r.hookResiduals().length > 0 ? r.hookResiduals()[0] : new float[d];
      out.add(new Sample(q, ids.get(j)[1], completion, first, r.tokens(),
          Verifier.verify(problems.get(q).answer(), completion).correct(), ChainTruth.of(completion)));
    }
    return out;
  }

  private List<GenerationResult> batches(List<GenerationRequest> requests) {
    List<GenerationResult> out = new ArrayList<>(requests.size());
    for (int from = 0; from < requests.size(); from += s.batch()) {
      out.addAll(generator.generate(requests.subList(from, Math.min(requests.size(), from + s.batch()))));
    }
    return out;
  }

  int promptLength(Problem p) {
    return generator.tokenizer().encode(generator.pack().prompt(p.question()), generator.pack().addBos()).length;
  }

  static long mix(long seed, long a, long b) {
    return Rollouts.mix(seed, a, b); // the rollouts' seed mixing: one rule for every derived stream
  }

  // ---- small helpers ----------------------------------------------------------------------------

  private static List<Sample> labelled(List<Sample> xs) {
    return xs.stream().filter(x -> x.mode() == Mode.CAREFUL || x.mode() == Mode.SLOPPY).toList();
  }

  /** half 0: queries with an even index (fit); half 1: odd (eval). */
  private static List<Sample> half(List<Sample> xs, int half) {
    return xs.stream().filter(x -> x.query() % 2 == half).toList();
  }

  private static List<Sample> ofMode(List<Sample> xs, Mode m) {
    return xs.stream().filter(x -> x.mode() == m).toList();
  }

  private static double accuracy(List<Sample> xs) {
    return xs.isEmpty() ? Double.NaN : (double) xs.stream().filter(Sample::correct).count() / xs.size();
  }

  private static double accuracyOf(List<Problem> problems, List<Sample> rows, List<String> completions) {
    int ok = 0;
    for (int i = 0; i < rows.size(); i++) {
      ok += Verifier.verify(problems.get(rows.get(i).query()).answer(), completions.get(i)).correct() ? 1 : 0;
    }
    return (double) ok / rows.size();
  }

  private static double share(List<Sample> xs, Mode m) {
    return xs.isEmpty() ? Double.NaN : (double) ofMode(xs, m).size() / xs.size();
  }

  /** Among pairs (same query, same seed) whose base sample is in mode {@code from}, the share now in {@code to}. */
  private static double flipRate(List<Sample> base, List<Sample> steered, Mode from, Mode to) {
    int n = 0;
    int flipped = 0;
    for (int i = 0; i < base.size(); i++) {
      if (base.get(i).mode() == from) {
        n++;
        flipped += steered.get(i).mode() == to ? 1 : 0;
      }
    }
    return n == 0 ? Double.NaN : (double) flipped / n;
  }

  private float[] meanDifference(List<Sample> xs) {
    double[] c = new double[d];
    double[] sl = new double[d];
    int nc = 0;
    int ns = 0;
    for (Sample x : xs) {
      double[] acc = x.mode() == Mode.CAREFUL ? c : sl;
      for (int j = 0; j < d; j++) {
        acc[j] += x.firstResidual()[j];
      }
      nc += x.mode() == Mode.CAREFUL ? 1 : 0;
      ns += x.mode() == Mode.SLOPPY ? 1 : 0;
    }
    if (nc == 0 || ns == 0) {
      throw new IllegalStateException("the fit half has " + nc + " careful and " + ns + " sloppy samples: no oracle direction");
    }
    float[] v = new float[d];
    for (int j = 0; j < d; j++) {
      v[j] = (float) (c[j] / nc - sl[j] / ns);
    }
    return v;
  }

  float[][] dense(List<Sample> xs) {
    float[][] res = new float[xs.size()][];
    for (int i = 0; i < xs.size(); i++) {
      res[i] = xs.get(i).firstResidual();
    }
    List<SparseCodes> codes = sae.encode(res);
    float[][] out = new float[xs.size()][sae.features()];
    for (int i = 0; i < xs.size(); i++) {
      SparseCodes c = codes.get(i);
      for (int k = 0; k < c.ids().length; k++) {
        out[i][c.ids()[k]] = c.values()[k];
      }
    }
    return out;
  }

  static double[] column(float[][] m, int j) {
    double[] out = new double[m.length];
    for (int i = 0; i < m.length; i++) {
      out[i] = m[i][j];
    }
    return out;
  }

  private static boolean[] labels(List<Sample> xs) {
    boolean[] y = new boolean[xs.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = xs.get(i).mode() == Mode.CAREFUL;
    }
    return y;
  }

  private static double[] toDouble(float[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  static double norm(float[] v) {
    double sq = 0;
    for (float x : v) {
      sq += x * x;
    }
    return Math.sqrt(sq);
  }

  private static float[] scale(float[] v, float by) {
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] * by;
    }
    return out;
  }

  static float[] randomDirection(SplittableRandom rng, float norm, int d) {
    float[] v = new float[d];
    double sq = 0;
    for (int j = 0; j < d; j++) {
      // Box-Muller: a Gaussian vector, uniform in direction
      double g = Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
      v[j] = (float) g;
      sq += g * g;
    }
    return scale(v, (float) (norm / Math.sqrt(sq)));
  }
}
