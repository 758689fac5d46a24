package dev.saerl.streams.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.registry.InMemorySchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.bench.SyntheticSamples;
import dev.saerl.streams.verify.SaerlTopology;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Records that are not Avro, or name a schema id the registry does not know, on every input topic: skipped, the rest counted. */
class PoisonPillTest {
  @TempDir
  Path state;

  @Test
  void poisonPillsOnEveryInputTopicAreSkippedAndGoodRecordsStillCount() {
    Topics topics = new Topics("t.", new InMemorySchemaRegistry());
    Properties props = SaerlTopology.streamsConfig(new Properties(), "poison-test", state.toString());
    props.put("bootstrap.servers", "127.0.0.1:1");
    try (TopologyTestDriver driver = new TopologyTestDriver(SaerlTopology.build(topics), props)) {
      byte[] notAvro = "{\"question\": \"not avro\"}".getBytes(StandardCharsets.UTF_8);
      byte[] unknownSchema = ByteBuffer.allocate(9).put((byte) 0).putInt(987_654).put(new byte[] {1, 2, 3, 4}).array();
      var q = topics.get(TopicSpecs.QUERIES);
      var g = topics.get(TopicSpecs.GENERATIONS);
      var f = topics.get(TopicSpecs.SAMPLE_FEATURES);
      var c = topics.get(TopicSpecs.CORRECTIONS);
      for (var topic : List.of(q.name(), g.name(), f.name(), c.name())) {
        var raw = driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer());
        raw.pipeInput("poison".getBytes(StandardCharsets.UTF_8), notAvro);
        raw.pipeInput("poison".getBytes(StandardCharsets.UTF_8), unknownSchema);
      }
      var qIn = driver.createInputTopic(q.name(), q.keySerde().serializer(), q.valueSerde().serializer());
      var gIn = driver.createInputTopic(g.name(), g.keySerde().serializer(), g.valueSerde().serializer());
      var fIn = driver.createInputTopic(f.name(), f.keySerde().serializer(), f.valueSerde().serializer());
      var data = SyntheticSamples.generate("d", Split.KNOWN, 5, 2, 1);
      for (var d : data) {
        qIn.pipeInput(d.query().getQueryId(), d.query());
        d.generations().forEach(x -> gIn.pipeInput(x.getQueryId(), x));
        d.features().forEach(x -> fIn.pipeInput(x.getQueryId(), x));
      }
      DatasetTotals t = driver.<String, DatasetTotals>getKeyValueStore(StatsStores.DATASET_TOTALS).get("d/base/sae-synthetic");
      assertEquals(10, t.samples(), "every good sample counted after the poison pills");
    }
  }
}
