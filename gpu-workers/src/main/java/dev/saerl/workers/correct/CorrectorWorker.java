package dev.saerl.workers.correct;

import dev.saerl.core.deadletter.DeadLetters;
import dev.saerl.core.verify.Verifier;
import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.kafka.TopicTable;
import dev.saerl.workers.kafka.TransactionalClients;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The corrector role: reads generations (consumer group, transactional read-process-write),
 * verifies each against its query, and for an incorrect sample of a KNOWN query whose dataset has
 * a steering plan runs the {@link Corrector}, publishing every attempt to corrections in the same
 * transaction as the consumed offsets. A partition whose next sample's dataset has no plan yet is
 * paused at that sample until a plan arrives. UNKNOWN queries are skipped. A sample the corrector
 * refuses (no steps to search) is dead-lettered; an inference failure stops the role ({@link Stopped}),
 * since re-reading the batch would fail the same way.
 */
public final class CorrectorWorker implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CorrectorWorker.class);

  public record Settings(String groupId, String transactionalId, int samplesPerBatch) {}

  private final Corrector corrector;
  private final Settings settings;
  private final Topics topics;
  private final Topic<String, Generation> generations;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final TopicTable<Query> queries;
  private final TopicTable<SteeringPlan> plans;
  private final GroupAverages averages;
  private final Set<TopicPartition> waitingForPlan = new HashSet<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private volatile long corrected;
  private long fixed;
  private String onlyModelVersion;
  private long maxSamples = Long.MAX_VALUE;
  private long notBeforeMs;

  public CorrectorWorker(Properties client, Topics topics, Corrector corrector, GroupAverages averages, Settings settings) {
    this.corrector = corrector;
    this.settings = settings;
    this.topics = topics;
    this.averages = averages;
    this.generations = topics.get(TopicSpecs.GENERATIONS);
    this.consumer = TransactionalClients.consumer(client, settings.groupId(), settings.transactionalId(),
        settings.samplesPerBatch(), 900_000);
    this.producer = TransactionalClients.producer(client, settings.transactionalId(), 900_000);
    this.queries = new TopicTable<>(client, topics.get(TopicSpecs.QUERIES), Query::getQueryId);
    this.plans = new TopicTable<>(client, topics.get(TopicSpecs.STEERING_PLANS), CorrectorWorker::planKey);
  }

  /**
   * A loop round: corrects only samples of {@code modelVersion} written at or after {@code notBeforeMs},
   * and stops after {@code samples} corrected samples.
   */
  public CorrectorWorker limit(String modelVersion, long samples, long notBeforeMs) {
    this.onlyModelVersion = modelVersion;
    this.maxSamples = samples;
    this.notBeforeMs = notBeforeMs;
    return this;
  }

  /** Incorrect samples corrected so far. */
  public long corrected() {
    return corrected;
  }

  static String planKey(SteeringPlan p) {
    return "default".equals(p.getVariant()) ? p.getDataset() : p.getDataset() + "/" + p.getVariant();
  }

  @Override
  public void run() {
    producer.initTransactions();
    queries.catchUp();
    plans.catchUp();
    consumer.subscribe(List.of(generations.name()));
    try {
      TransactionalClients.pollLoop(consumer, producer, running, () -> {
        if (plans.catchUp() && !waitingForPlan.isEmpty()) {
          log.info("steering plans changed: resuming {} partitions", waitingForPlan.size());
          consumer.resume(waitingForPlan);
          waitingForPlan.clear();
        }
      }, this::process, () -> { }, "generations");
    } finally {
      consumer.close();
      producer.close();
      queries.close();
      plans.close();
    }
  }

  private void process(ConsumerRecords<byte[], byte[]> records) {
    producer.beginTransaction();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
        if (!handle(r)) {
          consumer.seek(tp, r.offset());
          consumer.pause(List.of(tp));
          waitingForPlan.add(tp);
          break;
        }
        offsets.put(tp, new OffsetAndMetadata(r.offset() + 1));
      }
    }
    if (!offsets.isEmpty()) {
      producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
    }
    producer.commitTransaction();
  }

  /** Processes one generation; false when its dataset has no plan yet (the partition waits). */
  private boolean handle(ConsumerRecord<byte[], byte[]> r) {
    if (r.value() == null) {
      return true;
    }
    Generation g;
    try {
      g = generations.valueSerde().deserializer().deserialize(r.topic(), r.value());
    } catch (SerializationException e) {
      log.warn("dead-lettering {}-{} offset {}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
      producer.send(topics.get(TopicSpecs.DEAD_LETTERS).record(r.topic(), DeadLetters.of(r.topic(),
          "partition " + r.partition() + " offset " + r.offset(), "corrector", "not_avro", e.getMessage(), r.value())));
      return true;
    }
    if (g.getSplit() != Split.KNOWN || corrected >= maxSamples || r.timestamp() < notBeforeMs
        || onlyModelVersion != null && !onlyModelVersion.equals(g.getModelVersion())) {
      return true;
    }
    Query q = queries.get(g.getQueryId());
    if (q == null) {
      queries.catchUp();
      q = queries.get(g.getQueryId());
    }
    if (q == null) {
      log.warn("sample {} answers query {}, which is not in the queries topic: skipped", g.getSampleId(), g.getQueryId());
      return true;
    }
    if (q.getSplit() != Split.KNOWN || Verifier.verify(q.getReferenceAnswer(), g.getCompletion()).correct()) {
      return true;
    }
    SteeringPlan plan = plans.get(q.getDataset());
    if (plan == null) {
      return false;
    }
    Corrector.Outcome outcome;
    try {
      outcome = corrector.correct(g, q, plan);
    } catch (IllegalArgumentException e) {
      // this sample cannot be corrected (e.g. a completion with no steps): it is dead-lettered, the role goes on
      log.warn("dead-lettering sample {} ({}-{} offset {}): {}", g.getSampleId(), r.topic(), r.partition(), r.offset(), e.getMessage());
      producer.send(topics.get(TopicSpecs.DEAD_LETTERS).record(r.topic(), DeadLetters.of(r.topic(),
          "partition " + r.partition() + " offset " + r.offset(), "corrector", "uncorrectable", e.getMessage(), r.value())));
      return true;
    } catch (KafkaException e) {
      throw e;
    } catch (RuntimeException e) {
      // inference failed (ONNX Runtime): re-reading the batch would fail the same way, so the role stops and says why
      throw new Stopped("correcting sample " + g.getSampleId() + " (" + r.topic() + "-" + r.partition() + " offset " + r.offset()
          + ") failed, and a retry would fail the same way: " + e, e);
    }
    for (Correction c : outcome.corrections()) {
      producer.send(topics.get(TopicSpecs.CORRECTIONS).record(c.getQueryId(), c));
    }
    long planFixes = outcome.corrections().stream().filter(c -> c.getFixed() && c.getArm() == Arm.PLAN).count();
    corrected++;
    fixed += planFixes > 0 ? 1 : 0;
    if (corrected >= maxSamples) {
      running.set(false);
    }
    for (GroupAverages.Update u : averages.add(q, plan, outcome)) {
      producer.send(topics.get(TopicSpecs.STEERING_PLANS).record(planKey(u.plan()), u.plan()));
      producer.send(topics.get(TopicSpecs.EVALUATIONS).record(u.spread().getEvaluationId(), u.spread()));
    }
    log.debug("sample {}: critical step {} token {} ('{}'), {} attempts, plan arm fixed {} ({} of {} samples so far)",
        g.getSampleId(), outcome.critical().criticalStep(), outcome.critical().criticalToken(),
        outcome.corrections().isEmpty() ? "" : outcome.corrections().get(0).getCriticalTokenText(), outcome.corrections().size(),
        planFixes, fixed, corrected);
    return true;
  }

  @Override
  public void close() {
    running.set(false);
    consumer.wakeup();
  }

  /** The role stopped on an error that no retry can cure; the message names the sample and its offset. */
  public static final class Stopped extends RuntimeException {
    Stopped(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
