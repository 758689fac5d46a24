package dev.saerl.streams.fix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.registry.InMemorySchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.verify.SaerlTopology;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FixRatesTest {
  @TempDir
  Path state;

  static Correction correction(String sample, Arm arm, float strength, boolean fixed) {
    return Correction.newBuilder().setCorrectionId(sample + arm + strength).setSampleId(sample).setQueryId("q").setDataset("d")
        .setGroupId("g").setModelVersion("m").setPlanVersion("p").setArm(arm).setStrength(strength).setSeed(1).setPrompt("p")
        .setRejected("r").setChosen("c").setFixed(fixed).setCriticalStep(0).setCriticalToken(0).setCriticalTokenText("x")
        .setStepSuccessEstimates(List.of()).setRolloutsUsed(1).build();
  }

  @Test
  void fixRatesCountSamplesAndPairEachControlWithThePlanOnTheSameSamples() {
    Topics topics = new Topics("t.", new InMemorySchemaRegistry());
    Properties props = SaerlTopology.streamsConfig(new Properties(), "fix-test", state.toString());
    props.put("bootstrap.servers", "127.0.0.1:1");
    try (TopologyTestDriver driver = new TopologyTestDriver(SaerlTopology.build(topics), props)) {
      var c = topics.get(TopicSpecs.CORRECTIONS);
      var e = topics.get(TopicSpecs.EVALUATIONS);
      var in = driver.createInputTopic(c.name(), c.keySerde().serializer(), c.valueSerde().serializer());
      var out = driver.createOutputTopic(e.name(), e.keySerde().deserializer(), e.valueSerde().deserializer());
      // ten wrong samples: the plan fixes s0-s2 at 1.0 and s0-s4 at 2.0; the random direction s0 and s9 at 1.0
      for (int i = 0; i < 10; i++) {
        in.pipeInput("q", correction("s" + i, Arm.PLAN, 1f, i < 3));
        in.pipeInput("q", correction("s" + i, Arm.PLAN, 2f, i < 5));
        in.pipeInput("q", correction("s" + i, Arm.RANDOM_DIRECTION, 1f, i == 0 || i == 9));
      }
      Map<String, Evaluation> latest = latest(out.readValuesToList());
      assertEquals(Map.of("plan@1.0", 3L, "plan@2.0", 5L, "plan", 5L, "random_direction@1.0", 2L, "random_direction", 2L),
          successes(latest));
      Evaluation plan = latest.get("plan");
      assertEquals(10, plan.getTrials(), "samples, not the 20 attempts");
      assertEquals("fix_rate", plan.getMetric());
      assertEquals(0.5, plan.getRate(), 1e-12);
      assertEquals(0.2366, plan.getCiLow(), 1e-3); // Wilson 95% for 5/10: [0.2366, 0.7634]
      assertEquals(0.7634, plan.getCiHigh(), 1e-3);
      assertNull(plan.getComparedTo());
      Evaluation random = latest.get("random_direction");
      assertEquals("plan", random.getComparedTo());
      assertEquals(List.of(1L, 4L), List.of(random.getWins(), random.getLosses()), "s9 against s1-s4");
      assertEquals(0.375, random.getPValue(), 1e-12); // 2 P(X <= 1), X ~ Binomial(5, 1/2) = 2 * 6 / 32
      Evaluation atOne = latest.get("random_direction@1.0");
      assertEquals(List.of(1L, 2L), List.of(atOne.getWins(), atOne.getLosses()), "at 1.0 the plan fixed s1, s2 more");

      // a sample that gains an attempt replaces its old contribution: still 10 samples, s5 now fixed
      in.pipeInput("q", correction("s5", Arm.PLAN, 4f, true));
      latest.putAll(latest(out.readValuesToList()));
      assertEquals(List.of(10L, 6L), List.of(latest.get("plan").getTrials(), latest.get("plan").getSuccesses()));
      assertEquals(List.of(1L, 1L), List.of(latest.get("plan@4.0").getTrials(), latest.get("plan@4.0").getSuccesses()));
      assertEquals(5L, latest.get("random_direction").getLosses());
      FixRates stored = driver.<String, FixRates>getKeyValueStore(SaerlTopology.FIX_RATES_STORE).get("d");
      assertEquals(6, stored.cells().size(), "plan x {1, 2, 4, all}, random_direction x {1, all}");
    }
  }

  private static Map<String, Evaluation> latest(List<Evaluation> evaluations) {
    Map<String, Evaluation> latest = new HashMap<>();
    evaluations.forEach(v -> latest.put(v.getArm(), v));
    return latest;
  }

  private static Map<String, Long> successes(Map<String, Evaluation> latest) {
    Map<String, Long> out = new HashMap<>();
    latest.forEach((arm, v) -> out.put(arm, v.getSuccesses()));
    return out;
  }
}
