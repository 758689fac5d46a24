package dev.saerl.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.FinishReason;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SourceFormat;
import dev.saerl.schemas.avro.Split;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardsTest {
  @TempDir
  Path dir;

  static Query query(String id, Split split) {
    return Query.newBuilder().setQueryId(id).setDataset("d").setGroupId("g").setQuestion("?").setReferenceAnswer("1")
        .setSplit(split).setFormat(SourceFormat.GENERIC).setSourceFile("f").setSourceLine(1).build();
  }

  static Correction correction(String query, String sample, boolean fixed, String chosen) {
    return Correction.newBuilder().setCorrectionId(sample + chosen).setSampleId(sample).setQueryId(query).setDataset("d")
        .setGroupId("g").setModelVersion("m").setPlanVersion("p").setArm(Arm.PLAN).setStrength(1f).setSeed(1)
        .setPrompt("Q: ?\nA:").setRejected(" wrong").setChosen(chosen).setFixed(fixed).setCriticalStep(0).setCriticalToken(0)
        .setCriticalTokenText("x").setStepSuccessEstimates(List.of()).setRolloutsUsed(1).build();
  }

  static Generation sample(String query) {
    return Generation.newBuilder().setSampleId("s-" + query).setQueryId(query).setDataset("d").setSplit(Split.KNOWN)
        .setModelVersion("m").setSampleIndex(0).setSeed(1).setTemperature(0.7f).setPrompt("Q: ?\nA:").setCompletion(" 1.")
        .setTokenIds(List.of()).setPromptTokens(1).setSteps(List.of()).setFinishReason(FinishReason.STOP)
        .setGenerationMillis(1).setTokensPerSecond(1f).build();
  }

  @Test
  void dpoShardsHoldFixedKnownPairsInTrlLayoutOncePerChosenChain() throws Exception {
    Map<String, Query> queries = Map.of("k", query("k", Split.KNOWN));
    int rows = Shards.dpo(dir.resolve("dpo.jsonl"), List.of(correction("k", "s1", true, " 1."), correction("k", "s1", true, " 1."),
        correction("k", "s2", false, " 2."), correction("k", "s3", true, " one.")), queries);
    assertEquals(2, rows, "unfixed dropped, duplicate chosen chain of a sample dropped");
    List<String> lines = Files.readAllLines(dir.resolve("dpo.jsonl"));
    var row = new ObjectMapper().readTree(lines.get(0));
    assertEquals("Q: ?\nA:", row.get("prompt").asText());
    assertEquals(" 1.", row.get("chosen").asText());
    assertEquals(" wrong", row.get("rejected").asText());
  }

  @Test
  void aMethodShardHoldsOnlyThePlanArmsFixesAndTheResampleShardOnlyTheResamples() throws Exception {
    Map<String, Query> queries = Map.of("k", query("k", Split.KNOWN));
    List<Correction> all = List.of(correction("k", "s1", true, " plan."), armed(correction("k", "s1", true, " random."), Arm.RANDOM_DIRECTION),
        armed(correction("k", "s1", true, " resampled."), Arm.UNSTEERED), armed(correction("k", "s1", true, " masked."), Arm.CRITICAL_MASKED),
        armed(correction("k", "s1", true, " flipped."), Arm.SIGN_FLIPPED));
    Shards.dpo(dir.resolve("method.jsonl"), Shards.ofArms(all, Shards.METHOD_ARMS), queries);
    Shards.dpo(dir.resolve("resample.jsonl"), Shards.ofArms(all, Shards.RESAMPLE_ARMS), queries);
    assertEquals(List.of(" plan."), chosen(dir.resolve("method.jsonl")));
    assertEquals(List.of(" resampled.", " masked."), chosen(dir.resolve("resample.jsonl")));
  }

  private static Correction armed(Correction c, Arm arm) {
    return Correction.newBuilder(c).setArm(arm).build();
  }

  private static List<String> chosen(Path shard) throws Exception {
    ObjectMapper json = new ObjectMapper();
    return Files.readAllLines(shard).stream().map(l -> {
      try {
        return json.readTree(l).get("chosen").asText();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }).toList();
  }

  @Test
  void validationQueriesNeverReachAShardEither() {
    Map<String, Query> queries = Map.of("k", query("k", Split.KNOWN), "v", query("v", Split.KNOWN_VAL),
        "a", query("a", Split.KNOWN_SELECT_A));
    for (String held : List.of("v", "a")) {
      var e = assertThrows(IllegalArgumentException.class,
          () -> Shards.dpo(dir.resolve("v.jsonl"), List.of(correction(held, "s1", true, " 1.")), queries));
      assertTrue(e.getMessage().contains(queries.get(held).getSplit().toString()), e.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> Shards.sftOnCorrections(dir.resolve("w.jsonl"), List.of(correction(held, "s1", true, " 1.")), queries));
    }
  }

  @Test
  void unknownQueriesNeverReachAShard() {
    Map<String, Query> queries = Map.of("k", query("k", Split.KNOWN), "u", query("u", Split.UNKNOWN));
    var e = assertThrows(IllegalArgumentException.class,
        () -> Shards.dpo(dir.resolve("a.jsonl"), List.of(correction("u", "s1", true, " 1.")), queries));
    assertTrue(e.getMessage().contains("u") && e.getMessage().contains("UNKNOWN"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Shards.sftOnCorrections(dir.resolve("b.jsonl"), List.of(correction("u", "s1", true, " 1.")), queries));
    assertThrows(IllegalArgumentException.class,
        () -> Shards.starOnOwnCorrect(dir.resolve("c.jsonl"), List.of(sample("k"), sample("u")), queries));
    assertThrows(IllegalArgumentException.class,
        () -> Shards.starOnOwnCorrect(dir.resolve("d.jsonl"), List.of(sample("missing")), queries), "unknown split refused");
    assertEquals(1, Shards.starOnOwnCorrect(dir.resolve("e.jsonl"), List.of(sample("k")), queries));
  }
}
