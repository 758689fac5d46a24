package dev.saerl.streams.stats;

/**
 * Per-dataset totals that every feature's statistics share: labelled samples by class and queries
 * with both classes (the paired contrast's sample size), with the newest model and SAE seen.
 */
public record DatasetTotals(long samplesCorrect, long samplesIncorrect, long pairedQueries,
                            String modelVersion, String saeId, int hookLayer) {
  public static final DatasetTotals EMPTY = new DatasetTotals(0, 0, 0, "", "", -1);

  public long samples() {
    return samplesCorrect + samplesIncorrect;
  }

  DatasetTotals plus(StatsDelta d) {
    return new DatasetTotals(samplesCorrect + d.correct(), samplesIncorrect + d.incorrect(), pairedQueries + d.paired(),
        d.modelVersion().isEmpty() ? modelVersion : d.modelVersion(), d.saeId().isEmpty() ? saeId : d.saeId(),
        d.hookLayer() < 0 ? hookLayer : d.hookLayer());
  }
}
