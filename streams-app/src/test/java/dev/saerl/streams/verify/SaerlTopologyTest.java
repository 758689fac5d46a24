package dev.saerl.streams.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.avro.FinishReason;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SourceFormat;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.Verdict;
import dev.saerl.schemas.registry.InMemorySchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

class SaerlTopologyTest {
  static Query query(String id, String answer, Split split) {
    return Query.newBuilder().setQueryId(id).setDataset("d").setGroupId("g-" + id).setQuestion("?").setReferenceAnswer(answer)
        .setSplit(split).setFormat(SourceFormat.GENERIC).setSourceFile("f").setSourceLine(1).build();
  }

  static Generation generation(String queryId, String sample, String completion) {
    return Generation.newBuilder().setSampleId(sample).setQueryId(queryId).setDataset("d").setSplit(Split.KNOWN)
        .setModelVersion("v1").setSampleIndex(0).setSeed(1).setTemperature(0.7f).setPrompt("p").setCompletion(completion)
        .setTokenIds(List.of()).setPromptTokens(1).setSteps(List.of()).setFinishReason(FinishReason.STOP)
        .setGenerationMillis(1).setTokensPerSecond(1f).build();
  }

  @Test
  void generationsJoinTheirQueryAndAreVerified() {
    Topics topics = new Topics("t.", new InMemorySchemaRegistry());
    Properties props = SaerlTopology.streamsConfig(new Properties(), "test", System.getProperty("java.io.tmpdir") + "/saerl-ttd");
    props.put("bootstrap.servers", "127.0.0.1:1");
    try (TopologyTestDriver driver = new TopologyTestDriver(SaerlTopology.build(topics), props)) {
      var q = topics.get(TopicSpecs.QUERIES);
      var g = topics.get(TopicSpecs.GENERATIONS);
      var v = topics.get(TopicSpecs.VERDICTS);
      var qIn = driver.createInputTopic(q.name(), q.keySerde().serializer(), q.valueSerde().serializer());
      var gIn = driver.createInputTopic(g.name(), g.keySerde().serializer(), g.valueSerde().serializer());
      var out = driver.createOutputTopic(v.name(), v.keySerde().deserializer(), v.valueSerde().deserializer());
      qIn.pipeInput("q1", query("q1", "66", Split.KNOWN));
      qIn.pipeInput("q2", query("q2", "7", Split.UNKNOWN));
      gIn.pipeInput("q1", generation("q1", "s1", " 85 - 19 = 66. The answer is 66."));
      gIn.pipeInput("q1", generation("q1", "s2", " 85 - 19 = 65. The answer is 65."));
      gIn.pipeInput("q2", generation("q2", "s3", " 3 + 4 = 7. The answer is 7."));
      gIn.pipeInput("q3", generation("q3", "s4", " The answer is 1."));
      List<Verdict> verdicts = out.readValuesToList();
      assertEquals(3, verdicts.size(), "no verdict for a generation without a query");
      assertTrue(verdicts.get(0).getCorrect());
      assertEquals("the_answer_is", verdicts.get(0).getRule());
      assertFalse(verdicts.get(1).getCorrect());
      assertEquals("65", verdicts.get(1).getExtractedAnswer());
      assertFalse(verdicts.get(0).getEvaluationOnly());
      assertTrue(verdicts.get(2).getEvaluationOnly(), "UNKNOWN verdicts are evaluation-only");
      assertEquals("d", driver.<String, Query>getKeyValueStore(SaerlTopology.QUERIES_STORE).get("q1").getDataset());
    }
  }
}
