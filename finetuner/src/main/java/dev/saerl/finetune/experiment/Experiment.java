package dev.saerl.finetune.experiment;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.core.stats.McNemar;
import dev.saerl.core.stats.PairedQueries;
import dev.saerl.finetune.Evaluator;
import dev.saerl.finetune.Evaluator.Draw;
import dev.saerl.finetune.Evaluator.Item;
import dev.saerl.finetune.TrainerCommand;
import dev.saerl.workers.correct.Rollouts;
import dev.saerl.workers.gates.ModeGates;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The training comparison of EXPERIMENT.md for the two arms whose data is the model's own samples:
 * STaR (SFT on the model's own correct samples of KNOWN-train) and steered STaR (the same, with the
 * method's validated plan added at the first answer token while sampling, so steering only raises
 * the yield of correct samples), and with {@link Settings#rpo} RPO on shared-prefix pairs (DPO+NLL:
 * per KNOWN-train problem half the samples drawn with the plan and half without, on the same
 * streams; where one of a stream's two samples is correct and the other is not, the correct one is
 * chosen against the other; the two share every random draw, and the prompt, so the pair differs
 * only by what the push changed). Each arm keeps its own chain of versions from the same base, over
 * {@code rounds} rounds and {@code seeds} seeds.
 *
 * <p>Equal compute, on the same draws: in a round, steered STaR draws {@code samples} samples per
 * KNOWN-train problem; STaR draws the same first {@code samples} streams and then more passes of
 * one sample per problem until its generated tokens reach the steered arm's, which in round 1
 * include everything finding the plan cost (natural samples of select A and B, the validation
 * regenerations). Both train the same trainer steps at the same batch from their own parent. RPO
 * generates as many samples as steered STaR (half pushed, half not) and trains {@link #RPO_BATCH}
 * pairs for three quarters of the steps: a pair step runs the policy forward and backward on two
 * sequences and the reference forward on both, 2 x (6N + 2N) = 16N per pair token against SFT's
 * 6N, so 8 pairs x 0.75 steps cost what 16 rows x 1 step cost. A
 * seed moves every training draw, the plan's discovery and the trainer's seed; the evaluation
 * streams are one set for every version, so every comparison is paired draw for draw.
 *
 * <p>Evaluation: per UNKNOWN problem, pass@1 over {@code evalSamples} samples and greedy; pass@1 on
 * KNOWN-val beside it. UNKNOWN only measures: nothing here reads it to choose. Compute per row is
 * the arm's cumulative generated, trained and forward-only (RPO's reference) tokens and EXPERIMENT.md's
 * FLOP proxy 2N x (generated + forward-only) + 6N x trained (N: the pack's parameter count; evaluation
 * is not counted, as every version gets the same).
 */
public final class Experiment {
  /** The foundry trainer's batch, passed to it explicitly so the trained-token count is exact in expectation. */
  public static final int TRAINER_BATCH = 16;
  /** Passes of one sample per problem STaR may add to reach the steered arm's tokens (a bound, never expected). */
  static final int MAX_EXTRA_PASSES = 200;
  /** Pairs per RPO step (at three quarters of the SFT steps: the same trained FLOPs, see the class comment). */
  public static final int RPO_BATCH = 8;

  /**
   * @param planSamples natural samples per select A/B problem for finding the plan
   * @param temperature of every sample (training data and pass@1)
   * @param minTokenProb steered STaR trains only on correct steered samples each of whose tokens
   *     has at least this probability under its own unsteered parent (teacher-forced; 0: every
   *     correct sample), so text that only the push wrote is not taught; the scoring pass counts
   *     as generated tokens
   * @param rpo also run the RPO arm
   */
  public record Settings(int seeds, int rounds, int samples, int evalSamples, int planSamples, float temperature,
                         int trainerSteps, int maxNewTokens, int batch, int threads, long evalSeed, double minTokenProb,
                         boolean rpo, Path work) {}

  /** The dataset's problems by split (one phrasing per group). */
  public record Splits(List<ModeGates.Problem> train, List<ModeGates.Problem> selectA, List<ModeGates.Problem> selectB,
                       List<ModeGates.Problem> val, List<ModeGates.Problem> unknown) {}

