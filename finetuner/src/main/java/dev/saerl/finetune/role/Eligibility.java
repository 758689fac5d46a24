package dev.saerl.finetune.role;

import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Split;

/**
 * Which corrections may train a round: of the role's dataset, of the steering-plan arm, verified
 * fixed, with a chosen chain, and of a query that the queries topic puts in KNOWN-train. KNOWN-val,
 * the select sets and UNKNOWN never train, and a correction whose query is not known cannot tell
 * its split, so it does not train either.
 */
public final class Eligibility {
  private Eligibility() {}

  /** Why {@code c} cannot train, or null when it can. */
  public static String refusal(Correction c, Query q, String dataset) {
    if (!dataset.equals(c.getDataset())) {
      return "dataset " + c.getDataset();
    }
    if (c.getArm() != Arm.PLAN) {
      return "arm " + c.getArm();
    }
    if (!c.getFixed() || c.getChosen() == null) {
      return "not fixed";
    }
    if (q == null) {
      return "query " + c.getQueryId() + " is not in the queries topic";
    }
    if (q.getSplit() != Split.KNOWN) {
      return "query split " + q.getSplit();
    }
    return null;
  }

  public static boolean eligible(Correction c, Query q, String dataset) {
    return refusal(c, q, dataset) == null;
  }
}
