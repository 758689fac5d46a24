package dev.saerl.app.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.app.StatsSnapshots;
import dev.saerl.app.TopicReader;
import dev.saerl.app.chaos.ChaosDriver.Target;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.app.embedded.ChildJvm;
import dev.saerl.finetune.role.Eligibility;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.ModelVersion;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.Verdict;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpec;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.StreamsService;
import dev.saerl.streams.stats.Recomputation;
import dev.saerl.streams.stats.StatsConfig;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.clients.admin.TransactionState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loop on three Kafka nodes with its roles in their own JVMs (two generator workers, two Streams
 * instances, a corrector, a finetuner with the real foundry trainer, and {@code saerl ingest} once
 * per wave of queries), while {@link ChaosDriver} SIGKILLs, from a seeded schedule, the KRaft
 * controller, partition leaders, any node, a worker, a Streams instance, the corrector and the
 * finetuner (mid-round, while its trainer runs), restarts each and waits for it to recover; a wave
 * is ingested before each kill. At the end, after every role has drained and stopped: exactly N
 * generations and N sample-features per query, no sample id twice, every correction once (one
 * processing per corrected sample), finetune rounds 1..R with R = eligible corrections / EVERY,
 * each version and its evaluation published once, no transaction left open, and the feature
 * statistics (restored from their changelogs into a fresh instance) equal a batch recomputation
 * from the topics' records.
 *
 * <p>Not in the default build (tag {@code chaos}): {@code tools/chaos/run.sh} runs it; kills and seed
 * from {@code -Dsaerl.chaos.kills} and {@code -Dsaerl.chaos.seed}.
 */
@Tag("chaos")
class ChaosTest {
  static final String PREFIX = "c.";
  static final int KILLS = Integer.getInteger("saerl.chaos.kills", 20);
  static final long SEED = Long.getLong("saerl.chaos.seed", 20261203L);
  static final int FIRST_WAVE = 40;
  /** More than the workers generate between two kills, so the kills land while they are busy. */
  static final int WAVE = 14;
  /** Four samples per query: most KNOWN queries get both verdicts, so a plan forms and the corrector has work. */
  static final int SAMPLES = 4;
  static final Duration DRAIN = Duration.ofMinutes(15);
  /** Eligible corrections per finetune round. */
  static final int EVERY = 4;
  static final String FINETUNE_ID = PREFIX + "finetune-arith-dpo";

  @TempDir
  Path dir;

