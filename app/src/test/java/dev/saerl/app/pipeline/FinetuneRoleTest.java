package dev.saerl.app.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.app.TopicReader;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.finetune.TrainerCommand;
import dev.saerl.finetune.role.FinetuneRole;
import dev.saerl.finetune.role.RoundPolicy;
import dev.saerl.finetune.role.WeightArm;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.ModelVersion;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.VersionKind;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.pack.Adapter;
import dev.saerl.workers.pack.ModelPack;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The finetune role on the embedded broker and registry, with the bundled model and stand-in
 * trainers (python3 scripts, no torch): a candidate that is the bundled model itself, trained from a
 * base broken by a large adapter, so the real paired sign test on KNOWN-val accepts it; one that
 * copies its parent, which the test rejects; one that hangs; one that fails. The last test runs
 * {@code saerl finetune} in child JVMs and kills the first with SIGKILL mid-round.
 */
@Tag("integration")
class FinetuneRoleTest {
  static final String PREFIX = "f.";

  @TempDir
  static Path dir;

  static EmbeddedStack stack;
  static HttpSchemaRegistry registry;
  static Topics topics;
  static Properties client;
  static ModelPack broken;
  static Map<String, List<Query>> queries = new HashMap<>();
  static Path root;

  @BeforeAll
  static void start() throws Exception {
    root = Path.of(System.getProperty("saerl.repo.root", ".."));
    ModelPack arith = ModelPack.load(root.resolve("models/arith"));
    float[] vector = new float[arith.architecture().dModel()];
    Arrays.fill(vector, 10f);
    broken = arith.withAdapter(dir.resolve("broken"), "arith-broken", new Adapter("test", List.of(), List.of(), vector));
    stack = EmbeddedStack.start(dir.resolve("data"), PREFIX);
    registry = new HttpSchemaRegistry(stack.registryUrl());
    topics = new Topics(PREFIX, registry);
    client = new Properties();
    client.put("bootstrap.servers", stack.bootstrapServers());
    List<String> lines = Files.readAllLines(root.resolve("datasets/arith.jsonl"));
    try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
      int from = 0;
      for (String dataset : List.of("arith", "arithb", "arithc")) { // other rows: a query id is a hash of the row, not of the dataset
        Path rows = dir.resolve(dataset + ".jsonl");
        Files.write(rows, lines.subList(from, from + 240));
        from += 240;
        new Ingestor(dataset, Split.DEFAULT, sink).ingest(rows, b -> {});
      }
    }
    for (Query q : TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.QUERIES), 480, Duration.ofSeconds(60))) {
      queries.computeIfAbsent(q.getDataset() + "/" + q.getSplit(), k -> new ArrayList<>()).add(q);
    }
    queries.values().forEach(l -> l.sort(java.util.Comparator.comparing(Query::getQueryId)));
  }

  @AfterAll
  static void stop() {
    registry.close();
    stack.close();
  }

  /** A stand-in trainer: python3 with the script's lines, called with {pack} {shard} {mode} {out} {version}. */
  static TrainerCommand trainer(String name, Duration timeout, String... body) throws Exception {
    Path script = dir.resolve(name + ".py");
    Files.writeString(script, "import json, shutil, sys, time\npack, shard, mode, out, version = sys.argv[1:6]\n"
        + String.join("\n", body) + "\n");
    return new TrainerCommand(List.of("/usr/bin/python3", script.toString(), "{pack}", "{shard}", "{mode}", "{out}", "{version}"),
        dir, timeout, Map.of());
  }

  /** Writes the parent pack under the new version, without its adapter when {@code dropAdapter}. */
  static String[] copying(boolean dropAdapter) {
    return new String[] {"shutil.copytree(pack, out)", "m = json.load(open(out + '/manifest.json'))",
        dropAdapter ? "m.pop('adapter', None)" : "pass",
        "m['parent_version'] = m['version']; m['version'] = version", "json.dump(m, open(out + '/manifest.json', 'w'))"};
  }

  static FinetuneRole role(String dataset, WeightArm arm, int every, TrainerCommand trainer) {
    String id = PREFIX + "finetune-" + dataset + "-" + arm.method();
    return new FinetuneRole(client, topics, new FinetuneRole.Settings(dataset, arm, new RoundPolicy(every), id, id,
        broken.dir(), dir.resolve("work-" + dataset), trainer, 24, 24, 160, 1));
  }

  record Running(FinetuneRole role, Thread thread, AtomicReference<Throwable> failure) {
    static Running start(FinetuneRole role) {
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread t = new Thread(role, "finetune");
      t.setUncaughtExceptionHandler((th, e) -> failure.set(e));
      t.start();
      return new Running(role, t, failure);
    }

    void stop() throws InterruptedException {
      role.close();
      thread.join(60_000);
      assertFalse(thread.isAlive(), "the role stopped");
    }
  }

  static Correction correction(Query q, Arm arm, boolean fixed, String tag) {
    return Correction.newBuilder().setCorrectionId("c-" + tag + "-" + q.getQueryId()).setSampleId("s-" + tag + "-" + q.getQueryId())
        .setQueryId(q.getQueryId()).setDataset(q.getDataset()).setGroupId(q.getGroupId()).setModelVersion("arith-broken")
        .setPlanVersion("plan-1").setArm(arm).setStrength(1f).setSeed(1).setPrompt("Q: " + q.getQuestion() + "\nA:")
        .setRejected(" 1 + 1 = 3. The answer is 3.").setChosen(" " + q.getReferenceSolution()).setFixed(fixed)
        .setCriticalStep(0).setCriticalToken(0).setCriticalTokenText("3").setStepSuccessEstimates(List.of())
        .setRolloutsUsed(0).build();
  }

  /** Publishes in order on one partition (one key), so the role reads them in this order. */
  static void publish(List<Correction> cs) throws Exception {
    try (var producer = new KafkaProducer<byte[], byte[]>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (Correction c : cs) {
        producer.send(topics.get(TopicSpecs.CORRECTIONS).record("one-partition", c)).get();
      }
    }
  }

  static List<Correction> eligible(String dataset, int from, int n, String tag) {
    return queries.get(dataset + "/KNOWN").subList(from, from + n).stream().map(q -> correction(q, Arm.PLAN, true, tag)).toList();
  }

  static List<ModelVersion> versions(String prefix) {
    return TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.MODEL_VERSIONS), Integer.MAX_VALUE,
        Duration.ofSeconds(2)).stream().filter(v -> v.getVersion().startsWith(prefix)).toList();
  }

  static void await(BooleanSupplier condition, Duration max, String what) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(100);
    }
  }

  @Test
  void restartedMidRoundTheRolePublishesExactlyOneVersionPerRoundAndLosesNone() throws Exception {
    List<Correction> first = new ArrayList<>(eligible("arith", 0, 8, "a"));
    Query other = queries.get("arith/KNOWN").get(20);
    first.add(correction(other, Arm.UNSTEERED, true, "a")); // control arm: not counted
    first.add(correction(other, Arm.PLAN, false, "a")); // not fixed: not counted
    publish(first);

    Path started = dir.resolve("hang-started");
    Running hanging = Running.start(role("arith", WeightArm.DPO, 8,
        trainer("hang", Duration.ofMinutes(5), "open('" + started + "', 'w').close()", "time.sleep(300)")));
    await(() -> Files.exists(started), Duration.ofSeconds(120), "the first instance to start training round 1");
    hanging.stop(); // mid-round: its trainer is killed, nothing of the round is published
    assertEquals(null, hanging.failure().get());
    assertEquals(List.of(), versions("arith-dpo-"), "an interrupted round publishes nothing");

    Running restarted = Running.start(role("arith", WeightArm.DPO, 8, trainer("fix", Duration.ofMinutes(2), copying(true))));
    await(() -> restarted.role().reports().size() == 1 || restarted.failure().get() != null, Duration.ofSeconds(240),
        "round 1 after the restart");
    assertEquals(null, restarted.failure().get());
    FinetuneRole.RoundReport r1 = restarted.role().reports().get(0);
    assertEquals(1, r1.round());
    assertEquals(8, r1.rows(), "the round's corrections were read again after the restart, and only the eligible ones");
    assertTrue(r1.accepted(), "the repaired model beats the broken base on KNOWN-val: " + r1);

    publish(eligible("arith", 8, 8, "b"));
    await(() -> restarted.role().reports().size() == 2 || restarted.failure().get() != null, Duration.ofSeconds(240),
        "round 2");
    FinetuneRole.RoundReport r2 = restarted.role().reports().get(1);
    assertEquals("arith-dpo-r1", r2.parent(), "round 2 trains from the accepted round 1");
    assertFalse(r2.accepted(), "a copy of its parent never passes the sign test: " + r2);
    restarted.stop();

    // a third instance reads its position from the committed offsets and its round from model-versions
    publish(eligible("arith", 16, 3, "c"));
    Running third = Running.start(role("arith", WeightArm.DPO, 8, trainer("fix", Duration.ofMinutes(2), copying(true))));
    await(() -> third.role().pendingEligible() == 3, Duration.ofSeconds(60), "the third instance to read the 3 new corrections");
    assertEquals(3, third.role().ledger().nextRound());
    third.stop();

    List<ModelVersion> published = versions("arith-dpo-");
    Map<String, Long> perVersion = published.stream().collect(Collectors.groupingBy(ModelVersion::getVersion, Collectors.counting()));
    assertEquals(Map.of("arith-dpo-r1", 1L, "arith-dpo-r2", 1L), perVersion, "exactly one record per round: " + published);
    ModelVersion v1 = published.stream().filter(v -> v.getVersion().equals("arith-dpo-r1")).findFirst().orElseThrow();
    assertEquals("dpo", v1.getMethod(), "accepted: the method workers follow");
    assertEquals(VersionKind.WEIGHTS, v1.getKind());
    assertEquals("arith-broken", v1.getParentVersion());
    assertEquals("plan-1", v1.getPlanVersion());
    assertEquals("arith-dpo-r1", ModelPack.load(Path.of(v1.getPackUri())).version());
    assertEquals("dpo-candidate", published.stream().filter(v -> v.getVersion().equals("arith-dpo-r2")).findFirst()
        .orElseThrow().getMethod(), "rejected: recorded, not followed");
    List<Evaluation> evals = TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.EVALUATIONS), Integer.MAX_VALUE,
        Duration.ofSeconds(2)).stream().filter(e -> e.getModelVersion().startsWith("arith-dpo-") && e.getArm().equals("dpo")).toList();
    assertEquals(Set.of("accuracy_known_val", "accuracy"), evals.stream().map(Evaluation::getMetric).collect(Collectors.toSet()));
    assertEquals(4, evals.size(), "per candidate one KNOWN-val and one UNKNOWN accuracy: " + evals);
    evals.forEach(e -> assertEquals(24, e.getTrials()));
    assertEquals(1, TopicReader.read(stack.bootstrapServers(), topics.get(TopicSpecs.EVALUATIONS), Integer.MAX_VALUE,
        Duration.ofSeconds(2)).stream().filter(e -> e.getArm().equals("base") && e.getDataset().equals("arith")).count(),
        "the base scored once on UNKNOWN, in round 1");
  }

  @Test
  void knownValSelectAndUnknownCorrectionsNeverReachAShard() throws Exception {
    List<Correction> cs = new ArrayList<>();
    for (String split : List.of("KNOWN_VAL", "UNKNOWN", "KNOWN_SELECT_A", "KNOWN_SELECT_B")) {
      queries.get("arithb/" + split).stream().limit(3).forEach(q -> cs.add(correction(q, Arm.PLAN, true, "h")));
    }
    assertEquals(12, cs.size());
    cs.addAll(eligible("arithb", 0, 4, "k")); // the held-out ones come first on the partition: all read before the round
    publish(cs);
    Running r = Running.start(role("arithb", WeightArm.SFT, 4, trainer("copy", Duration.ofMinutes(2), copying(false))));
    await(() -> r.role().reports().size() == 1 || r.failure().get() != null, Duration.ofSeconds(240), "round 1");
    r.stop();
    assertEquals(null, r.failure().get());
    Set<String> knownPrompts = queries.get("arithb/KNOWN").stream().map(q -> "Q: " + q.getQuestion() + "\nA:")
        .collect(Collectors.toSet());
    List<String> lines = Files.readAllLines(dir.resolve("work-arithb/shards/arithb-sft-r1.jsonl"));
    assertEquals(4, lines.size(), "the 4 KNOWN-train corrections and none of the 12 held out: " + lines);
    ObjectMapper json = new ObjectMapper();
    for (String line : lines) {
      assertTrue(knownPrompts.contains(json.readTree(line).get("prompt").asText()), "a KNOWN-train query: " + line);
    }
  }

  @Test
  void aTrainerThatFailsOrHangsStopsTheRoleWithItsStderrAndPublishesNothing() throws Exception {
    publish(eligible("arithb", 10, 2, "f"));
    Running failing = Running.start(role("arithb", WeightArm.DPO, 2,
        trainer("fail", Duration.ofMinutes(1), "print('CUDA out of memory', file=sys.stderr)", "sys.exit(7)")));
    failing.thread().join(120_000);
    Throwable e = failing.failure().get();
    assertInstanceOf(FinetuneRole.Stopped.class, e);
    TrainerCommand.Failed cause = assertInstanceOf(TrainerCommand.Failed.class, e.getCause());
    assertEquals(7, cause.exitCode());
    assertEquals(List.of("CUDA out of memory"), cause.stderrTail());

    Running hanging = Running.start(role("arithb", WeightArm.DPO, 2,
        trainer("silent", Duration.ofSeconds(2), "print('loading', file=sys.stderr, flush=True)", "time.sleep(300)")));
    hanging.thread().join(120_000);
    TrainerCommand.Failed timeout = assertInstanceOf(TrainerCommand.Failed.class, hanging.failure().get().getCause());
    assertEquals(-1, timeout.exitCode());
    assertTrue(timeout.getMessage().contains("did not finish in 2.0 s"), timeout.getMessage());
    assertEquals("loading", timeout.stderrTail().get(0));
    assertEquals(List.of(), versions("arithb-dpo-"), "a failed round publishes nothing");
  }

  /** {@code saerl finetune} in a child JVM, endpoints from its data dir's endpoints.properties as the other roles read them. */
  static Process cli(Path dataDir, String trainerScript, Path log) throws Exception {
    Files.createDirectories(dataDir);
    Files.writeString(dataDir.resolve("endpoints.properties"), "bootstrap.servers=" + stack.bootstrapServers()
        + "\nregistry.url=" + stack.registryUrl() + "\n");
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(javaBin));
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-X") || a.startsWith("--enable-native-access") || a.startsWith("--sun-misc")).toList());
    command.addAll(List.of("-cp", childClassPath(), "dev.saerl.app.cli.Main", "finetune", "--dataset", "arithc", "--every", "4",
        "--pack", root.resolve("models/arith").toString(), "--val-queries", "24", "--unknown-queries", "0", "--data-dir", dataDir.toString(), "--topic-prefix", PREFIX,
        "--trainer-command", "/usr/bin/python3 " + dir.resolve(trainerScript + ".py") + " {pack} {shard} {mode} {out} {version}"));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  static String childClassPath;

  /**
   * This JVM's class path (expanded from surefire's manifest-only jar), with its class directories
   * copied once: a child loads classes lazily, and a build running beside the test may rewrite
   * target/classes under it.
   */
  static synchronized String childClassPath() throws Exception {
    if (childClassPath != null) {
      return childClassPath;
    }
    List<String> entries = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      Path p = Path.of(e);
      java.util.jar.Manifest m = null;
      if (e.endsWith(".jar") && Files.isRegularFile(p)) {
        try (var jar = new java.util.jar.JarFile(p.toFile())) {
          m = jar.getManifest();
        }
      }
      String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
      if (cp == null) {
        entries.add(e);
        continue;
      }
      for (String u : cp.trim().split("\\s+")) {
        entries.add(Path.of(p.getParent().toUri().resolve(u)).toString());
      }
    }
    List<String> out = new ArrayList<>();
    for (String e : entries) {
      Path p = Path.of(e);
      if (Files.isDirectory(p)) {
        Path copy = dir.resolve("classpath").resolve(Integer.toString(out.size()));
        try (var walk = Files.walk(p)) {
          for (Path f : walk.toList()) {
            Path to = copy.resolve(p.relativize(f).toString());
            if (Files.isDirectory(f)) {
              Files.createDirectories(to);
            } else {
              Files.copy(f, to);
            }
          }
        }
        out.add(copy.toString());
      } else {
        out.add(e);
      }
    }
    childClassPath = String.join(java.io.File.pathSeparator, out);
    return childClassPath;
  }

  @Test
  void theCliRoleKilledWithSigkillMidRoundLeavesNothingAndItsSuccessorPublishesTheRoundOnce() throws Exception {
    publish(eligible("arithc", 0, 4, "k"));
    Path started = dir.resolve("cli-hang-started");
    trainer("cli-hang", Duration.ofMinutes(5), "open('" + started + "', 'w').close()", "time.sleep(300)");
    trainer("cli-fix", Duration.ofMinutes(5), copying(true));
    Path data = dir.resolve("cli");
    Process first = cli(data, "cli-hang", dir.resolve("cli-1.log"));
    try {
      await(() -> Files.exists(started) || !first.isAlive(), Duration.ofSeconds(120), "the CLI role to start training");
      assertTrue(first.isAlive(), Files.readString(dir.resolve("cli-1.log")));
    } finally {
      List<ProcessHandle> trainers = first.descendants().toList();
      first.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no close, no commit
      trainers.forEach(ProcessHandle::destroyForcibly); // the orphaned trainer, so the test leaves nothing behind
    }
    assertEquals(List.of(), versions("arithc-dpo-"), "a killed round publishes nothing");
    Process second = cli(data, "cli-fix", dir.resolve("cli-2.log"));
    boolean alive;
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
      while (versions("arithc-dpo-").isEmpty() && second.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
    } finally {
      alive = second.isAlive();
      second.destroy(); // SIGTERM: the shutdown hook closes the role
      second.waitFor();
    }
    String log = (alive ? "" : "exited by itself with " + second.exitValue() + "\n") + Files.readString(dir.resolve("cli-2.log"));
    List<ModelVersion> published = versions("arithc-dpo-");
    assertEquals(List.of("arithc-dpo-r1"), published.stream().map(ModelVersion::getVersion).toList(), log);
    assertEquals("dpo-candidate", published.get(0).getMethod(), "a copy of the bundled model cannot win: " + log);
    assertTrue(log.contains("finetune arithc/dpo: a round every 4 eligible corrections"), log);
    assertTrue(Files.exists(data.resolve("finetune/shards/arithc-dpo-r1.jsonl")), "packs and shards under the data dir");
  }
}
