package dev.saerl.workers.kafka;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The consumer and producer of a transactional read-process-write role (generator, corrector). */
public final class TransactionalClients {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TransactionalClients.class);
  private TransactionalClients() {}

  /**
   * A read_committed consumer in {@code groupId} with manual commits, starting from the earliest
   * offset, with static membership ({@code instanceId}): a role restarted after a crash takes its
   * partitions back at once instead of waiting for the dead member's session to expire.
   */
  public static KafkaConsumer<byte[], byte[]> consumer(Properties client, String groupId, String instanceId, int maxPollRecords,
                                                       int maxPollIntervalMs) {
    Properties c = new Properties();
    c.putAll(client);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(maxPollRecords));
    c.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, Integer.toString(maxPollIntervalMs));
    c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
    c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "15000");
    return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** An idempotent transactional producer; {@code transactionTimeoutMs} must cover the slowest batch. */
  public static KafkaProducer<byte[], byte[]> producer(Properties client, String transactionalId, int transactionTimeoutMs) {
    Properties p = new Properties();
    p.putAll(client);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(transactionTimeoutMs));
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * The read-process-write loop of a transactional role: poll, process the batch in a transaction,
   * until {@code running} turns false (a wakeup then ends the loop quietly). A batch that fails
   * with a retriable error is aborted and re-read from the committed offsets; fencing,
   * sequence and authorization errors are fatal and propagate.
   */
  public static void pollLoop(KafkaConsumer<byte[], byte[]> consumer, KafkaProducer<byte[], byte[]> producer,
                              java.util.concurrent.atomic.AtomicBoolean running, Runnable beforePoll,
                              java.util.function.Consumer<ConsumerRecords<byte[], byte[]>> process, Runnable afterBatch,
                              String what) {
    try {
      while (running.get()) {
        beforePoll.run();
        ConsumerRecords<byte[], byte[]> records = consumer.poll(java.time.Duration.ofMillis(500));
        if (records.isEmpty()) {
          continue;
        }
        try {
          process.accept(records);
        } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException fatal) {
          throw fatal;
        } catch (KafkaException | IllegalStateException e) {
          log.warn("batch of {} {} failed, aborting and re-reading it: {}", records.count(), what, e.getMessage());
          producer.abortTransaction();
          rewind(consumer, records.partitions());
        }
        afterBatch.run();
      }
    } catch (WakeupException e) {
      if (running.get()) {
        throw e;
      }
    }
  }

  /** After an aborted transaction: back to the committed offsets (or the beginning) to read the batch again. */
  public static void rewind(KafkaConsumer<byte[], byte[]> consumer, Set<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(partitions);
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata o = committed.get(tp);
      if (o == null) {
        consumer.seekToBeginning(List.of(tp));
      } else {
        consumer.seek(tp, o.offset());
      }
    }
  }
}
