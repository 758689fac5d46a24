package dev.saerl.app.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.app.TopicReader;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.VersionKind;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.generate.GeneratorWorker;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.Adapter;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.pack.ModelVersions;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A generator switches to a newly announced model version between batches without losing or duplicating work. */
@Tag("integration")
class HotSwapTest {
  static final int SAMPLES = 2;

  @TempDir
  Path dir;

  @Test
  void workerSwitchesVersionsBetweenBatchesWithoutLossOrDuplicates() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    List<String> rows = Files.readAllLines(root.resolve("datasets/arith.jsonl"));
    Path first = dir.resolve("first.jsonl");
    Path second = dir.resolve("second.jsonl");
    Files.write(first, rows.subList(0, 12));
    Files.write(second, rows.subList(12, 24));
    ModelPack base = ModelPack.load(root.resolve("models/arith"));
    float[] vector = new float[base.architecture().dModel()];
    vector[0] = 0.5f;
    ModelPack adapted = base.withAdapter(dir.resolve("packs/v2"), "arith-test-v2",
        new Adapter("feature-rl", List.of(), List.of(), vector));
    assertEquals(base.version(), adapted.parentVersion());

    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("data"), "h.");
         HttpSchemaRegistry registry = new HttpSchemaRegistry(stack.registryUrl())) {
      Topics topics = new Topics("h.", registry);
      Properties client = new Properties();
      client.put("bootstrap.servers", stack.bootstrapServers());
      try (OnnxGenerator gen = new OnnxGenerator(base, 1); OnnxSparseAutoencoder sae = new OnnxSparseAutoencoder(base, 1)) {
        GeneratorWorker worker = new GeneratorWorker(client, topics, gen, sae,
            new GeneratorWorker.Settings(SAMPLES, 0.7f, 1f, 1, 100, 3, 8, "h-worker", "h-worker-0"))
            .followVersions(Set.of("feature-rl"), 1);
        Thread t = new Thread(worker, "worker");
        t.start();
        try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
          new Ingestor("arith", Split.DEFAULT, sink).ingest(first, b -> {});
        }
        TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.GENERATIONS), 12 * SAMPLES, Duration.ofSeconds(60));
        try (var producer = new KafkaProducer<byte[], byte[]>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
          var v = ModelVersions.of(adapted, VersionKind.ADAPTER, "feature-rl", null, 0);
          producer.send(topics.get(TopicSpecs.MODEL_VERSIONS).record(v.getVersion(), v)).get();
          // a version of a method the worker does not follow (a baseline) is ignored
          ModelPack baseline = base.withAdapter(dir.resolve("packs/star"), "arith-test-star",
              new Adapter("star", List.of(), List.of(), new float[base.architecture().dModel()]));
          var b = ModelVersions.of(baseline, VersionKind.WEIGHTS, "star", null, 0);
          producer.send(topics.get(TopicSpecs.MODEL_VERSIONS).record(b.getVersion(), b)).get();
        }
        Thread.sleep(1500); // the worker looks for versions between polls
        try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
          new Ingestor("arith", Split.DEFAULT, sink).ingest(second, b -> {});
        }
        List<Generation> all = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.GENERATIONS), 24 * SAMPLES,
            Duration.ofSeconds(90));
        worker.close();
        t.join(30_000);
        List<Generation> settled = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.GENERATIONS),
            Integer.MAX_VALUE, Duration.ofSeconds(3));
        assertEquals(24 * SAMPLES, settled.size(), "no lost or duplicated generations");
        Map<String, Integer> perQuery = new HashMap<>();
        Map<String, String> versionOf = new HashMap<>();
        for (Generation g : settled) {
          perQuery.merge(g.getQueryId(), 1, Integer::sum);
          versionOf.merge(g.getQueryId(), g.getModelVersion(), (a, c) -> a.equals(c) ? a : "mixed");
        }
        assertEquals(24, perQuery.size());
        perQuery.values().forEach(n -> assertEquals(SAMPLES, n));
        long onNew = versionOf.values().stream().filter("arith-test-v2"::equals).count();
        long onBase = versionOf.values().stream().filter(base.version()::equals).count();
        assertEquals(12, onBase, "the first half by the base version: " + versionOf);
        assertEquals(12, onNew, "the second half by the announced version, none by the unfollowed baseline: " + versionOf);
        assertTrue(all.size() >= 24 * SAMPLES);
      }
    }
  }
}