  @Test
  void theLoopOnThreeNodesSurvivesRepeatedSigkillsWithNothingLostOrTwice() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    List<String> lines = Files.readAllLines(root.resolve("datasets/arith.jsonl"));
    int total = Math.min(lines.size(), FIRST_WAVE + WAVE * KILLS);
    long t0 = System.nanoTime();
    java.nio.file.Files.deleteIfExists(ChaosDriver.PROGRESS);
    ChaosDriver.report("chaos run: " + KILLS + " kills, seed " + SEED + ", " + SAMPLES + " samples per query");
    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("data"), PREFIX, 3);
         HttpSchemaRegistry registry = new HttpSchemaRegistry(stack.registryUrl());
         Admin admin = stack.cluster().admin()) {
      Topics topics = new Topics(PREFIX, registry);
      Properties client = new Properties();
      client.put("bootstrap.servers", stack.bootstrapServers());
      List<String> connection = List.of("--bootstrap-servers", stack.bootstrapServers(), "--registry-url",
          stack.registryUrl(), "--topic-prefix", PREFIX);
      int[] ingested = {0};
      Runnable ingestWave = () -> {
        int to = Math.min(total, ingested[0] == 0 ? FIRST_WAVE : ingested[0] + WAVE);
        if (to > ingested[0]) {
          ingest(connection, lines.subList(ingested[0], to), ingested[0]);
          ingested[0] = to;
        }
      };
      ingestWave.run();

      String pack = root.resolve("models/arith").toString();
      Map<Target, List<ChaosRole>> roles = new LinkedHashMap<>();
      for (int i = 0; i < 2; i++) {
        roles.computeIfAbsent(Target.WORKER, k -> new ArrayList<>()).add(role("worker-" + i, PREFIX + "worker",
            PREFIX + "worker-" + i, topics.get(TopicSpecs.GENERATIONS).name(), args(connection, "worker", "--pack", pack,
                "--samples", Integer.toString(SAMPLES), "--queries-per-batch", "2", "--max-new-tokens", "100", "--instance", Integer.toString(i),
                "--data-dir", dir.resolve("worker-" + i).toString())));
      }
      for (String id : List.of("a", "b")) {
        roles.computeIfAbsent(Target.STREAMS, k -> new ArrayList<>()).add(role("streams-" + id, PREFIX + "streams",
            PREFIX + "streams-" + id, null, args(connection, "streams", "--instance", id, "--http-port", "0",
                "--min-plan-samples", "40", "--min-support", "4", "--min-paired-queries", "3",
                "--data-dir", dir.resolve("streams-" + id).toString())));
      }
      roles.put(Target.CORRECTOR, List.of(role("corrector-0", PREFIX + "corrector", PREFIX + "corrector-0",
          topics.get(TopicSpecs.CORRECTIONS).name(), args(connection, "corrector", "--pack", pack, "--step-rollouts", "2",
              "--token-rollouts", "1", "--token-positions", "3", "--strengths", "0.25", "--control-share", "0", "--no-conditional",
              "--max-new-tokens", "100", "--samples-per-batch", "2", "--instance", "0",
              "--data-dir", dir.resolve("corrector-0").toString()))));
      // the real foundry trainer (DPO, a few steps) on every EVERY eligible corrections; killed mid-round, while it trains
      roles.put(Target.FINETUNE, List.of(role("finetune-0", FINETUNE_ID, FINETUNE_ID, null, args(connection, "finetune",
          "--dataset", "arith", "--arm", "dpo", "--pack", pack, "--every", Integer.toString(EVERY), "--trainer-steps", "4",
          "--val-queries", "8", "--unknown-queries", "0", "--max-new-tokens", "100",
          "--data-dir", dir.resolve("finetune-0").toString()))));
      List<ChaosRole> all = roles.values().stream().flatMap(List::stream).toList();
      try {
        all.forEach(ChaosRole::start);
        List<String> leaderTopics = List.of(topics.get(TopicSpecs.QUERIES).name(), topics.get(TopicSpecs.GENERATIONS).name(),
            topics.get(TopicSpecs.SAMPLE_FEATURES).name(), topics.get(TopicSpecs.CORRECTIONS).name());
        ChaosDriver driver = new ChaosDriver(stack.cluster(), admin, roles, leaderTopics, SEED, Duration.ofMinutes(3));
        driver.run(driver.schedule(KILLS), Duration.ofSeconds(6), Duration.ofSeconds(4), ingestWave);
        while (ingested[0] < total) {
          ingestWave.run();
        }
        ChaosDriver.report(driver.summary().stripTrailing());
        assertTrue(driver.kills.size() >= KILLS, driver.summary());

        // drain: every generation and its features committed, the corrector's group at the end of generations
        int expected = total * SAMPLES;
        String generationsTopic = topics.get(TopicSpecs.GENERATIONS).name();
        long deadline = System.nanoTime() + DRAIN.toNanos();
        long nextReport = 0;
        String corrector = PREFIX + "corrector";
        for (int done = count(stack, topics);
             done < expected || lag(stack.bootstrapServers(), admin, corrector, generationsTopic) > 0; done = count(stack, topics)) {
          for (ChaosRole r : all) {
            assertTrue(r.alive(), r.name + " exited with " + r.exitCode() + "; see " + r.log());
          }
          String state = done + " of " + expected + " generations with features, corrector lag "
              + lag(stack.bootstrapServers(), admin, corrector, generationsTopic);
          assertTrue(System.nanoTime() < deadline, "not drained in " + DRAIN + ": " + state);
          if (System.nanoTime() > nextReport) {
            ChaosDriver.report(String.format("draining at %.0f s: %s", (System.nanoTime() - t0) / 1e9, state));
            nextReport = System.nanoTime() + Duration.ofSeconds(30).toNanos();
          }
          Thread.sleep(2000);
        }
        // then the finetuner: one round per EVERY eligible corrections, every one of them trained
        int rounds = eligible(stack, topics) / EVERY;
        ChaosDriver.report(String.format("draining at %.0f s: waiting for %d finetune rounds", (System.nanoTime() - t0) / 1e9,
            rounds));
        while (versions(stack, topics).size() < rounds) {
          assertTrue(all.stream().allMatch(ChaosRole::alive), "a role exited; see the logs in " + dir);
          assertTrue(System.nanoTime() < deadline, "finetune not drained in " + DRAIN + ": "
              + versions(stack, topics).size() + " of " + rounds + " rounds");
          Thread.sleep(2000);
        }
      } finally {
        for (ChaosRole r : all) {
          r.stop();
        }
      }

      // every transactional id's transaction closed (a killed producer's is aborted when its successor fences it)
      List<TransactionListing> open = admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
          .filter(t -> Set.of(TransactionState.ONGOING, TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT,
              TransactionState.PREPARE_EPOCH_FENCE).contains(t.state()))
          .toList();
      assertEquals(List.of(), open.stream().map(t -> t.transactionalId() + " " + t.state()).toList(), "transactions left open");

      List<Query> queries = all(stack, topics, TopicSpecs.QUERIES);
      List<Generation> generations = all(stack, topics, TopicSpecs.GENERATIONS);
      List<SampleFeatures> features = all(stack, topics, TopicSpecs.SAMPLE_FEATURES);
      List<Correction> corrections = all(stack, topics, TopicSpecs.CORRECTIONS);
      assertEquals(total, queries.size(), "queries");
      assertEquals(total, queries.stream().map(Query::getQueryId).distinct().count(), "query ids");
      Map<String, Long> perQuery = generations.stream().collect(Collectors.groupingBy(Generation::getQueryId, Collectors.counting()));
      assertEquals(total, perQuery.size(), "queries with generations");
      perQuery.forEach((q, n) -> assertEquals(SAMPLES, n, "generations of " + q));
      assertEquals(total * SAMPLES, generations.stream().map(Generation::getSampleId).distinct().count(), "sample ids");
      Map<String, Long> featuresPerQuery = features.stream()
          .collect(Collectors.groupingBy(SampleFeatures::getQueryId, Collectors.counting()));
      assertEquals(total, featuresPerQuery.size(), "queries with sample-features");
      featuresPerQuery.forEach((q, n) -> assertEquals(SAMPLES, n, "sample-features of " + q));
      assertEquals(total * SAMPLES, features.stream().map(SampleFeatures::getSampleId).distinct().count(), "sample-feature ids");

      // corrections: some were made, none twice, each corrected sample from one processing (one plan version;
      // a second processing under the same plan would repeat its ids, under a newer plan add a version)
      Set<String> wrong = all(stack, topics, TopicSpecs.VERDICTS).stream().filter(v -> !v.getCorrect())
          .map(Verdict::getSampleId).collect(Collectors.toSet());
      assertTrue(!corrections.isEmpty(), "no corrections were made: the corrector never had a plan");
      assertEquals(corrections.size(), corrections.stream().map(Correction::getCorrectionId).distinct().count(),
          "a correction twice");
      Map<String, Set<String>> planVersions = corrections.stream().collect(Collectors.groupingBy(Correction::getSampleId,
          Collectors.filtering(c -> c.getPlanVersion() != null, Collectors.mapping(Correction::getPlanVersion, Collectors.toSet()))));
      planVersions.forEach((sample, versions) -> {
        assertTrue(wrong.contains(sample), sample + " was corrected but is not an incorrect generation");
        assertTrue(versions.size() <= 1, sample + " corrected more than once: plan versions " + versions);
      });

      // the finetuner: rounds 1..R, each version and its KNOWN-val evaluation published once, R = eligible / EVERY
      Map<String, Query> byId = queries.stream().collect(Collectors.toMap(Query::getQueryId, q -> q));
      long eligible = corrections.stream().filter(c -> Eligibility.eligible(c, byId.get(c.getQueryId()), "arith")).count();
      List<ModelVersion> versions = versions(stack, topics);
      assertTrue(eligible >= EVERY, "only " + eligible + " eligible corrections: the finetuner never had a round");
      assertEquals(IntStream.rangeClosed(1, (int) (eligible / EVERY)).mapToObj(r -> "arith-dpo-r" + r).toList(),
          versions.stream().map(ModelVersion::getVersion)
              .sorted(java.util.Comparator.comparingInt(v -> Integer.parseInt(v.substring("arith-dpo-r".length())))).toList(),
          "finetune versions (each record of model-versions, by round)");
      List<Evaluation> evaluations = all(stack, topics, TopicSpecs.EVALUATIONS);
      Map<Integer, Long> perRound = evaluations.stream().filter(e -> e.getArm().equals("dpo"))
          .collect(Collectors.groupingBy(Evaluation::getRound, java.util.TreeMap::new, Collectors.counting()));
      assertEquals(IntStream.rangeClosed(1, versions.size()).boxed().collect(Collectors.toMap(r -> r, r -> 1L)), perRound,
          "KNOWN-val evaluations of the candidate per round");

      // the statistics, restored from their changelogs into a fresh instance, equal a recomputation
      try (StreamsService fresh = StreamsService.start(topics, client, PREFIX + "streams", dir.resolve("streams-check"),
          new InetSocketAddress("127.0.0.1", 0), StatsConfig.DEFAULTS, true)) {
        StatsSnapshots.awaitEqual(Recomputation.of(queries, generations, features), Duration.ofMinutes(3), fresh.streams());
      }
      ChaosDriver.report(String.format("chaos run passed: %d queries, %d generations, %d sample-features, %d corrections of %d"
          + " samples, %d finetune rounds (%d accepted) on %d eligible corrections, statistics equal to the recomputation, %.0f s",
          total, generations.size(), features.size(), corrections.size(), planVersions.size(), versions.size(),
          versions.stream().filter(v -> v.getMethod().equals("dpo")).count(), eligible, (System.nanoTime() - t0) / 1e9));
    }
  }

  private ChaosRole role(String name, String group, String instancePrefix, String output, List<String> args) {
    String heap = name.startsWith("streams") ? "-Xmx512m" : "-Xmx1g";
    return new ChaosRole(name, group, instancePrefix, output,
        List.of(heap, "--enable-native-access=ALL-UNNAMED", "-Dai.djl.offline=true", "-Dsaerl.repo.root="
            + Path.of(System.getProperty("saerl.repo.root", "..")).toAbsolutePath().normalize()), args,
        dir.resolve(name + ".log"), dir);
  }

  private static List<String> args(List<String> connection, String command, String... rest) {
    List<String> a = new ArrayList<>(List.of(command));
    a.addAll(connection);
    a.addAll(List.of(rest));
    return a;
  }

  /** {@code saerl ingest} of one wave in its own JVM (the default split), which must exit 0 within two minutes. */
  private void ingest(List<String> connection, List<String> wave, int from) {
    try {
      Path file = dir.resolve("wave-" + from + ".jsonl");
      Files.write(file, wave);
      Path log = dir.resolve("ingest-" + from + ".log");
      Process p = ChildJvm.start(List.of("-Xmx256m"), args(connection, "ingest", file.toString(), "--dataset", "arith"), log, dir);
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError("saerl ingest of " + file + " did not finish in 2 minutes; see " + log);
      }
      assertEquals(0, p.exitValue(), "saerl ingest of " + file + "; see " + log);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while ingesting " + from, e);
    }
  }

  /** Corrections the finetuner may train on so far (its own rule, on the topics' records). */
  private static int eligible(EmbeddedStack stack, Topics topics) {
    Map<String, Query> byId = all(stack, topics, TopicSpecs.QUERIES).stream()
        .collect(Collectors.toMap(Query::getQueryId, q -> q, (a, b) -> a));
    return (int) all(stack, topics, TopicSpecs.CORRECTIONS).stream()
        .filter(c -> Eligibility.eligible(c, byId.get(c.getQueryId()), "arith")).count();
  }

  /** The finetuner's versions: every record of model-versions (a version published twice shows twice). */
  private static List<ModelVersion> versions(EmbeddedStack stack, Topics topics) {
    return all(stack, topics, TopicSpecs.MODEL_VERSIONS).stream().filter(v -> v.getVersion().startsWith("arith-dpo-r")).toList();
  }

  /** Every committed record of the topic, read to its end (bounded: 60 s). */
  private static <V extends SpecificRecord> List<V> all(EmbeddedStack stack, Topics topics, TopicSpec<V> spec) {
    return TopicReader.readToEnd(stack.bootstrapServers(), topics.get(spec), Duration.ofSeconds(60));
  }

  private static int count(EmbeddedStack stack, Topics topics) {
    return Math.min(all(stack, topics, TopicSpecs.GENERATIONS).size(), all(stack, topics, TopicSpecs.SAMPLE_FEATURES).size());
  }

  /**
   * Committed records of {@code topic} after {@code group}'s committed offsets, read with read_committed
   * (offsets alone overcount: a transaction's commit marker takes an offset that no consumer commits past).
   */
  private static long lag(String bootstrap, Admin admin, String group, String topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      for (TopicPartition tp : parts) {
        OffsetAndMetadata o = committed.get(tp);
        c.seek(tp, o == null ? 0 : o.offset());
      }
      Map<TopicPartition, Long> ends = c.endOffsets(parts); // the last stable offset under read_committed
      long lag = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
        lag += c.poll(Duration.ofMillis(200)).count();
      }
      return lag;
    }
  }
}