  /**
   * One row of the table; {@code seed} null: the mean over seeds (its tests over problems' means).
   * {@code kind}: base, baseline (STaR) or saerl (steered STaR, RPO). {@code shardRows}: the SFT rows
   * or the RPO pairs trained on (0: nothing to train, the version is its parent's).
   */
  public record Row(String arm, String kind, int round, Integer seed, String version,
                    @JsonProperty("pass_at_1") double passAt1, double ciLow, double ciHigh, double greedy,
                    @JsonProperty("known_val_pass_at_1") double knownValPassAt1, long generatedTokens, long trainedTokens,
                    long forwardTokens, double computeFlops, Double pVsBase, Double pVsStar, Double greedyPVsBase,
                    Integer shardRows, Double trainingYield) {}

  /** A seed's plan as found on the base model. */
  public record PlanRow(int seed, boolean found, List<Integer> features, String why, long generatedTokens) {}

  public record Result(List<Row> rows, List<PlanRow> plans) {}

  /**
   * A version's scores: per UNKNOWN problem pass@1 and greedy (1 or 0; over seeds, their mean), and
   * KNOWN-val pass@1 overall.
   */
  record Scores(double[] passAt1, double[] greedy, double knownVal) {}

  private final Settings s;
  private final TrainerCommand trainer;
  private final Consumer<String> say;
  private final Evaluator evaluator;
  private final Path log;

  public Experiment(Settings settings, TrainerCommand trainer, Consumer<String> say) {
    this.s = settings;
    this.trainer = trainer;
    this.say = say;
    this.evaluator = new Evaluator(settings.maxNewTokens(), settings.batch());
    this.log = settings.work().resolve("trainer.log");
  }

