package dev.saerl.producers.ingest;

import dev.saerl.schemas.avro.DeadLetter;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Publishes to the queries and dead-letters topics with an idempotent producer (acks=all). */
public final class KafkaQuerySink implements QuerySink {
  private final KafkaProducer<byte[], byte[]> producer;
  private final Topic<String, Query> queries;
  private final Topic<String, DeadLetter> deadLetters;
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
