package dev.saerl.app.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.app.TopicReader;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.core.verify.Verifier;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Verdict;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.StreamsService;
import dev.saerl.streams.stats.StatsConfig;
import dev.saerl.workers.correct.Corrector;
import dev.saerl.workers.correct.CorrectorWorker;
import dev.saerl.workers.correct.CriticalSearch;
import dev.saerl.workers.correct.GroupAverages;
import dev.saerl.workers.generate.GeneratorWorker;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ingest, generator, Streams app and corrector together on the embedded stack with the bundled model. */
@Tag("integration")
class CorrectionPipelineTest {
  static final int ROWS = 36;
  static final int ATTEMPTS_PER_SAMPLE = 6; // PLAN, RANDOM_DIRECTION, SIGN_FLIPPED, UNSTEERED, CRITICAL_MASKED, CONDITIONAL x 1 strength

  @TempDir
  Path dir;

  @Test
  void incorrectKnownSamplesGetVerifiedCorrectionsInEveryArmAndFixRatesArePublished() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    Path dataset = dir.resolve("small.jsonl");
    Files.write(dataset, Files.readAllLines(root.resolve("datasets/arith.jsonl")).subList(0, ROWS));
    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("data"), "c.");
         HttpSchemaRegistry registry = new HttpSchemaRegistry(stack.registryUrl())) {
      Topics topics = new Topics("c.", registry);
      Properties client = new Properties();
      client.put("bootstrap.servers", stack.bootstrapServers());
      try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
        new Ingestor("arith", Split.DEFAULT, sink).ingest(dataset, b -> {});
      }
      ModelPack pack = ModelPack.load(root.resolve("models/arith"));
      StatsConfig stats = new StatsConfig(4, 3, 0.95, 0.05, 8, 20, 1.0, 0.75, 0.25, 8, Duration.ofMillis(500));
      try (StreamsService streams = StreamsService.start(topics, client, "c-streams", dir.resolve("state"),
               new InetSocketAddress("127.0.0.1", 0), stats, false);
           OnnxGenerator gen = new OnnxGenerator(pack, 1); OnnxSparseAutoencoder sae = new OnnxSparseAutoencoder(pack, 1);
           OnnxGenerator corrGen = new OnnxGenerator(pack, 1)) {
        GeneratorWorker worker = new GeneratorWorker(client, topics, gen, sae,
            new GeneratorWorker.Settings(4, 0.9f, 1f, 3, 120, 6, 16, "c-worker", "c-worker-0"));
        Corrector corrector = new Corrector(corrGen, sae, new Corrector.Settings(CriticalSearch.Settings.grid(new CriticalSearch.Budget(2, 1, 2)), 0.7f, 1f,
            120, List.of(0.25f), 0, 1.0, true, 9, 32));
        CorrectorWorker correctorWorker = new CorrectorWorker(client, topics, corrector, new GroupAverages(8),
            new CorrectorWorker.Settings("c-corrector", "c-corrector-0", 4));
        Thread w = new Thread(worker, "worker");
        Thread c = new Thread(correctorWorker, "corrector");
        w.start();
        c.start();
        List<Correction> corrections = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.CORRECTIONS),
            6 * ATTEMPTS_PER_SAMPLE, Duration.ofSeconds(240));
        correctorWorker.close();
        worker.close();
        c.join(60_000);
        w.join(60_000);
        assertTrue(corrections.size() >= 6 * ATTEMPTS_PER_SAMPLE, "corrections for 6 samples: got " + corrections.size());

        Map<String, Query> queries = new HashMap<>();
        TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.QUERIES), ROWS, Duration.ofSeconds(10))
            .forEach(q -> queries.put(q.getQueryId(), q));
        Map<String, Verdict> verdicts = new HashMap<>();
        TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.VERDICTS), Integer.MAX_VALUE, Duration.ofSeconds(5))
            .forEach(v -> verdicts.put(v.getSampleId(), v));
        Map<String, Integer> attempts = new HashMap<>();
        for (Correction x : corrections) {
          Query q = queries.get(x.getQueryId());
          assertEquals(dev.saerl.schemas.avro.Split.KNOWN, q.getSplit(), "UNKNOWN queries are never corrected");
          Verdict v = verdicts.get(x.getSampleId());
          assertFalse(v != null && v.getCorrect(), "only incorrect samples are corrected");
          assertEquals(Verifier.verify(q.getReferenceAnswer(), x.getChosen()).correct(), x.getFixed());
          assertEquals(x.getStepSuccessEstimates().size() > 0, true);
          attempts.merge(x.getSampleId(), 1, Integer::sum);
        }
        attempts.values().forEach(n -> assertEquals(ATTEMPTS_PER_SAMPLE, n, "every arm recorded once per sample"));

        // the Streams app turns them into fix rates per arm, on the topic and on the API
        List<Evaluation> evaluations = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.EVALUATIONS),
            Integer.MAX_VALUE, Duration.ofSeconds(5));
        assertTrue(evaluations.stream().anyMatch(e -> e.getMetric().equals("fix_rate") && e.getArm().equals("plan")));
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(streams.url() + "api/datasets/arith/fix-rates")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode rates = new ObjectMapper().readTree(r.body());
        assertTrue(rates.size() >= 6 * 2, "6 arms, pooled and at strength 0.25: " + r.body());
        // counted by sample, each control paired with the plan on the same samples
        long samples = TopicReader.readToEnd(stack.bootstrapServers(), topics.get(TopicSpecs.CORRECTIONS), Duration.ofSeconds(30))
            .stream().map(Correction::getSampleId).distinct().count();
        for (JsonNode rate : rates) {
          assertTrue(rate.get("trials").asLong() <= samples, "trials are samples, not attempts: " + rate);
          boolean control = !rate.get("arm").asText().startsWith("plan");
          assertEquals(control ? "plan" : null, rate.get("compared_to").isNull() ? null : rate.get("compared_to").asText(), rate.toString());
          if (control) {
            assertTrue(rate.get("wins").asLong() + rate.get("losses").asLong() <= rate.get("trials").asLong(), rate.toString());
          }
        }
      }
    }
  }
}
