package dev.saerl.producers.ingest;

import dev.saerl.schemas.avro.DeadLetter;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SplitPin;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes to the queries and dead-letters topics with an idempotent producer (acks=all), and reads
 * and writes the dataset-splits topic, where each dataset's split is pinned by its first ingest.
 */
public final class KafkaQuerySink implements QuerySink {
  private final KafkaProducer<byte[], byte[]> producer;
  private final Topic<String, Query> queries;
  private final Topic<String, DeadLetter> deadLetters;
  private final Topic<String, SplitPin> splits;
  private final Properties client;
  private final AtomicReference<Exception> failure = new AtomicReference<>();

  public KafkaQuerySink(Properties clientConfig, Topics topics) {
    Properties p = new Properties();
    p.putAll(clientConfig);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.queries = topics.get(TopicSpecs.QUERIES);
    this.deadLetters = topics.get(TopicSpecs.DEAD_LETTERS);
    this.splits = topics.get(TopicSpecs.DATASET_SPLITS);
    this.client = clientConfig;
  }

  /** Reads dataset-splits from the beginning to its end offsets (bounded: 30 s) and returns the dataset's last pin. */
  @Override
  public SplitPin pinnedSplit(String dataset) {
    Properties c = new Properties();
    c.putAll(client);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(splits.name(), Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(30));
      SplitPin found = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("reading " + splits.name() + " did not reach its end offsets " + end + " within 30 s");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          String key = splits.keySerde().deserializer().deserialize(r.topic(), r.key());
          if (dataset.equals(key) && r.value() != null) {
            found = splits.valueSerde().deserializer().deserialize(r.topic(), r.value());
          }
        }
      }
      return found;
    }
  }

  @Override
  public void pinSplit(SplitPin pin) {
    try {
      producer.send(splits.record(pin.getDataset(), pin)).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while pinning the split of " + pin.getDataset(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("pinning the split of dataset " + pin.getDataset() + " to " + splits.name() + " failed: " + e, e);
    }
  }

  @Override
  public void query(Query q) {
    send(queries, q.getQueryId(), q);
  }

  @Override
  public void deadLetter(DeadLetter d) {
    send(deadLetters, d.getSource(), d);
  }

  private <V> void send(Topic<String, V> topic, String key, V value) {
    producer.send(topic.record(key, value), (meta, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
        });
  }

  @Override
  public void flush() {
    producer.flush();
    Exception e = failure.get();
    if (e != null) {
      throw new IllegalStateException("publishing failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
