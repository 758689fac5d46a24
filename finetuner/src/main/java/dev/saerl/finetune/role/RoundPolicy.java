package dev.saerl.finetune.role;

/**
 * When the role trains: a round starts once {@code every} new eligible corrections have arrived
 * since the previous round (the corrections of a round are those consumed since the last committed
 * round, so a restarted role counts the same ones again).
 */
public record RoundPolicy(int every) {
  public RoundPolicy {
    if (every < 1) {
      throw new IllegalArgumentException("a round needs at least 1 eligible correction, got every=" + every);
    }
  }

  public boolean due(int pendingEligible) {
    return pendingEligible >= every;
  }
}
