package dev.saerl.finetune.role;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.saerl.schemas.avro.ModelVersion;
import dev.saerl.schemas.avro.VersionKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionLedgerTest {
  static ModelVersion version(String id, String method) {
    return ModelVersion.newBuilder().setVersion(id).setKind(VersionKind.WEIGHTS).setMethod(method).setPackUri("/p/" + id)
        .setManifestSha256("0").setCorrectionsUsed(1).setCreatedAtMs(1).build();
  }

  @Test
  void withNothingPublishedTheRoleStartsAtRoundOneFromTheBasePack() {
    VersionLedger l = VersionLedger.of("arith", WeightArm.DPO, List.of());
    assertEquals(1, l.nextRound());
    assertEquals("arith-dpo-r1", l.nextVersion());
    assertNull(l.current());
  }

  @Test
  void theNextRoundFollowsTheHighestPublishedAcceptedOrNotAndTheParentIsTheNewestAccepted() {
    VersionLedger l = VersionLedger.of("arith", WeightArm.DPO, List.of(version("arith-dpo-r2", "dpo"),
        version("arith-dpo-r3", "dpo-candidate"), version("arith-dpo-r1", "dpo")));
    assertEquals(4, l.nextRound());
    assertEquals("arith-dpo-r2", l.current().getVersion());
  }

  @Test
  void versionsOfOtherDatasetsArmsAndTheDemoDoNotCount() {
    VersionLedger l = VersionLedger.of("arith", WeightArm.DPO, List.of(version("arith-sft-r5", "sft"),
        version("arith-x-dpo-r7", "dpo"), version("arith-r1-dpo", "dpo"), version("arith-dpo-r2x", "dpo"),
        version("gsm8k-dpo-r9", "dpo")));
    assertEquals(1, l.nextRound());
    assertNull(l.current());
  }

  @Test
  void aRejectedRoundAdvancesTheRoundButKeepsTheParent() {
    VersionLedger l = VersionLedger.of("arith", WeightArm.SFT, List.of(version("arith-sft-r1", "sft")));
    VersionLedger after = l.after(version("arith-sft-r2", "sft-candidate"));
    assertEquals(3, after.nextRound());
    assertEquals("arith-sft-r1", after.current().getVersion());
    assertEquals("arith-sft-r3", after.after(version("arith-sft-r3", "sft")).current().getVersion());
  }
}
