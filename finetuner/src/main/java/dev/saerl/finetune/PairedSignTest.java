package dev.saerl.finetune;

/**
 * Whether a candidate beats the current version on the same queries: a paired sign test over the
 * discordant queries. Queries only the candidate answers right (wins) minus those only the current
 * version answers right (losses) must reach 2 sqrt(wins + losses), about one-sided 2.5%, and at
 * least 1, so a tie never replaces the current version.
 */
public record PairedSignTest(int wins, int losses) {
  public PairedSignTest {
    if (wins < 0 || losses < 0) {
      throw new IllegalArgumentException("wins and losses must be >= 0, got " + wins + " and " + losses);
    }
  }

  /** Counts the discordant pairs of two per-query results on the same queries, in the same order. */
  public static PairedSignTest of(boolean[] candidate, boolean[] current) {
    if (candidate.length != current.length) {
      throw new IllegalArgumentException("paired results must cover the same queries: " + candidate.length + " vs "
          + current.length);
    }
    int wins = 0;
    int losses = 0;
    for (int i = 0; i < candidate.length; i++) {
      wins += candidate[i] && !current[i] ? 1 : 0;
      losses += !candidate[i] && current[i] ? 1 : 0;
    }
    return new PairedSignTest(wins, losses);
  }

  public static boolean beats(boolean[] candidate, boolean[] current) {
    return of(candidate, current).passed();
  }

  public boolean passed() {
    return wins - losses >= Math.max(1, 2 * Math.sqrt(wins + losses));
  }

  @Override
  public String toString() {
    return wins + " wins, " + losses + " losses (" + (passed() ? "passed" : "not passed") + ": needs wins - losses >= "
        + String.format("%.1f", Math.max(1, 2 * Math.sqrt(wins + losses))) + ")";
  }
}