  public Result run(ModelPack base, Splits splits, String dataset) throws IOException, InterruptedException {
    if (splits.train().isEmpty() || splits.unknown().isEmpty()) {
      throw new IllegalArgumentException("dataset " + dataset + ": the experiment needs KNOWN-train and UNKNOWN problems, got "
          + splits.train().size() + " and " + splits.unknown().size());
    }
    Files.createDirectories(s.work());
    long n = parameters(base);
    List<Row> rows = new ArrayList<>();
    List<PlanRow> plans = new ArrayList<>();
    say.accept(String.format(Locale.ROOT, "base %s: %d KNOWN-train, %d select A, %d select B, %d KNOWN-val, %d UNKNOWN "
        + "problems; N = %,d parameters", base.version(), splits.train().size(), splits.selectA().size(),
        splits.selectB().size(), splits.val().size(), splits.unknown().size(), n));
    Scores baseScores = evaluate(base, splits);
    rows.add(row("base", "base", 0, null, base.version(), baseScores, baseScores, null, new long[3], n, null, null));
    say.accept(String.format(Locale.ROOT, "base: UNKNOWN pass@1 %.3f, greedy %.3f, KNOWN-val pass@1 %.3f",
        mean(baseScores.passAt1()), mean(baseScores.greedy()), baseScores.knownVal()));
    Map<String, List<Scores>> byArmRound = new LinkedHashMap<>();
    for (int seed = 1; seed <= s.seeds(); seed++) {
      ModeGates.Plan plan = plan(base, splits, seed);
      plans.add(new PlanRow(seed, plan.found(), plan.features(), plan.why(), plan.generatedTokens()));
      say.accept("seed " + seed + ": plan " + (plan.found() ? "found: " : "none: ") + plan.why());
      ModelPack star = base;
      ModelPack steered = base;
      ModelPack rpo = base;
      Scores rpoScores = baseScores;
      long[] starCost = new long[3]; // generated, trained, forward-only
      long[] steeredCost = new long[3];
      long[] rpoCost = new long[3];
      for (int round = 1; round <= s.rounds(); round++) {
        long stream = Rollouts.mix(seed, round, 0x57A5L);
        // steered STaR first: its generated tokens (with, in round 1, what finding the plan cost) are STaR's budget
        Trained steeredRun = null;
        int dropped = 0;
        Scores steeredScores = null;
        long budget = 0; // no plan, no steered arm: STaR draws its own samples only
        if (plan.found()) {
          float[] v = plan.vector();
          List<Draw> drawn = draw(steered, splits.train(), 0, s.samples(), stream, pos -> Steering.window(v, pos, pos + 1));
          budget = tokens(drawn) + (round == 1 ? plan.generatedTokens() : 0);
          Plausible kept = plausible(steered, splits.train(), drawn);
          drawn = kept.draws();
          dropped = kept.dropped();
          budget += kept.scoredTokens();
          steeredRun = train(steered, splits.train(), drawn, dataset + "-steered-star-s" + seed + "-r" + round, seed);
          steeredCost[0] += budget;
          steeredCost[1] += steeredRun.trainedTokens();
          steered = steeredRun.pack();
          steeredScores = evaluate(steered, splits);
        }
        List<Draw> drawn = new ArrayList<>(draw(star, splits.train(), 0, s.samples(), stream, pos -> Steering.NONE));
        for (int pass = 0; tokens(drawn) < budget && pass < MAX_EXTRA_PASSES; pass++) {
          drawn.addAll(draw(star, splits.train(), s.samples() + pass, 1, stream, pos -> Steering.NONE));
        }
        Trained starRun = train(star, splits.train(), drawn, dataset + "-star-s" + seed + "-r" + round, seed);
        starCost[0] += tokens(drawn);
        starCost[1] += starRun.trainedTokens();
        star = starRun.pack();
        Scores starScores = evaluate(star, splits);
        rows.add(row("star", "baseline", round, seed, star.version(), starScores, baseScores, null, starCost, n,
            starRun.rows(), starRun.yield()));
        byArmRound.computeIfAbsent("star|" + round, k -> new ArrayList<>()).add(starScores);
        String line = String.format(Locale.ROOT, "seed %d round %d: STaR %.3f (%d rows, yield %.2f)", seed, round,
            mean(starScores.passAt1()), starRun.rows(), starRun.yield());
        if (steeredRun != null) {
          rows.add(row("steered-star", "saerl", round, seed, steered.version(), steeredScores, baseScores, starScores,
              steeredCost, n, steeredRun.rows(), steeredRun.yield()));
          byArmRound.computeIfAbsent("steered-star|" + round, k -> new ArrayList<>()).add(steeredScores);
          line += String.format(Locale.ROOT, ", steered STaR %.3f (%d rows, yield %.2f%s)", mean(steeredScores.passAt1()),
              steeredRun.rows(), steeredRun.yield(), s.minTokenProb() > 0
                  ? ", " + dropped + " correct samples dropped as implausible unsteered" : "");
        }
        if (plan.found() && s.rpo()) {
          int half = Math.max(1, s.samples() / 2);
          float[] v = plan.vector();
          List<Draw> pushed = draw(rpo, splits.train(), 0, half, stream, pos -> Steering.window(v, pos, pos + 1));
          List<Draw> natural = draw(rpo, splits.train(), 0, half, stream, pos -> Steering.NONE);
          rpoCost[0] += tokens(pushed) + tokens(natural) + (round == 1 ? plan.generatedTokens() : 0);
          Trained rpoRun = trainPairs(rpo, splits.train(), pushed, natural, half, dataset + "-rpo-s" + seed + "-r" + round,
              seed);
          rpoCost[1] += rpoRun.trainedTokens();
          rpoCost[2] += rpoRun.forwardTokens();
          if (rpoRun.rows() > 0) { // no pair: nothing to train, the version stays its parent
            rpo = rpoRun.pack();
            rpoScores = evaluate(rpo, splits);
          }
          rows.add(row("rpo", "saerl", round, seed, rpo.version(), rpoScores, baseScores, starScores, rpoCost, n,
              rpoRun.rows(), rpoRun.yield()));
          byArmRound.computeIfAbsent("rpo|" + round, k -> new ArrayList<>()).add(rpoScores);
          line += String.format(Locale.ROOT, ", RPO %.3f (%d pairs%s)", mean(rpoScores.passAt1()), rpoRun.rows(),
              rpoRun.rows() == 0 ? ": no change" : "");
        }
        say.accept(line);
      }
    }
    if (s.seeds() > 1) {
      rows.addAll(overSeeds(rows, byArmRound, baseScores, n));
    }
    return new Result(rows, plans);
  }

  /** The mean over seeds per arm and round: per problem the seeds' mean pass@1, tested over problems. */
  private List<Row> overSeeds(List<Row> rows, Map<String, List<Scores>> byArmRound, Scores base, long n) {
    List<Row> out = new ArrayList<>();
    for (var e : byArmRound.entrySet()) {
      String arm = e.getKey().substring(0, e.getKey().indexOf('|'));
      int round = Integer.parseInt(e.getKey().substring(e.getKey().indexOf('|') + 1));
      Scores mean = average(e.getValue());
      List<Scores> star = byArmRound.get("star|" + round);
      Scores vsStar = arm.equals("star") || star == null || star.size() != e.getValue().size() ? null : average(star);
      List<Row> ofSeeds = rows.stream().filter(r -> r.arm().equals(arm) && r.round() == round && r.seed() != null).toList();
      long[] cost = {(long) ofSeeds.stream().mapToLong(Row::generatedTokens).average().orElse(0),
          (long) ofSeeds.stream().mapToLong(Row::trainedTokens).average().orElse(0),
          (long) ofSeeds.stream().mapToLong(Row::forwardTokens).average().orElse(0)};
      Row r = row(arm, ofSeeds.get(0).kind(), round, null, "mean of " + ofSeeds.size() + " seeds", mean, base, vsStar, cost,
          n, null, ofSeeds.stream().mapToDouble(Row::trainingYield).average().orElse(Double.NaN));
      out.add(r);
    }
    return out;
  }

