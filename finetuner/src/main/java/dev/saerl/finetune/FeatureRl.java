package dev.saerl.finetune;

import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.sae.SparseAutoencoder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.math3.exception.TooManyEvaluationsException;
import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.MaxIter;
import org.apache.commons.math3.optim.SimpleBounds;
import org.apache.commons.math3.optim.SimpleValueChecker;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.CMAESOptimizer;
import org.apache.commons.math3.random.MersenneTwister;

/**
 * Feature-space RL: CMA-ES over the coefficients of the plan's features, a steering adapter
 * {@code v(x) = Σ x_i d_i} added at the hook layer on every token. Objective (maximised): greedy
 * verified accuracy on a KNOWN validation batch + {@code marginWeight} x the mean length-normalised
 * log-probability margin of chosen over rejected chains of the corrections (one teacher-forced
 * pass per chain). In the JVM with ONNX Runtime only. After arXiv 2505.18706 (see docs/finetune.md).
 */
public final class FeatureRl {
  /**
   * @param maxEvaluations objective evaluations (each: a validation batch generated and the pairs scored)
   * @param initialScale start at initialScale x the plan's coefficients, with that much spread
   */
  public record Settings(int maxEvaluations, int population, double initialScale, double marginWeight, int maxNewTokens,
                         int batch, long seed) {
    public static Settings defaults() {
      return new Settings(40, 8, 0.1, 1.0, 120, 32, 17);
    }
  }

  /** One objective evaluation. */
  public record Trial(int evaluation, double[] coefficients, double accuracy, double margin, double objective) {}

  /** The best coefficients found, with their adapter vector and every trial. */
  public record Result(List<Integer> featureIds, double[] coefficients, float[] vector, Trial best, Trial start,
                       List<Trial> trials) {}

  private final OnnxGenerator generator;
  private final SparseAutoencoder sae;
  private final Settings settings;
  private final Evaluator evaluator;

  public FeatureRl(OnnxGenerator generator, SparseAutoencoder sae, Settings settings) {
    this.generator = generator;
    this.sae = sae;
    this.settings = settings;
    this.evaluator = new Evaluator(settings.maxNewTokens(), settings.batch());
  }

  public Result optimise(SteeringPlan plan, List<Query> validation, List<Correction> pairs, Consumer<Trial> progress) {
    int k = plan.getFeatureIds().size();
    float[][] directions = new float[k][];
    double[] x0 = new double[k];
    double[] sigma = new double[k];
    double[] lower = new double[k];
    double[] upper = new double[k];
    for (int i = 0; i < k; i++) {
      directions[i] = sae.direction(plan.getFeatureIds().get(i));
      double c = Math.abs(plan.getCoefficients().get(i));
      x0[i] = settings.initialScale() * plan.getCoefficients().get(i);
      sigma[i] = Math.max(1e-3, settings.initialScale() * c);
      lower[i] = -c;
      upper[i] = c;
    }
    List<String> prompts = new ArrayList<>();
    List<String> chosen = new ArrayList<>();
    List<String> rejected = new ArrayList<>();
    for (Correction c : pairs) {
      prompts.add(c.getPrompt());
      chosen.add(c.getChosen());
      rejected.add(c.getRejected());
    }
    List<Trial> trials = new ArrayList<>();
    Trial[] best = new Trial[1];
    java.util.function.Function<double[], Trial> evaluate = x -> {
      float[] v = vector(directions, x);
      boolean[] ok = evaluator.correct(generator, validation, v, n -> { });
      double accuracy = (double) Evaluator.count(ok) / Math.max(1, ok.length);
      double margin = 0;
      if (!pairs.isEmpty()) {
        double[] a = generator.meanLogProbs(prompts, chosen, v, settings.batch());
        double[] b = generator.meanLogProbs(prompts, rejected, v, settings.batch());
        for (int i = 0; i < a.length; i++) {
          margin += (a[i] - b[i]) / a.length;
        }
      }
      Trial t = new Trial(trials.size() + 1, x.clone(), accuracy, margin, accuracy + settings.marginWeight() * margin);
      trials.add(t);
      if (best[0] == null || t.objective() > best[0].objective()) {
        best[0] = t;
      }
      progress.accept(t);
      return t;
    };
    Trial start = evaluate.apply(new double[k]); // the current model, no added steering
    evaluate.apply(x0);
    CMAESOptimizer cmaes = new CMAESOptimizer(1000, Double.NEGATIVE_INFINITY, true, 0, 0,
        new MersenneTwister(settings.seed()), false, new SimpleValueChecker(1e-9, 1e-9));
    try {
      cmaes.optimize(new MaxEval(Math.max(1, settings.maxEvaluations() - 2)), new MaxIter(1000),
          new ObjectiveFunction(x -> -evaluate.apply(x).objective()), GoalType.MINIMIZE, new InitialGuess(x0),
          new SimpleBounds(lower, upper), new CMAESOptimizer.Sigma(sigma),
          new CMAESOptimizer.PopulationSize(settings.population()));
    } catch (TooManyEvaluationsException e) {
      // the budget is the stopping rule: keep the best trial seen
    }
    Trial b = best[0];
    return new Result(plan.getFeatureIds(), b.coefficients(), vector(directions, b.coefficients()), b, start, trials);
  }

  static float[] vector(float[][] directions, double[] x) {
    float[] v = new float[directions[0].length];
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < v.length; j++) {
        v[j] += (float) (x[i] * directions[i][j]);
      }
    }
    return v;
  }
}
