package dev.saerl.producers.examine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.saerl.schemas.avro.Provenance;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SourceFormat;
import dev.saerl.schemas.avro.Split;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExamineEligibilityTest {
  static Query query(String id, String group, Split split) {
    return Query.newBuilder().setQueryId(id).setDataset("d").setGroupId(group).setQuestion("Q " + id + " 3 and 4?")
        .setReferenceAnswer("7").setSplit(split).setFormat(SourceFormat.GENERIC).setSourceFile("f").setSourceLine(1).build();
  }

  static final ExaminerClient.Reply REPLY = new ExaminerClient.Reply("x", "http://e/v1", "m", 1);

  @Test
  void onlyKnownTrainGroupsAreEligibleAndAMixedGroupIsRefusedWhole() {
    Query known = query("k", "g1", Split.KNOWN);
    Query rephrasing = Rephraser.rephrased(known, "R 3 and 4?", REPLY, "numbers-kept");
    List<Query> all = List.of(known, query("u", "g2", Split.UNKNOWN), query("v", "g3", Split.KNOWN_VAL),
        query("a", "g4", Split.KNOWN_SELECT_A), query("b", "g5", Split.KNOWN_SELECT_B),
        query("claims-known", "g2", Split.KNOWN), rephrasing);
    assertEquals(List.of(known), ExamineEligibility.eligible(all));
  }

  @Test
  void aRephrasedRecordKeepsGroupSplitAndReferenceAndNamesWhoWroteIt() {
    Query known = query("k", "g1", Split.KNOWN);
    Query r = Rephraser.rephrased(known, "R 3 and 4?", REPLY, "numbers-kept");
    assertEquals("g1", r.getGroupId());
    assertEquals(Split.KNOWN, r.getSplit());
    assertEquals("7", r.getReferenceAnswer());
    assertEquals(new Provenance("rephrasing", "k", "http://e/v1", "m", "numbers-kept"), r.getProvenance());
    assertEquals(r.getQueryId(), Rephraser.rephrased(known, "R 3 and 4?", REPLY, "numbers-kept").getQueryId(), "stable id");
  }

  @Test
  void buildingARephrasingOfAnUnknownOrHeldOutQueryFails() {
    for (Split s : List.of(Split.UNKNOWN, Split.KNOWN_VAL, Split.KNOWN_SELECT_A, Split.KNOWN_SELECT_B)) {
      assertThrows(IllegalStateException.class, () -> Rephraser.rephrased(query("u", "g", s), "R 3 and 4?", REPLY, "numbers-kept"), s.name());
    }
  }
}
