package dev.saerl.streams.fix;

import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import java.util.Locale;
import java.util.TreeMap;

/**
 * What correcting one incorrect sample gave, arm by arm: for each (arm, strength) attempted, whether
 * that attempt fixed it. Arms of one strength share their random stream, so two arms' outcomes on the
 * same sample are a paired comparison.
 *
 * @param outcomes "arm|strength" (arm in lower case, strength as {@link Float#toString}) to fixed
 */
public record SampleFixes(String dataset, String modelVersion, TreeMap<String, Boolean> outcomes) {
  /** The plan arm's name in {@link #outcomes}, the arm every other is paired with. */
  static final String PLAN = Arm.PLAN.name().toLowerCase(Locale.ROOT);

  public static SampleFixes empty() {
    return new SampleFixes("", "", new TreeMap<>());
  }

  /** This sample with one more attempt; a repeated attempt (same arm and strength) counts once, fixed if either was. */
  public SampleFixes plus(Correction c) {
    TreeMap<String, Boolean> next = new TreeMap<>(outcomes);
    next.merge(c.getArm().name().toLowerCase(Locale.ROOT) + "|" + c.getStrength(), c.getFixed(), Boolean::logicalOr);
    return new SampleFixes(c.getDataset(), c.getModelVersion(), next);
  }

}
