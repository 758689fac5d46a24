package dev.saerl.finetune.role;

import dev.saerl.schemas.avro.ModelVersion;
import java.util.Collection;

/**
 * The role's restart state, read from model-versions: the rounds of one (dataset, arm) already
 * published. Version ids are deterministic, {@code <dataset>-<arm>-r<round>}; an accepted version
 * carries the arm's method (what workers follow), a rejected candidate {@code <arm>-candidate}.
 * The next round is one past the highest published, accepted or not, so a restarted role neither
 * repeats nor skips one; the parent of the next round is the newest accepted version.
 */
public record VersionLedger(String dataset, WeightArm arm, int lastRound, ModelVersion current) {
  public VersionLedger {
    if (lastRound < 0) {
      throw new IllegalArgumentException("lastRound must be >= 0, got " + lastRound);
    }
  }

  public static String versionId(String dataset, WeightArm arm, int round) {
    return dataset + "-" + arm.method() + "-r" + round;
  }

  public static String candidateMethod(WeightArm arm) {
    return arm.method() + "-candidate";
  }

  /** The state after the versions of model-versions so far. */
  public static VersionLedger of(String dataset, WeightArm arm, Collection<ModelVersion> versions) {
    int last = 0;
    ModelVersion current = null;
    int currentRound = 0;
    for (ModelVersion v : versions) {
      int round = roundOf(dataset, arm, v.getVersion());
      if (round < 1) {
        continue;
      }
      last = Math.max(last, round);
      if (v.getMethod().equals(arm.method()) && round > currentRound) {
        current = v;
        currentRound = round;
      }
    }
    return new VersionLedger(dataset, arm, last, current);
  }

  /** The round of a version id of this dataset and arm, or -1 when it is not one. */
  static int roundOf(String dataset, WeightArm arm, String version) {
    String prefix = dataset + "-" + arm.method() + "-r";
    if (!version.startsWith(prefix) || version.length() == prefix.length()) {
      return -1;
    }
    String digits = version.substring(prefix.length());
    for (int i = 0; i < digits.length(); i++) {
      if (!Character.isDigit(digits.charAt(i))) {
        return -1;
      }
    }
    return digits.length() > 9 ? -1 : Integer.parseInt(digits);
  }

  public int nextRound() {
    return lastRound + 1;
  }

  public String nextVersion() {
    return versionId(dataset, arm, nextRound());
  }

  /** After publishing round {@code nextRound()}: accepted moves the parent on. */
  public VersionLedger after(ModelVersion published) {
    boolean accepted = published.getMethod().equals(arm.method());
    return new VersionLedger(dataset, arm, nextRound(), accepted ? published : current);
  }
}
