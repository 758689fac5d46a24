package dev.saerl.app.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.app.TopicReader;
import dev.saerl.app.embedded.EmbeddedKafka;
import dev.saerl.app.embedded.EmbeddedRegistry;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.generate.GeneratorWorker;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker restarts while a generator is mid-run: afterwards every query has exactly N samples, none lost or doubled. */
@Tag("integration")
class BrokerRestartTest {
  static final int QUERIES = 30;
  static final int SAMPLES = 2;

  @TempDir
  Path dir;

  @Test
  void aBrokerRestartMidRunLosesAndDuplicatesNothing() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    Path dataset = dir.resolve("rows.jsonl");
    Files.write(dataset, Files.readAllLines(root.resolve("datasets/arith.jsonl")).subList(0, QUERIES));
    Path data = dir.resolve("data");
    EmbeddedKafka kafka = EmbeddedKafka.start(data);
    try (EmbeddedRegistry registry = EmbeddedRegistry.start(data, Duration.ofSeconds(90));
         HttpSchemaRegistry client = new HttpSchemaRegistry(registry.confluentUrl())) {
      Topics topics = new Topics("b.", client);
      EmbeddedStack.createTopics(kafka.bootstrapServers(), topics);
      topics.registerSchemas();
      Properties props = new Properties();
      props.put("bootstrap.servers", kafka.bootstrapServers());
      try (KafkaQuerySink sink = new KafkaQuerySink(props, topics)) {
        new Ingestor("arith", Split.DEFAULT, sink).ingest(dataset, b -> {});
      }
      ModelPack pack = ModelPack.load(root.resolve("models/arith"));
      try (OnnxGenerator gen = new OnnxGenerator(pack, 1); OnnxSparseAutoencoder sae = new OnnxSparseAutoencoder(pack, 1)) {
        GeneratorWorker worker = new GeneratorWorker(props, topics, gen, sae,
            new GeneratorWorker.Settings(SAMPLES, 0.7f, 1f, 3, 100, 2, 8, "b-worker", "b-worker-0"));
        Thread t = new Thread(worker, "worker");
        t.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (worker.samplesDone() < 10 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertTrue(worker.samplesDone() >= 10, "worker started");
        kafka.close(); // mid-run
        Thread.sleep(2000);
        kafka = EmbeddedKafka.start(data); // same data dir and port
        List<Generation> generations = TopicReader.read(kafka.bootstrapServers(), topics.get(TopicSpecs.GENERATIONS),
            QUERIES * SAMPLES, Duration.ofSeconds(120));
        worker.close();
        t.join(60_000);
        assertTrue(!t.isAlive(), "worker stopped");
        List<Generation> all = TopicReader.read(kafka.bootstrapServers(), topics.get(TopicSpecs.GENERATIONS),
            Integer.MAX_VALUE, Duration.ofSeconds(3));
        List<SampleFeatures> features = TopicReader.read(kafka.bootstrapServers(), topics.get(TopicSpecs.SAMPLE_FEATURES),
            Integer.MAX_VALUE, Duration.ofSeconds(3));
        assertTrue(generations.size() >= QUERIES * SAMPLES, "all generations after the restart: " + generations.size());
        assertEquals(QUERIES * SAMPLES, all.size(), "none doubled");
        assertEquals(QUERIES * SAMPLES, features.size());
        Map<String, Integer> perQuery = new HashMap<>();
        all.forEach(g -> perQuery.merge(g.getQueryId(), 1, Integer::sum));
        assertEquals(QUERIES, perQuery.size());
        perQuery.values().forEach(n -> assertEquals(SAMPLES, n));
        assertEquals(QUERIES * SAMPLES, new HashSet<>(all.stream().map(Generation::getSampleId).toList()).size());
      }
    } finally {
      kafka.close();
    }
  }
}
