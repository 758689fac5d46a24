package dev.saerl.streams.stats;

/**
 * The totals that every feature's statistics of one scope share ({@link StatsScope}: dataset, model
 * version, SAE): labelled samples by class and queries with both classes (the paired contrast's sample
 * size), with the scope's model version and SAE, and the SAE's hook layer.
 */
public record DatasetTotals(long samplesCorrect, long samplesIncorrect, long pairedQueries,
                            String modelVersion, String saeId, int hookLayer) {
  public static final DatasetTotals EMPTY = new DatasetTotals(0, 0, 0, "", "", -1);

  public long samples() {
    return samplesCorrect + samplesIncorrect;
  }

  boolean isEmpty() {
    return samplesCorrect == 0 && samplesIncorrect == 0 && pairedQueries == 0;
  }

  /** These totals with {@code d} added; {@code d} is of the same scope (its model version and SAE are these). */
  DatasetTotals plus(StatsDelta d) {
    return new DatasetTotals(samplesCorrect + d.correct(), samplesIncorrect + d.incorrect(), pairedQueries + d.paired(),
        d.modelVersion().isEmpty() ? modelVersion : d.modelVersion(), d.saeId().isEmpty() ? saeId : d.saeId(),
        d.hookLayer() < 0 ? hookLayer : d.hookLayer());
  }
}
