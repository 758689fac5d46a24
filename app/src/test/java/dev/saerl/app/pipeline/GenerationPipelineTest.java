package dev.saerl.app.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.app.TopicReader;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.core.verify.Verifier;
import dev.saerl.producers.ingest.IngestSummary;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.Verdict;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.verify.SaerlTopology;
import dev.saerl.workers.generate.GeneratorWorker;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest, worker and Streams app on the real broker and registry with the bundled model. */
@Tag("integration")
class GenerationPipelineTest {
  static final int SAMPLES = 3;

  @TempDir
  Path dir;

  @Test
  void everyQueryGetsExactlyNGenerationsFeaturesAndVerdictsThatMatchTheVerifier() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    Path dataset = dir.resolve("small.jsonl");
    Files.write(dataset, Files.readAllLines(root.resolve("datasets/arith.jsonl")).subList(0, 12));
    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("data"), "p.");
         HttpSchemaRegistry registry = new HttpSchemaRegistry(stack.registryUrl())) {
      Topics topics = new Topics("p.", registry);
      Properties client = new Properties();
      client.put("bootstrap.servers", stack.bootstrapServers());
      IngestSummary ingested;
      try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
        ingested = new Ingestor("arith", Split.DEFAULT, sink).ingest(dataset, b -> {});
      }
      assertEquals(12, ingested.published());
      // a poison pill among the queries: the worker dead-letters it and the good queries still go through
      try (var raw = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(client,
          new org.apache.kafka.common.serialization.ByteArraySerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
        raw.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topics.get(TopicSpecs.QUERIES).name(),
            "poison".getBytes(), "{\"question\": \"not avro\"}".getBytes())).get();
      }

      ModelPack pack = ModelPack.load(root.resolve("models/arith"));
      KafkaStreams streams = new KafkaStreams(SaerlTopology.build(topics),
          SaerlTopology.streamsConfig(client, "p-streams", dir.resolve("state").toString()));
      streams.start();
      try (OnnxGenerator gen = new OnnxGenerator(pack, 1); OnnxSparseAutoencoder sae = new OnnxSparseAutoencoder(pack, 1)) {
        var settings = new GeneratorWorker.Settings(SAMPLES, 0.7f, 1f, 5, 120, 4, 8, "p-worker", "p-worker-0");
        GeneratorWorker worker = new GeneratorWorker(client, topics, gen, sae, settings);
        Thread t = new Thread(worker, "worker");
        t.start();
        List<Verdict> verdicts = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.VERDICTS), 12 * SAMPLES, Duration.ofSeconds(120));
        worker.close();
        t.join(30_000);
        List<Generation> generations = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.GENERATIONS), 12 * SAMPLES, Duration.ofSeconds(10));
        List<SampleFeatures> features = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.SAMPLE_FEATURES), 12 * SAMPLES, Duration.ofSeconds(10));
        // no more than N: read again after the worker stopped and the streams app caught up
        verdicts = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.VERDICTS), Integer.MAX_VALUE, Duration.ofSeconds(3));
        assertExactlyPerQuery(generations.stream().collect(Collectors.groupingBy(Generation::getQueryId, Collectors.counting())));
        assertExactlyPerQuery(features.stream().collect(Collectors.groupingBy(SampleFeatures::getQueryId, Collectors.counting())));
        assertExactlyPerQuery(verdicts.stream().collect(Collectors.groupingBy(Verdict::getQueryId, Collectors.counting())));
        Map<String, Generation> bySample = new HashMap<>();
        generations.forEach(g -> bySample.put(g.getSampleId(), g));
        assertEquals(12 * SAMPLES, bySample.size(), "sample ids are distinct");
        for (Verdict v : verdicts) {
          Generation g = bySample.get(v.getSampleId());
          assertEquals(Verifier.verify(v.getReferenceAnswer(), g.getCompletion()).correct(), v.getCorrect(), g.getCompletion());
          assertEquals(pack.version(), v.getModelVersion());
          assertEquals(v.getSplit() == dev.saerl.schemas.avro.Split.UNKNOWN || v.getSplit() == dev.saerl.schemas.avro.Split.KNOWN_VAL,
              v.getEvaluationOnly(), "UNKNOWN and KNOWN_VAL verdicts are evaluation-only");
        }
        List<dev.saerl.schemas.avro.DeadLetter> dead = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.DEAD_LETTERS), 1, Duration.ofSeconds(10));
        assertEquals(1, dead.size());
        assertEquals("not_avro", dead.get(0).getReasonCode());
        assertTrue(dead.get(0).getLocation().startsWith("partition "), dead.get(0).getLocation());
        for (SampleFeatures f : features) {
          Generation g = bySample.get(f.getSampleId());
          assertEquals(g.getSteps().size(), f.getSteps().size());
          assertTrue(f.getSteps().stream().allMatch(s -> s.getFeatureIds().size() == s.getMaxActivations().size()));
        }
      } finally {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(20)));
      }
    }
  }

  private static void assertExactlyPerQuery(Map<String, Long> counts) {
    assertEquals(12, counts.size(), counts.toString());
    counts.forEach((q, n) -> assertEquals(SAMPLES, n, "records for query " + q));
  }

}
