package dev.saerl.core.stats;

import java.util.Arrays;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;

/**
 * A linear probe: L2-regularised logistic regression on z-scored features, fitted by Newton's method
 * (iteratively reweighted least squares, the Hessian solved by Cholesky). The penalty {@code lambda}
 * applies to the weights, not the intercept, so separable data still gets finite weights.
 * {@link #crossValidatedAuroc} scores each example by a probe fitted without its fold.
 */
public final class LogisticProbe {
  private final double[] mean;
  private final double[] scale;
  private final double[] weights; // [d + 1], the last one the intercept

  private LogisticProbe(double[] mean, double[] scale, double[] weights) {
    this.mean = mean;
    this.scale = scale;
    this.weights = weights;
  }

  public static LogisticProbe fit(double[][] x, boolean[] y, double lambda) {
    int n = x.length;
    int d = x[0].length;
    double[] mean = new double[d];
    double[] scale = new double[d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        mean[j] += row[j] / n;
      }
    }
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / n;
      }
    }
    for (int j = 0; j < d; j++) {
      scale[j] = scale[j] > 1e-12 ? Math.sqrt(scale[j]) : 1;
    }
    double[][] z = new double[n][d + 1];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        z[i][j] = (x[i][j] - mean[j]) / scale[j];
      }
      z[i][d] = 1;
    }
    double[] w = new double[d + 1];
    for (int iter = 0; iter < 50; iter++) {
      double[] grad = new double[d + 1];
      double[][] hess = new double[d + 1][d + 1];
      for (int i = 0; i < n; i++) {
        double p = sigmoid(dot(w, z[i]));
        double r = p - (y[i] ? 1 : 0);
        double s = Math.max(p * (1 - p), 1e-9);
        for (int a = 0; a <= d; a++) {
          grad[a] += r * z[i][a];
          double za = s * z[i][a];
          for (int b = a; b <= d; b++) {
            hess[a][b] += za * z[i][b];
          }
        }
      }
      for (int a = 0; a <= d; a++) {
        for (int b = 0; b < a; b++) {
          hess[a][b] = hess[b][a];
        }
        if (a < d) {
          grad[a] += lambda * w[a];
          hess[a][a] += lambda;
        } else {
          hess[a][a] += 1e-9;
        }
      }
      RealMatrix h = new Array2DRowRealMatrix(hess, false);
      RealVector step = new CholeskyDecomposition(h, 1e-12, 1e-14).getSolver().solve(new ArrayRealVector(grad, false));
      double size = 0;
      for (int a = 0; a <= d; a++) {
        w[a] -= step.getEntry(a);
        size = Math.max(size, Math.abs(step.getEntry(a)));
      }
      if (size < 1e-8) {
        break;
      }
    }
    return new LogisticProbe(mean, scale, w);
  }

  /** The probe's log-odds of the positive class. */
  public double score(double[] row) {
    double s = weights[weights.length - 1];
    for (int j = 0; j < mean.length; j++) {
      s += weights[j] * (row[j] - mean[j]) / scale[j];
    }
    return s;
  }

  /**
   * The AUROC of out-of-fold scores: each example is scored by a probe fitted on the other folds.
   * {@code fold[i]} assigns example i to a fold (by group, so related examples stay together).
   */
  public static double crossValidatedAuroc(double[][] x, boolean[] y, int[] fold, double lambda) {
    int folds = Arrays.stream(fold).max().orElse(0) + 1;
    double[] scores = new double[x.length];
    for (int f = 0; f < folds; f++) {
      int trainCount = 0;
      for (int g : fold) {
        trainCount += g == f ? 0 : 1;
      }
      double[][] tx = new double[trainCount][];
      boolean[] ty = new boolean[trainCount];
      for (int i = 0, k = 0; i < x.length; i++) {
        if (fold[i] != f) {
          tx[k] = x[i];
          ty[k++] = y[i];
        }
      }
      LogisticProbe p = fit(tx, ty, lambda);
      for (int i = 0; i < x.length; i++) {
        if (fold[i] == f) {
          scores[i] = p.score(x[i]);
        }
      }
    }
    return Auroc.of(scores, y);
  }

  private static double sigmoid(double t) {
    return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
