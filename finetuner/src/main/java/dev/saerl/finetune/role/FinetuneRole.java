package dev.saerl.finetune.role;

import dev.saerl.finetune.Evaluator;
import dev.saerl.finetune.PairedSignTest;
import dev.saerl.finetune.TrainerCommand;
import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.ModelVersion;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.VersionKind;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.kafka.TopicTable;
import dev.saerl.workers.kafka.TransactionalClients;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.pack.ModelVersions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The finetune role for one dataset and one weight arm: reads corrections as a consumer group
 * (read_committed, offsets committed only with a round), keeps the eligible ones ({@link
 * Eligibility}: KNOWN-train, plan arm, fixed), and when the {@link RoundPolicy} says so trains a
 * candidate from the current version with the trainer command, scores candidate and parent on the
 * dataset's KNOWN-val queries (greedy, {@link Evaluator}), accepts by a {@link PairedSignTest} and
 * publishes, in one transaction with the consumed offsets:
 * <ul>
 *   <li>model-versions, key version {@code <dataset>-<arm>-r<round>}: method {@code <arm>} when
 *       accepted (workers following that method hot-swap to it), {@code <arm>-candidate} when not;
 *   <li>evaluations, key evaluation_id: metric {@code accuracy_known_val} of the candidate (arm
 *       {@code <arm>}) and of its parent (arm {@code <arm>-parent}); metric {@code accuracy} on
 *       UNKNOWN queries of the candidate (arm {@code <arm>}), and in round 1 of the base (arm
 *       {@code base}, round 0), as the demo scores its versions. UNKNOWN never decides anything.
 * </ul>
 * Reads queries (compacted, the split of each correction's query and the KNOWN-val set) and
 * model-versions (compacted: the round to train next and its parent, see {@link VersionLedger}).
 * A crash mid-round commits nothing, so the restarted role reads the same corrections again and
 * trains the same round under the same version id; a version id already on model-versions is never
 * published twice. One instance per (dataset, arm): the group and transactional id say so.
 */
public final class FinetuneRole implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FinetuneRole.class);
  static final String METRIC = "accuracy_known_val";

  /**
   * @param workDir shards go to {@code workDir/shards}, packs to {@code workDir/packs}
   * @param valQueries the first this many KNOWN-val queries of the dataset (by id) judge each candidate
   * @param unknownQueries the first this many UNKNOWN queries (by id) measure each candidate, and the
   *     base before round 1; -1 all, 0 none. They are measured only: nothing depends on them
   */
  public record Settings(String dataset, WeightArm arm, RoundPolicy policy, String groupId, String transactionalId,
                         Path basePack, Path workDir, TrainerCommand trainer, int valQueries, int unknownQueries,
                         int maxNewTokens, int threads) {
    public Settings {
      if (dataset == null || dataset.isBlank()) {
        throw new IllegalArgumentException("the finetune role needs a dataset");
      }
      if (valQueries < 1) {
        throw new IllegalArgumentException("valQueries must be >= 1, got " + valQueries);
      }
    }
  }

  /** What one round did. */
  public record RoundReport(int round, String version, String parent, int rows, double candidateVal, double parentVal,
                            PairedSignTest test, boolean accepted) {}

  /** The role stopped on an error that a retry of the same round would meet again (a failing trainer, no KNOWN-val). */
  public static final class Stopped extends RuntimeException {
    Stopped(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Settings s;
  private final Topics topics;
  private final Topic<String, Correction> corrections;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final TopicTable<Query> queries;
  private final TopicTable<ModelVersion> versions;
  private final Map<String, Correction> pending = new LinkedHashMap<>();
  private final Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
  private final Map<String, boolean[]> valResults = new HashMap<>();
  private final List<RoundReport> reports = new CopyOnWriteArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private volatile Thread runner;
  private volatile boolean inRound;
  private volatile VersionLedger ledger;

  public FinetuneRole(Properties client, Topics topics, Settings settings) {
    this.s = settings;
    this.topics = topics;
    this.corrections = topics.get(TopicSpecs.CORRECTIONS);
    long pollInterval = settings.trainer().timeout().plus(Duration.ofMinutes(30)).toMillis();
    this.consumer = TransactionalClients.consumer(client, settings.groupId(), settings.transactionalId(), 500,
        (int) Math.min(Integer.MAX_VALUE, pollInterval));
    this.producer = TransactionalClients.producer(client, settings.transactionalId(), 120_000);
    this.queries = new TopicTable<>(client, topics.get(TopicSpecs.QUERIES), Query::getQueryId);
    this.versions = new TopicTable<>(client, topics.get(TopicSpecs.MODEL_VERSIONS), ModelVersion::getVersion);
  }

  /** Rounds this instance published, in order. */
  public List<RoundReport> reports() {
    return List.copyOf(reports);
  }

  /** Eligible corrections waiting for the next round. */
  public synchronized int pendingEligible() {
    return pending.size();
  }

  /** The restart state (null until the role has read model-versions). */
  public VersionLedger ledger() {
    return ledger;
  }

  @Override
  public void run() {
    runner = Thread.currentThread();
    try {
      producer.initTransactions();
      queries.catchUp();
      versions.catchUp();
      ledger = VersionLedger.of(s.dataset(), s.arm(), versions.values());
      log.info("finetune {}/{}: next round {} ({}), parent {}, a round every {} eligible corrections", s.dataset(),
          s.arm().method(), ledger.nextRound(), ledger.nextVersion(),
          ledger.current() == null ? "the base pack " + s.basePack() : ledger.current().getVersion(), s.policy().every());
      consumer.subscribe(List.of(corrections.name()));
      while (running.get()) {
        var records = consumer.poll(Duration.ofMillis(500));
        for (TopicPartition tp : records.partitions()) {
          for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
            take(r);
            offsets.put(tp, new OffsetAndMetadata(r.offset() + 1));
            if (s.policy().due(pendingEligible())) {
              round();
            }
          }
        }
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    } catch (InterruptedException e) {
      if (running.get()) {
        throw new Stopped("the finetune role was interrupted mid-round; nothing of the round was published", e);
      }
    } finally {
      if (!running.get()) {
        Thread.interrupted(); // our own close() interrupted a round: the clients must still close cleanly
      }
      consumer.close();
      producer.close();
      queries.close();
      versions.close();
    }
  }

  private void take(ConsumerRecord<byte[], byte[]> r) {
    if (r.value() == null) {
      return;
    }
    Correction c;
    try {
      c = corrections.valueSerde().deserializer().deserialize(r.topic(), r.value());
    } catch (SerializationException e) {
      log.warn("skipping unreadable correction {}-{} offset {}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
      return;
    }
    Query q = queries.get(c.getQueryId());
    if (q == null && c.getDataset().equals(s.dataset()) && c.getArm() == Arm.PLAN && c.getFixed()) {
      queries.catchUp(); // a correction can overtake its query's arrival in our view of the table
      q = queries.get(c.getQueryId());
    }
    String refusal = Eligibility.refusal(c, q, s.dataset());
    if (refusal != null) {
      log.debug("correction {} does not train: {}", c.getCorrectionId(), refusal);
      return;
    }
    synchronized (this) {
      pending.put(c.getCorrectionId(), c);
    }
  }

  private void round() throws InterruptedException {
    inRound = true;
    try {
      versions.catchUp();
      String version = ledger.nextVersion();
      ModelVersion existing = versions.get(version);
      if (existing != null) {
        // published before (by an instance that was fenced before it committed these offsets): never twice
        log.warn("{} is already on model-versions ({}): committing the round's offsets without training it again", version,
            existing.getMethod());
        commit(List.of());
        ledger = ledger.after(existing);
        return;
      }
      publish(train(version));
    } finally {
      inRound = false;
    }
  }

  private record Outcome(RoundReport report, List<Object> records) {}

  private Outcome train(String version) throws InterruptedException {
    int round = ledger.nextRound();
    ModelVersion parentVersion = ledger.current();
    ModelPack parent = parentVersion == null ? ModelPack.load(s.basePack()) : ModelPack.load(Path.of(parentVersion.getPackUri()));
    List<Correction> batch;
    synchronized (this) {
      batch = pending.values().stream().sorted(Comparator.comparing(Correction::getCorrectionId)).toList();
    }
    Map<String, Query> byId = new HashMap<>();
    batch.forEach(c -> byId.put(c.getQueryId(), queries.get(c.getQueryId())));
    Path shard = s.workDir().resolve("shards").resolve(version + ".jsonl");
    int rows = s.arm().writeShard(shard, batch, byId);
    Path out = s.workDir().resolve("packs").resolve(version);
    deleteTree(out); // a crash mid-round may have left half a pack
    log.info("round {} of {}/{}: training {} from {} on {} rows ({} corrections)", round, s.dataset(), s.arm().method(),
        version, parent.version(), rows, batch.size());
    ModelPack candidate;
    try {
      candidate = s.trainer().train(parent.dir(), shard, s.arm().trainerMode(), out, version,
          line -> log.debug("trainer {}: {}", version, line));
    } catch (IOException e) {
      throw new Stopped("round " + round + " of " + s.dataset() + "/" + s.arm().method() + " (" + version + "): the trainer"
          + " failed; nothing was published, and a restart trains this round again", e);
    }
    if (!candidate.version().equals(version)) {
      throw new Stopped("the trainer wrote version " + candidate.version() + " into " + out + ", not " + version
          + " ({version} in the trainer command): the role's version ids must be deterministic", null);
    }
    List<Query> val = knownVal();
    // keyed by the exact query list: results are paired query by query, and KNOWN-val may grow between rounds
    String valKey = dev.saerl.core.ids.Sha256.of(val.stream().map(Query::getQueryId).collect(Collectors.joining(",")));
    boolean[] parentOk = valResults.computeIfAbsent(parent.version() + "|" + valKey, k -> correct(parent, val));
    boolean[] candidateOk = correct(candidate, val);
    PairedSignTest test = PairedSignTest.of(candidateOk, parentOk);
    boolean accepted = test.passed();
    if (accepted) {
      valResults.put(candidate.version() + "|" + valKey, candidateOk);
    }
    String plan = planVersion(batch);
    String method = accepted ? s.arm().method() : VersionLedger.candidateMethod(s.arm());
    ModelVersion record = ModelVersions.of(candidate, VersionKind.WEIGHTS, method, plan, rows);
    Evaluation mine = Evaluator.rate(METRIC, s.dataset(), version, plan, s.arm().method(), round, candidateOk);
    Evaluation theirs = Evaluator.rate(METRIC, s.dataset(), parent.version(), plan, s.arm().method() + "-parent", round,
        parentOk);
    RoundReport report = new RoundReport(round, version, parent.version(), rows, mine.getRate(), theirs.getRate(), test,
        accepted);
    List<Object> records = new java.util.ArrayList<>(List.of(mine, theirs));
    List<Query> unknown = unknown();
    if (!unknown.isEmpty()) {
      if (parentVersion == null) {
        records.add(Evaluator.accuracy(s.dataset(), parent.version(), null, "base", 0, correct(parent, unknown)));
      }
      records.add(Evaluator.accuracy(s.dataset(), version, plan, s.arm().method(), round, correct(candidate, unknown)));
    }
    records.add(record); // last: publish() reads it there
    return new Outcome(report, records);
  }

  private void publish(Outcome o) {
    commit(o.records());
    RoundReport r = o.report();
    ModelVersion published = (ModelVersion) o.records().get(o.records().size() - 1);
    ledger = ledger.after(published);
    reports.add(r);
    log.info(String.format("round %d of %s/%s: %s %s (KNOWN-val %.3f vs parent %s %.3f; %s)", r.round(), s.dataset(),
        s.arm().method(), r.version(), r.accepted() ? "accepted, now current" : "rejected, recorded as a candidate",
        r.candidateVal(), r.parent(), r.parentVal(), r.test()));
  }

  /** Sends {@code records} and the round's offsets in one transaction; the round's corrections are then done. */
  private void commit(List<Object> records) {
    producer.beginTransaction();
    for (Object record : records) {
      if (record instanceof Evaluation e) {
        producer.send(topics.get(TopicSpecs.EVALUATIONS).record(e.getEvaluationId(), e));
      } else if (record instanceof ModelVersion v) {
        producer.send(topics.get(TopicSpecs.MODEL_VERSIONS).record(v.getVersion(), v));
      }
    }
    producer.sendOffsetsToTransaction(Map.copyOf(offsets), consumer.groupMetadata());
    producer.commitTransaction();
    synchronized (this) {
      pending.clear();
    }
  }

  private List<Query> knownVal() {
    queries.catchUp();
    List<Query> val = queries.values().stream()
        .filter(q -> q.getDataset().equals(s.dataset()) && q.getSplit() == Split.KNOWN_VAL)
        .sorted(Comparator.comparing(Query::getQueryId)).limit(s.valQueries()).toList();
    if (val.isEmpty()) {
      throw new Stopped("dataset " + s.dataset() + " has no KNOWN_VAL queries in " + topics.get(TopicSpecs.QUERIES).name()
          + ": no candidate can be accepted without them (ingest with a val share; the default split has 0.1)", null);
    }
    return val;
  }

  private List<Query> unknown() {
    if (s.unknownQueries() == 0) {
      return List.of();
    }
    return queries.values().stream().filter(q -> q.getDataset().equals(s.dataset()) && q.getSplit() == Split.UNKNOWN)
        .sorted(Comparator.comparing(Query::getQueryId)).limit(s.unknownQueries() < 0 ? Long.MAX_VALUE : s.unknownQueries())
        .toList();
  }

  private boolean[] correct(ModelPack pack, List<Query> val) {
    try (OnnxGenerator g = new OnnxGenerator(pack, s.threads())) {
      return new Evaluator(s.maxNewTokens(), 32).correct(g, val, null, n -> { });
    }
  }

  /** The plan most of the round's corrections were steered by. */
  static String planVersion(List<Correction> batch) {
    return batch.stream().map(Correction::getPlanVersion).filter(p -> p != null)
        .collect(Collectors.groupingBy(Function.identity(), java.util.TreeMap::new, Collectors.counting()))
        .entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear " + dir + " for a new pack", e);
    }
  }

  /** Stops after the current record; a round in training is interrupted (its trainer killed) and not published. */
  @Override
  public void close() {
    running.set(false);
    consumer.wakeup();
    Thread t = runner;
    if (t != null && inRound) {
      t.interrupt();
    }
  }
}
