package dev.saerl.app.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.app.TopicReader;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker as a separate JVM, killed with SIGKILL at random points mid-run, again and again;
 * after a last run every query has exactly N generations and N sample-features: none lost, none
 * twice (transactions with the consumed offsets, deterministic sample ids).
 */
@Tag("integration")
class WorkerCrashTest {
  /** Enough that three runs killed shortly after their first commits leave work (a run does ~50 generations). */
  static final int QUERIES = 120;
  static final int SAMPLES = 3;
  static final int KILLS = 3;

  @TempDir
  Path dir;

  @Test
  void killingTheWorkerMidBatchLosesAndDuplicatesNothing() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    Path dataset = dir.resolve("q.jsonl");
    Files.write(dataset, Files.readAllLines(root.resolve("datasets/arith.jsonl")).subList(0, QUERIES));
    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("data"), "k.");
         HttpSchemaRegistry registry = new HttpSchemaRegistry(stack.registryUrl())) {
      Topics topics = new Topics("k.", registry);
      Properties client = new Properties();
      client.put("bootstrap.servers", stack.bootstrapServers());
      try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
        assertEquals(QUERIES, new Ingestor("arith", Split.DEFAULT, sink).ingest(dataset, b -> {}).published());
      }
      Random random = new Random(11);
      List<Integer> committedAtKill = new ArrayList<>();
      int before = 0;
      for (int k = 0; k < KILLS; k++) {
        Process worker = startWorker(stack, root, k);
        // kill at a random moment shortly after this run has committed something new: mid-run, often mid-batch
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (committed(stack, topics) <= before && worker.isAlive() && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        Thread.sleep(random.nextInt(400));
        assertTrue(worker.isAlive(), "worker " + k + " exited on its own: " + Files.readString(dir.resolve("worker-" + k + ".log")));
        worker.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        before = committed(stack, topics);
        committedAtKill.add(before);
      }
      System.out.println("committed generations when each worker was killed: " + committedAtKill + " of " + QUERIES * SAMPLES);
      // every kill landed while work was half done, so the recovery below really had something to recover
      assertTrue(committedAtKill.stream().allMatch(n -> n > 0 && n < QUERIES * SAMPLES),
          "committed generations at each kill: " + committedAtKill);
      Process last = startWorker(stack, root, KILLS);
      try {
        List<Generation> generations = TopicReader.read(stack.bootstrapServers(),
            topics.get(TopicSpecs.GENERATIONS), QUERIES * SAMPLES, Duration.ofSeconds(180));
        assertEquals(QUERIES * SAMPLES, generations.size());
      } finally {
        last.destroy();
        last.waitFor(30, TimeUnit.SECONDS);
      }
      // read everything committed, after the last worker stopped: exactly N per query
      List<Generation> generations = TopicReader.read(stack.bootstrapServers(),
          topics.get(TopicSpecs.GENERATIONS), Integer.MAX_VALUE, Duration.ofSeconds(3));
      List<SampleFeatures> features = TopicReader.read(stack.bootstrapServers(),
          topics.get(TopicSpecs.SAMPLE_FEATURES), Integer.MAX_VALUE, Duration.ofSeconds(3));
      Map<String, Long> perQuery = generations.stream().collect(Collectors.groupingBy(Generation::getQueryId, Collectors.counting()));
      assertEquals(QUERIES, perQuery.size());
      perQuery.forEach((q, n) -> assertEquals(SAMPLES, n, "generations of " + q));
      assertEquals(QUERIES * SAMPLES, generations.stream().map(Generation::getSampleId).distinct().count());
      assertEquals(QUERIES * SAMPLES, features.size());
      assertEquals(QUERIES * SAMPLES, features.stream().map(SampleFeatures::getSampleId).distinct().count());
    }
  }

  private static int committed(EmbeddedStack stack, Topics topics) {
    return TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.GENERATIONS),
        Integer.MAX_VALUE, Duration.ofMillis(300)).size();
  }

  /**
   * A manifest-only jar naming this test's class path: a long -cp makes the native libraries crash
   * the JVM (docs/pipeline.md), so the child gets a short one, as surefire does for its own JVMs.
   */
  private Path classPathJar() throws java.io.IOException {
    Path jar = dir.resolve("classpath.jar");
    if (!Files.exists(jar)) {
      StringBuilder urls = new StringBuilder();
      for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
        urls.append(Path.of(entry).toUri().toURL()).append(' ');
      }
      var manifest = new java.util.jar.Manifest();
      manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
      manifest.getMainAttributes().put(java.util.jar.Attributes.Name.CLASS_PATH, urls.toString().trim());
      try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), manifest)) {
        // the manifest is the whole content
      }
    }
    return jar;
  }

  private Process startWorker(EmbeddedStack stack, Path root, int run) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-Xmx1g", "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true",
        "-cp", classPathJar().toString(), "dev.saerl.app.cli.Main", "worker",
        "--pack", root.resolve("models/arith").toString(), "--samples", Integer.toString(SAMPLES),
        "--queries-per-batch", "2", "--max-new-tokens", "100", "--instance", "0", "--topic-prefix", "k.",
        "--bootstrap-servers", stack.bootstrapServers(), "--registry-url", stack.registryUrl()));
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("worker-" + run + ".log").toFile()).start();
  }
}
