package dev.saerl.finetune.role;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SourceFormat;
import dev.saerl.schemas.avro.Split;
import java.util.List;
import org.junit.jupiter.api.Test;

class EligibilityTest {
  static Query query(Split split) {
    return Query.newBuilder().setQueryId("q").setDataset("arith").setGroupId("g").setQuestion("1+1?").setReferenceAnswer("2")
        .setSplit(split).setFormat(SourceFormat.values()[0]).setSourceFile("f").setSourceLine(1L).build();
  }

  static Correction correction(Arm arm, boolean fixed) {
    return Correction.newBuilder().setCorrectionId("c").setSampleId("s").setQueryId("q").setDataset("arith").setGroupId("g")
        .setModelVersion("v").setArm(arm).setStrength(1f).setSeed(1).setPrompt("p").setRejected("r").setChosen("2")
        .setFixed(fixed).setCriticalStep(0).setCriticalToken(0).setCriticalTokenText("1").setStepSuccessEstimates(List.of())
        .setRolloutsUsed(0).build();
  }

  @Test
  void onlyFixedPlanCorrectionsOfKnownTrainQueriesOfTheDatasetTrain() {
    assertTrue(Eligibility.eligible(correction(Arm.PLAN, true), query(Split.KNOWN), "arith"));
    assertFalse(Eligibility.eligible(correction(Arm.PLAN, false), query(Split.KNOWN), "arith"));
    assertFalse(Eligibility.eligible(correction(Arm.UNSTEERED, true), query(Split.KNOWN), "arith"));
    assertFalse(Eligibility.eligible(correction(Arm.PLAN, true), query(Split.KNOWN), "gsm8k"));
  }

  @Test
  void knownValSelectSetsUnknownAndUnlistedQueriesNeverTrain() {
    for (Split split : List.of(Split.KNOWN_VAL, Split.KNOWN_SELECT_A, Split.KNOWN_SELECT_B, Split.UNKNOWN)) {
      assertEquals("query split " + split, Eligibility.refusal(correction(Arm.PLAN, true), query(split), "arith"));
    }
    assertFalse(Eligibility.eligible(correction(Arm.PLAN, true), null, "arith"));
  }
}
