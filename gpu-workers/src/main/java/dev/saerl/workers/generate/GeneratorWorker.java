package dev.saerl.workers.generate;

import dev.saerl.core.deadletter.DeadLetters;
import dev.saerl.schemas.avro.DeadLetter;
import dev.saerl.schemas.avro.ModelVersion;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.inference.GenerationRequest;
import dev.saerl.workers.inference.GenerationResult;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.kafka.TopicTable;
import dev.saerl.workers.kafka.TransactionalClients;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import dev.saerl.workers.inference.Steering;
import dev.saerl.workers.sae.SparseAutoencoder;
import dev.saerl.workers.sae.SparseCodes;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generator role. Consumes queries (read_committed), generates N samples per query batched
 * across queries, encodes every sample's hook residuals with the SAE in one call, and publishes
 * generations and sample-features in one Kafka transaction together with the consumed offsets,
 * so a crash at any point neither loses nor duplicates a sample (sample ids are deterministic).
 * Topics: in queries (key query_id); out generations, sample-features (key query_id), dead-letters
 * (records that are not valid Avro). A batch that fails in Kafka is aborted and re-read from the
 * committed offsets; one that fails in inference stops the role ({@link Stopped}): a retry would fail the same way.
 */
public final class GeneratorWorker implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GeneratorWorker.class);

  /** How the worker samples and batches. */
  public record Settings(int samples, float temperature, float topP, long seed, int maxNewTokens, int queriesPerBatch,
                         int featuresPerStep, String groupId, String transactionalId) {
    public Settings {
      if (samples < 1 || queriesPerBatch < 1 || maxNewTokens < 1 || featuresPerStep < 1) {
        throw new IllegalArgumentException("samples, queries per batch, max new tokens and features per step must be positive");
      }
    }
  }

  private final Settings settings;
  private OnnxGenerator generator;
  private SparseAutoencoder sae;
  private SampleBuilder builder;
  /** Model versions this worker follows (null: it keeps its pack); what it loaded itself, it closes. */
  private TopicTable<ModelVersion> versions;
  private Set<String> followMethods = Set.of();
  private int threads = 1;
  private long currentCreatedAt;
  private boolean ownsModel;
  private final Properties client;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Topic<String, Query> queries;
  private final Topics topics;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private volatile long samplesDone;
  private long tokensDone;

  public GeneratorWorker(Properties client, Topics topics, OnnxGenerator generator, SparseAutoencoder sae, Settings settings) {
    this.settings = settings;
    this.generator = generator;
    this.sae = sae;
    this.topics = topics;
    this.builder = new SampleBuilder(generator.pack(), generator.tokenizer(), sae, settings.featuresPerStep());
    this.client = client;
    this.queries = topics.get(TopicSpecs.QUERIES);
    this.consumer = TransactionalClients.consumer(client, settings.groupId(), settings.transactionalId(),
        settings.queriesPerBatch(), 600_000);
    this.producer = TransactionalClients.producer(client, settings.transactionalId(), 600_000);
  }

  @Override
  public void run() {
    producer.initTransactions();
    consumer.subscribe(List.of(queries.name()));
    long started = System.nanoTime();
    try {
      TransactionalClients.pollLoop(consumer, producer, running, this::maybeSwitchVersion, this::process, () -> {
        double minutes = (System.nanoTime() - started) / 6e10;
        log.debug("{} samples, {} tokens ({} samples/min)", samplesDone, tokensDone, Math.round(samplesDone / Math.max(minutes, 1e-9)));
      }, "queries");
    } finally {
      consumer.close();
      producer.close();
      if (versions != null) {
        versions.close();
      }
      if (ownsModel) {
        generator.close();
        try {
          sae.close();
        } catch (Exception e) {
          log.warn("closing the SAE: {}", e.getMessage());
        }
      }
    }
  }

  private void process(ConsumerRecords<byte[], byte[]> records) {
    producer.beginTransaction();
    List<Query> batch = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (r.value() == null) {
        continue;
      }
      try {
        batch.add(queries.valueSerde().deserializer().deserialize(r.topic(), r.value()));
      } catch (SerializationException e) {
        log.warn("dead-lettering {}-{} offset {}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
        send(topics.get(TopicSpecs.DEAD_LETTERS), r.topic(), deadLetter(r, e));
      }
    }
    List<GenerationRequest> requests = new ArrayList<>();
    for (Query q : batch) {
      for (int i = 0; i < settings.samples(); i++) {
        long seed = SampleBuilder.sampleSeed(settings.seed(), q.getQueryId(), i);
        requests.add(new GenerationRequest(generator.pack().prompt(q.getQuestion()), settings.maxNewTokens(),
            settings.temperature(), settings.topP(), seed, Steering.NONE));
      }
    }
    List<GenerationResult> results;
    try {
      results = requests.isEmpty() ? List.of() : generator.generate(requests);
    } catch (RuntimeException e) {
      throw Stopped.inference("generating " + requests.size() + " samples for " + batch.size() + " queries", records, e);
    }
    List<List<SparseCodes>> codes;
    try {
      // the batch's samples encoded together (runs of up to SparseAutoencoder.ENCODE_RUN_ROWS rows), not one run each
      codes = sae.encodeEach(results.stream().map(GenerationResult::hookResiduals).toList());
    } catch (RuntimeException e) {
      throw Stopped.inference("SAE features of " + results.size() + " samples of " + batch.size() + " queries", records, e);
    }
    for (int qi = 0; qi < batch.size(); qi++) {
      Query q = batch.get(qi);
      for (int i = 0; i < settings.samples(); i++) {
        int at = qi * settings.samples() + i;
        GenerationResult r = results.get(at);
        long seed = requests.get(at).seed();
        SampleBuilder.Sample sample;
        try {
          sample = builder.build(q, r, i, seed, settings.temperature(), codes.get(at));
        } catch (RuntimeException e) {
          throw Stopped.inference("step features of sample " + i + " of query " + q.getQueryId(), records, e);
        }
        send(topics.get(TopicSpecs.GENERATIONS), q.getQueryId(), sample.generation());
        send(topics.get(TopicSpecs.SAMPLE_FEATURES), q.getQueryId(), sample.features());
        samplesDone++;
        tokensDone += r.tokens().length;
      }
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> part = records.records(tp);
      offsets.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
    }
    producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
    producer.commitTransaction();
  }

  private <V> void send(Topic<String, V> topic, String key, V value) {
    producer.send(topic.record(key, value));
  }

  static DeadLetter deadLetter(ConsumerRecord<byte[], byte[]> r, Exception e) {
    return DeadLetters.of(r.topic(), "partition " + r.partition() + " offset " + r.offset(), "worker", "not_avro",
        e.getMessage(), r.value());
  }

  /**
   * Hot-swap: between batches, switch to the newest version announced on model-versions whose
   * method is one of {@code methods} (e.g. feature-rl, dpo), loading its pack with {@code threads}
   * ONNX threads. Work in flight is never dropped: a batch is generated and committed by one model,
   * and every record names the version that produced it.
   */
  public GeneratorWorker followVersions(Set<String> methods, int onnxThreads) {
    this.followMethods = Set.copyOf(methods);
    this.threads = onnxThreads;
    this.versions = new TopicTable<>(client, topics.get(TopicSpecs.MODEL_VERSIONS), ModelVersion::getVersion);
    return this;
  }

  /** Samples generated so far (published once their batch commits). */
  public long samplesDone() {
    return samplesDone;
  }

  /** The version generating now. */
  public String modelVersion() {
    return generator.pack().version();
  }

  private void maybeSwitchVersion() {
    if (versions == null) {
      return;
    }
    versions.catchUp();
    ModelVersion next = null;
    for (ModelVersion v : versions.values()) {
      if (followMethods.contains(v.getMethod()) && v.getCreatedAtMs() > currentCreatedAt
          && (next == null || v.getCreatedAtMs() > next.getCreatedAtMs())) {
        next = v;
      }
    }
    if (next == null || next.getVersion().equals(generator.pack().version())) {
      return;
    }
    ModelPack pack;
    try {
      pack = ModelPack.load(java.nio.file.Path.of(next.getPackUri()));
    } catch (RuntimeException e) {
      log.warn("cannot switch to model version {} at {}: {}", next.getVersion(), next.getPackUri(), e.getMessage());
      currentCreatedAt = next.getCreatedAtMs();
      return;
    }
    log.info("switching from model version {} to {} ({}) between batches", generator.pack().version(), pack.version(),
        next.getMethod());
    OnnxGenerator oldGenerator = generator;
    SparseAutoencoder oldSae = sae;
    generator = new OnnxGenerator(pack, threads);
    sae = new OnnxSparseAutoencoder(pack, threads);
    builder = new SampleBuilder(pack, generator.tokenizer(), sae, settings.featuresPerStep());
    if (ownsModel) {
      oldGenerator.close();
      try {
        oldSae.close();
      } catch (Exception e) {
        log.warn("closing the previous SAE: {}", e.getMessage());
      }
    }
    ownsModel = true;
    currentCreatedAt = next.getCreatedAtMs();
  }

  /** Asks the loop to stop after the current batch (or at once while it waits for records). */
  @Override
  public void close() {
    running.set(false);
    consumer.wakeup();
  }

  /** The role stopped on an error that no retry can cure; the message names the batch's offsets. */
  public static final class Stopped extends RuntimeException {
    Stopped(String message, Throwable cause) {
      super(message, cause);
    }

    static Stopped inference(String what, ConsumerRecords<byte[], byte[]> records, RuntimeException e) {
      StringBuilder where = new StringBuilder();
      for (TopicPartition tp : records.partitions()) {
        List<ConsumerRecord<byte[], byte[]>> part = records.records(tp);
        where.append(where.isEmpty() ? "" : ", ").append(tp).append(" offsets ").append(part.get(0).offset()).append("..")
            .append(part.get(part.size() - 1).offset());
      }
      return new Stopped(what + " (" + where + ") failed, and a retry would fail the same way: " + e, e);
    }
  }
}