  private static Scores average(List<Scores> xs) {
    int m = xs.get(0).passAt1().length;
    double[] p = new double[m];
    double[] greedy = new double[m];
    double val = 0;
    for (Scores x : xs) {
      for (int q = 0; q < m; q++) {
        p[q] += x.passAt1()[q] / xs.size();
        greedy[q] += x.greedy()[q] / xs.size();
      }
      val += x.knownVal() / xs.size();
    }
    return new Scores(p, greedy, val);
  }

  /** {@code cost}: the arm's cumulative generated, trained and forward-only tokens. */
  private Row row(String arm, String kind, int round, Integer seed, String version, Scores x, Scores base, Scores star,
                  long[] cost, long n, Integer shardRows, Double yield) {
    double m = mean(x.passAt1());
    double se = se(x.passAt1());
    Double pBase = arm.equals("base") ? null : PairedQueries.of(x.passAt1(), base.passAt1()).p();
    Double pStar = star == null ? null : PairedQueries.of(x.passAt1(), star.passAt1()).p();
    Double greedyP = arm.equals("base") || seed == null ? null : mcnemar(x.greedy(), base.greedy());
    return new Row(arm, kind, round, seed, version, m, m - 1.96 * se, m + 1.96 * se, mean(x.greedy()), x.knownVal(),
        cost[0], cost[1], cost[2], 2.0 * n * (cost[0] + cost[2]) + 6.0 * n * cost[1], pBase, pStar, greedyP, shardRows, yield);
  }

  /** Exact McNemar on greedy outcomes (1 or 0 per problem). */
  private static double mcnemar(double[] a, double[] b) {
    boolean[] x = new boolean[a.length];
    boolean[] y = new boolean[b.length];
    for (int q = 0; q < a.length; q++) {
      x[q] = a[q] == 1;
      y[q] = b[q] == 1;
    }
    int[] bc = McNemar.discordant(x, y);
    return McNemar.twoSided(bc[0], bc[1]);
  }

  /** The plan found on the base model from this seed's natural samples of select A and B. */
  private ModeGates.Plan plan(ModelPack base, Splits splits, int seed) {
    try (OnnxGenerator g = new OnnxGenerator(base, s.threads())) {
      var settings = new ModeGates.Settings(splits.selectA().size() + splits.selectB().size(), s.planSamples(),
          s.temperature(), Rollouts.mix(seed, 0x9A7L, 0), 0, s.maxNewTokens(), s.batch(), false, 1, 0, 0);
      return new ModeGates(g, new JavaSparseAutoencoder(base), settings, stage -> {}).plan(splits.selectA(), splits.selectB());
    }
  }

  private List<Draw> draw(ModelPack pack, List<ModeGates.Problem> problems, int first, int k, long stream,
                          IntFunction<Steering> steering) {
    try (OnnxGenerator g = new OnnxGenerator(pack, s.threads())) {
      return evaluator.draws(g, items(problems), first, k, s.temperature(), stream, steering, done -> {});
    }
  }

  private Scores evaluate(ModelPack pack, Splits splits) {
    try (OnnxGenerator g = new OnnxGenerator(pack, s.threads())) {
      List<Draw> unknown = evaluator.draws(g, items(splits.unknown()), 0, s.evalSamples(), s.temperature(), s.evalSeed(),
          pos -> Steering.NONE, done -> {});
      List<Draw> greedy = evaluator.draws(g, items(splits.unknown()), 0, 1, 0f, 0, pos -> Steering.NONE, done -> {});
      double val = splits.val().isEmpty() ? Double.NaN : mean(PairedQueries.passAtOne(correct(evaluator.draws(g,
          items(splits.val()), 0, s.evalSamples(), s.temperature(), s.evalSeed(), pos -> Steering.NONE, done -> {})),
          s.evalSamples()));
      return new Scores(PairedQueries.passAtOne(correct(unknown), s.evalSamples()), PairedQueries.passAtOne(correct(greedy), 1),
          val);
    }
  }

