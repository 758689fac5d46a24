package dev.saerl.app.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.app.TopicReader;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.avro.DeadLetter;
import dev.saerl.schemas.avro.FinishReason;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.correct.Corrector;
import dev.saerl.workers.correct.CorrectorWorker;
import dev.saerl.workers.correct.CriticalSearch;
import dev.saerl.workers.correct.GroupAverages;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sample the corrector cannot correct is dead-lettered, and the corrector goes on to the next one. */
@Tag("integration")
class CorrectorErrorsTest {
  @TempDir
  Path dir;

  private static Generation emptyChain(Query q, String sampleId, String version) {
    return Generation.newBuilder().setSampleId(sampleId).setQueryId(q.getQueryId()).setDataset(q.getDataset())
        .setSplit(q.getSplit()).setModelVersion(version).setPlanVersion(null).setSampleIndex(0).setSeed(1).setTemperature(0.7f)
        .setPrompt("Q: " + q.getQuestion() + "\nA:").setCompletion("").setTokenIds(List.of()).setPromptTokens(4)
        .setSteps(List.of()).setFinishReason(FinishReason.LENGTH).setGenerationMillis(1).setTokensPerSecond(1f).build();
  }

  @Test
  void aCompletionWithNoStepsIsDeadLetteredAndDoesNotKillTheCorrector() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    Path dataset = dir.resolve("small.jsonl");
    Files.write(dataset, Files.readAllLines(root.resolve("datasets/arith.jsonl")).subList(0, 12));
    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("data"), "e.");
         HttpSchemaRegistry registry = new HttpSchemaRegistry(stack.registryUrl())) {
      Topics topics = new Topics("e.", registry);
      Properties client = new Properties();
      client.put("bootstrap.servers", stack.bootstrapServers());
      try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
        new Ingestor("arith", Split.DEFAULT, sink).ingest(dataset, b -> {});
      }
      Query q = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.QUERIES), 12, Duration.ofSeconds(30)).stream()
          .filter(x -> x.getSplit() == dev.saerl.schemas.avro.Split.KNOWN).findFirst().orElseThrow();
      ModelPack pack = ModelPack.load(root.resolve("models/arith"));
      SteeringPlan plan = SteeringPlan.newBuilder().setPlanVersion("p1").setDataset("arith").setVariant("default")
          .setModelVersion(pack.version()).setSaeId("sae").setHookLayer(pack.hookLayer()).setFeatureIds(List.of(1))
          .setCoefficients(List.of(0.1f)).setScores(List.of(1f)).setSamplesUsed(10).build();
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer());
           OnnxGenerator g = new OnnxGenerator(pack, 1); OnnxSparseAutoencoder sae = new OnnxSparseAutoencoder(pack, 1)) {
        producer.send(topics.get(TopicSpecs.STEERING_PLANS).record("arith", plan)).get();
        producer.send(topics.get(TopicSpecs.GENERATIONS).record(q.getQueryId(), emptyChain(q, "s-empty-1", pack.version()))).get();
        Corrector corrector = new Corrector(g, sae, new Corrector.Settings(CriticalSearch.Settings.grid(new CriticalSearch.Budget(2, 1, 2)), 0.7f, 1f, 60,
            List.of(0.25f), 0, 1.0, false, 9, 8));
        CorrectorWorker worker = new CorrectorWorker(client, topics, corrector, new GroupAverages(8),
            new CorrectorWorker.Settings("e-corrector", "e-corrector-0", 4));
        Thread t = new Thread(worker, "corrector");
        t.start();
        List<DeadLetter> first = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.DEAD_LETTERS), 1, Duration.ofSeconds(60));
        assertEquals(1, first.size(), "the empty chain is dead-lettered");
        // a second one after it: only a corrector that survived the first dead-letters it
        producer.send(topics.get(TopicSpecs.GENERATIONS).record(q.getQueryId(), emptyChain(q, "s-empty-2", pack.version()))).get();
        List<DeadLetter> both = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.DEAD_LETTERS), 2, Duration.ofSeconds(60));
        assertTrue(t.isAlive(), "the corrector thread is still running");
        worker.close();
        t.join(60_000);
        assertEquals(2, both.size(), "both empty chains dead-lettered: " + both);
        for (DeadLetter d : both) {
          assertEquals("corrector", d.getRole());
          assertEquals("uncorrectable", d.getReasonCode());
          assertTrue(d.getReason().contains("a chain without steps or tokens"), d.getReason());
        }
      }
    }
  }
}
