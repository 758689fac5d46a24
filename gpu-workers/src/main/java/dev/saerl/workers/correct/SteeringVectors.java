package dev.saerl.workers.correct;

import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.workers.sae.SparseAutoencoder;
import java.util.SplittableRandom;

/** The residual-stream vectors the arms add: the plan's, a random direction of the same norm, the plan's negated. */
public final class SteeringVectors {
  private SteeringVectors() {}

  /** Sum over the plan's features of strength x coefficient x the feature's decoder direction. */
  public static float[] plan(SteeringPlan plan, SparseAutoencoder sae, float strength) {
    float[] v = null;
    for (int i = 0; i < plan.getFeatureIds().size(); i++) {
      float[] dir = sae.direction(plan.getFeatureIds().get(i));
      v = v == null ? new float[dir.length] : v;
      float c = strength * plan.getCoefficients().get(i);
      for (int j = 0; j < dir.length; j++) {
        v[j] += c * dir[j];
      }
    }
    if (v == null) {
      throw new IllegalArgumentException("plan " + plan.getPlanVersion() + " has no features");
    }
    return v;
  }

  /** A seeded isotropic random direction with the norm of {@code like}. */
  public static float[] randomLike(float[] like, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] v = new float[like.length];
    double sq = 0;
    for (int j = 0; j < v.length; j++) {
      double g = gaussian(rnd);
      v[j] = (float) g;
      sq += g * g;
    }
    double scale = norm(like) / Math.sqrt(sq);
    for (int j = 0; j < v.length; j++) {
      v[j] *= (float) scale;
    }
    return v;
  }

  public static float[] negated(float[] v) {
    float[] out = new float[v.length];
    for (int j = 0; j < v.length; j++) {
      out[j] = -v[j];
    }
    return out;
  }

  public static double norm(float[] v) {
    double s = 0;
    for (float x : v) {
      s += (double) x * x;
    }
    return Math.sqrt(s);
  }

  private static double gaussian(SplittableRandom rnd) {
    double u = 1 - rnd.nextDouble();
    double w = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
  }
}
