package dev.saerl.core.stats;

/** The Wilson score interval of a binomial proportion (95%: z = 1.96), sound at 0 and n successes. */
public record Wilson(double rate, double low, double high) {
  public static final double Z95 = 1.959963984540054;

  public static Wilson of(long successes, long trials) {
    return of(successes, trials, Z95);
  }

  public static Wilson of(long successes, long trials, double z) {
    if (trials <= 0) {
      return new Wilson(Double.NaN, 0, 1);
    }
    if (successes < 0 || successes > trials) {
      throw new IllegalArgumentException("successes must be in [0, " + trials + "], got " + successes);
    }
    double n = trials;
    double p = successes / n;
    double z2 = z * z;
    double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
    double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
    return new Wilson(p, Math.max(0, centre - half), Math.min(1, centre + half));
  }
}