  /** {@code forwardTokens}: teacher-forced without a backward pass (RPO's reference); {@code yield}: rows per draw. */
  private record Trained(ModelPack pack, int rows, double yield, long trainedTokens, long forwardTokens) {}

  /** Draws with the implausible correct ones marked incorrect (not trained on), how many, and the tokens scored. */
  private record Plausible(List<Draw> draws, int dropped, long scoredTokens) {}

  /**
   * The correct steered draws each of whose tokens the unsteered parent gives at least
   * {@link Settings#minTokenProb} (teacher-forced, its own adapter and no push); the others are kept
   * in place as incorrect, so the draws' order still says whose problem each is.
   */
  private Plausible plausible(ModelPack parent, List<ModeGates.Problem> train, List<Draw> drawn) {
    if (s.minTokenProb() <= 0) {
      return new Plausible(drawn, 0, 0);
    }
    List<Integer> at = new ArrayList<>();
    List<String> prompts = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (int j = 0; j < drawn.size(); j++) {
      if (drawn.get(j).correct()) {
        at.add(j);
        prompts.add(parent.prompt(problemOf(train, j, train.size()).question()));
        texts.add(drawn.get(j).text());
      }
    }
    double floor = Math.log(s.minTokenProb());
    List<Draw> out = new ArrayList<>(drawn);
    int dropped = 0;
    long scored = 0;
    try (OnnxGenerator g = new OnnxGenerator(parent, s.threads())) {
      double[][] lp = g.tokenLogProbs(prompts, texts, null, s.batch());
      for (int i = 0; i < at.size(); i++) {
        scored += g.tokenizer().encode(prompts.get(i) + texts.get(i), parent.addBos()).length;
        if (Arrays.stream(lp[i]).min().orElse(0) < floor) {
          Draw d = drawn.get(at.get(i));
          out.set(at.get(i), new Draw(d.text(), false, d.generatedTokens()));
          dropped++;
        }
      }
    }
    return new Plausible(out, dropped, scored);
  }

  /** SFT on the correct ones of {@code drawn} (KNOWN-train samples, listed problem by problem as {@link Evaluator#draws} lists them). */
  private Trained train(ModelPack parent, List<ModeGates.Problem> train, List<Draw> drawn, String version, int seed)
      throws IOException, InterruptedException {
    Path shard = s.work().resolve("shards").resolve(version + ".jsonl");
    Files.createDirectories(shard.getParent());
    ObjectMapper json = new ObjectMapper();
    int rows = 0;
    long tokens = 0;
    int perPass = train.size();
    try (OnnxGenerator g = new OnnxGenerator(parent, 1); BufferedWriter w = Files.newBufferedWriter(shard)) {
      for (int j = 0; j < drawn.size(); j++) {
        Draw d = drawn.get(j);
        if (!d.correct()) {
          continue;
        }
        ModeGates.Problem p = problemOf(train, j, perPass);
        String prompt = parent.prompt(p.question());
        w.write(json.writeValueAsString(Map.of("prompt", prompt, "completion", d.text(), "group_id", p.groupId())));
        w.newLine();
        rows++;
        tokens += g.tokenizer().encode(prompt + d.text(), parent.addBos()).length + 1; // and the stop string
      }
    }
    if (rows == 0) {
      throw new IllegalStateException(version + ": no correct sample among " + drawn.size() + " to train on");
    }
    Path out = s.work().resolve("packs").resolve(version);
    ModelPack pack = trainOnce(parent, shard, "sft", out, version, "--batch", Integer.toString(TRAINER_BATCH), "--seed",
        Integer.toString(seed));
    long trained = (long) Math.round((double) tokens / rows * s.trainerSteps() * TRAINER_BATCH);
    return new Trained(pack, rows, (double) rows / drawn.size(), trained, 0);
  }

