package dev.saerl.streams.fix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.saerl.core.stats.Wilson;
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
  void correctionsBecomeFixRatesPerArmAndStrengthWithWilsonIntervals() {
    Topics topics = new Topics("t.", new InMemorySchemaRegistry());
    Properties props = SaerlTopology.streamsConfig(new Properties(), "fix-test", state.toString());
    props.put("bootstrap.servers", "127.0.0.1:1");
    try (TopologyTestDriver driver = new TopologyTestDriver(SaerlTopology.build(topics), props)) {
      var c = topics.get(TopicSpecs.CORRECTIONS);
      var e = topics.get(TopicSpecs.EVALUATIONS);
      var in = driver.createInputTopic(c.name(), c.keySerde().serializer(), c.valueSerde().serializer());
      var out = driver.createOutputTopic(e.name(), e.keySerde().deserializer(), e.valueSerde().deserializer());
      for (int i = 0; i < 10; i++) {
        in.pipeInput("q", correction("s" + i, Arm.PLAN, 1f, i < 3));
        in.pipeInput("q", correction("s" + i, Arm.PLAN, 2f, i < 5));
        in.pipeInput("q", correction("s" + i, Arm.RANDOM_DIRECTION, 1f, i < 1));
      }
      Map<String, Evaluation> latest = new HashMap<>();
      out.readValuesToList().forEach(v -> latest.put(v.getArm(), v));
      assertEquals(Map.of("plan@1.0", 3L, "plan@2.0", 5L, "plan", 8L, "random_direction@1.0", 1L, "random_direction", 1L),
          Map.of("plan@1.0", latest.get("plan@1.0").getSuccesses(), "plan@2.0", latest.get("plan@2.0").getSuccesses(),
              "plan", latest.get("plan").getSuccesses(), "random_direction@1.0", latest.get("random_direction@1.0").getSuccesses(),
              "random_direction", latest.get("random_direction").getSuccesses()));
      Evaluation plan = latest.get("plan");
      assertEquals(20, plan.getTrials());
      assertEquals("fix_rate", plan.getMetric());
      Wilson w = Wilson.of(8, 20);
      assertEquals(0.4, plan.getRate(), 1e-12);
      assertEquals(w.low(), plan.getCiLow(), 1e-12);
      assertEquals(0.2188, plan.getCiLow(), 1e-3); // Wilson 95% for 8/20: [0.2188, 0.6134]
      assertEquals(0.6134, plan.getCiHigh(), 1e-3);
      FixRates stored = driver.<String, FixRates>getKeyValueStore(SaerlTopology.FIX_RATES_STORE).get("d");
      assertEquals(5, stored.cells().size(), "plan x {1, 2, all}, random_direction x {1, all}");
    }
  }
}