  /**
   * RPO on the shared-prefix pairs of {@code pushed} and {@code natural} (the same problems, {@code k}
   * samples each on the same streams): where exactly one of a stream's two samples is correct, it is
   * chosen against the other. No pair: nothing is trained and the parent is returned.
   */
  private Trained trainPairs(ModelPack parent, List<ModeGates.Problem> train, List<Draw> pushed, List<Draw> natural, int k,
                             String version, int seed) throws IOException, InterruptedException {
    Path shard = s.work().resolve("shards").resolve(version + ".jsonl");
    Files.createDirectories(shard.getParent());
    ObjectMapper json = new ObjectMapper();
    int pairs = 0;
    long tokens = 0;
    try (OnnxGenerator g = new OnnxGenerator(parent, 1); BufferedWriter w = Files.newBufferedWriter(shard)) {
      for (int j = 0; j < pushed.size(); j++) {
        Draw a = pushed.get(j);
        Draw b = natural.get(j);
        if (a.correct() == b.correct()) {
          continue;
        }
        Draw chosen = a.correct() ? a : b;
        Draw rejected = a.correct() ? b : a;
        ModeGates.Problem p = train.get(j / k);
        String prompt = parent.prompt(p.question());
        w.write(json.writeValueAsString(Map.of("prompt", prompt, "chosen", chosen.text(), "rejected", rejected.text(),
            "group_id", p.groupId())));
        w.newLine();
        pairs++;
        tokens += g.tokenizer().encode(prompt + chosen.text(), parent.addBos()).length
            + g.tokenizer().encode(prompt + rejected.text(), parent.addBos()).length + 2; // and the stop strings
      }
    }
    if (pairs == 0) {
      return new Trained(parent, 0, 0, 0, 0);
    }
    int steps = Math.max(1, Math.round(s.trainerSteps() * 0.75f));
    Path out = s.work().resolve("packs").resolve(version);
    ModelPack pack = trainOnce(parent, shard, "rpo", out, version, "--batch", Integer.toString(RPO_BATCH), "--seed",
        Integer.toString(seed), "--steps", Integer.toString(steps));
    long trained = (long) Math.round((double) tokens / pairs * steps * RPO_BATCH);
    return new Trained(pack, pairs, (double) pairs / pushed.size(), trained, trained);
  }

  /** One run of the trainer in {@code mode}, with these words added to its command line. */
  private ModelPack trainOnce(ModelPack parent, Path shard, String mode, Path out, String version, String... args)
      throws IOException, InterruptedException {
    TrainerCommand run = new TrainerCommand(trainer.template(), trainer.workDir(), trainer.timeout(), Map.of(mode, List.of(args)));
    return run.train(parent.dir(), shard, mode, out, version, this::trainerLine);
  }

  /**
   * The problem of draw j: draws come in blocks, each block problem by problem with its samples
   * together ({@link Evaluator#draws}); every block is a whole number of samples per problem.
   */
  private ModeGates.Problem problemOf(List<ModeGates.Problem> train, int j, int perPass) {
    int firstBlock = s.samples() * perPass;
    if (j < firstBlock) {
      return train.get(j / s.samples());
    }
    return train.get((j - firstBlock) % perPass);
  }

  private void trainerLine(String line) {
    try {
      Files.writeString(log, line + System.lineSeparator(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<Item> items(List<ModeGates.Problem> problems) {
    return problems.stream().map(p -> new Item(p.question(), p.answer())).toList();
  }

  private static boolean[] correct(List<Draw> xs) {
    boolean[] ok = new boolean[xs.size()];
    for (int i = 0; i < ok.length; i++) {
      ok[i] = xs.get(i).correct();
    }
    return ok;
  }

  static long tokens(List<Draw> xs) {
    return xs.stream().mapToLong(Draw::generatedTokens).sum();
  }

  static double mean(double[] xs) {
    double m = 0;
    for (double x : xs) {
      m += x / xs.length;
    }
    return m;
  }

  private static double se(double[] xs) {
    if (xs.length < 2) {
      return Double.NaN;
    }
    double m = mean(xs);
    double ss = 0;
    for (double x : xs) {
      ss += (x - m) * (x - m);
    }
    return Math.sqrt(ss / (xs.length - 1) / xs.length);
  }

  /**
   * The pack's parameter count, read from its safetensors header (the tensors' byte span over the
   * dtype's size); -1 when the pack has no safetensors.
   */
  static long parameters(ModelPack pack) throws IOException {
    Path f = pack.dir().resolve("model.safetensors");
    if (!Files.exists(f)) {
      return -1;
    }
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
      byte[] len = new byte[8];
      raf.readFully(len);
      long header = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
      long data = raf.length() - 8 - header;
      byte[] h = new byte[(int) header];
      raf.readFully(h);
      String text = new String(h, java.nio.charset.StandardCharsets.UTF_8);
      int bytesPer = text.contains("\"F16\"") || text.contains("\"BF16\"") ? 2 : 4;
      return data / bytesPer;
    }
  }
}
