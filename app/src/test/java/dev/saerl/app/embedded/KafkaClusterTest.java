package dev.saerl.app.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three KRaft nodes in their own JVMs ({@code saerl up --brokers 3}): saerl's topics get three
 * replicas, all in sync, and min.insync.replicas 2; records produced with acks=all survive the
 * partition leader's SIGKILL, leadership moves to a survivor, and the killed node rejoins the ISR.
 */
@Tag("integration")
class KafkaClusterTest {
  static final int BEFORE = 200;
  static final int AFTER = 200;

  @TempDir
  Path dir;

  @Test
  void everyTopicHasThreeInSyncReplicasAndAcknowledgedRecordsSurviveTheLeadersSigkill() throws Exception {
    try (KafkaCluster cluster = KafkaCluster.start(dir.resolve("data"), 3, Duration.ofSeconds(120));
         Admin admin = cluster.admin()) {
      Topics topics = new Topics("t.", null); // names only: no schema registry needed to create topics
      EmbeddedStack.createTopics(cluster.bootstrapServers(), topics);
      assertEquals(3, cluster.bootstrapServers().split(",").length, cluster.bootstrapServers());
      List<String> names = topics.all().stream().map(t -> t.name()).toList();
      Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
      for (TopicDescription d : described.values()) {
        for (TopicPartitionInfo p : d.partitions()) {
          assertEquals(3, p.replicas().size(), d.name() + "-" + p.partition() + " replicas");
          assertEquals(3, p.isr().size(), d.name() + "-" + p.partition() + " in-sync replicas");
        }
      }
      String generations = topics.get(TopicSpecs.GENERATIONS).name();
      Config config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, generations)))
          .all().get(30, TimeUnit.SECONDS).values().iterator().next();
      assertEquals("2", config.get("min.insync.replicas").value());

      TopicPartition p0 = new TopicPartition(generations, 0);
      try (KafkaProducer<String, String> producer = producer(cluster)) {
        send(producer, p0, 0, BEFORE);
        int leader = leader(admin, p0).id();
        int controller = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId();
        System.out.println("partition leader " + leader + ", controller " + controller + ": killing node " + leader);
        cluster.kill(leader); // SIGKILL: no controlled shutdown, no leadership handed over
        send(producer, p0, BEFORE, BEFORE + AFTER); // acks=all: every one acknowledged by the two survivors

        Node moved = leader(admin, p0);
        assertNotEquals(leader, moved.id(), "leadership moved off the killed node");
        TopicPartitionInfo info = partition(admin, p0);
        assertFalse(info.isr().stream().anyMatch(n -> n.id() == leader), "the killed node left the ISR: " + info);

        assertEquals(expected(BEFORE + AFTER), readAll(cluster, p0), "every acknowledged record, once, in order");

        cluster.restart(leader);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (partition(admin, p0).isr().size() < 3 && System.nanoTime() < deadline) {
          Thread.sleep(200);
        }
        assertEquals(3, partition(admin, p0).isr().size(), "the restarted node caught up and rejoined the ISR");
      }
    }
  }

  static KafkaProducer<String, String> producer(KafkaCluster cluster) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  static void send(KafkaProducer<String, String> producer, TopicPartition tp, int from, int to) throws Exception {
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (int i = from; i < to; i++) {
      acks.add(producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), "k", Integer.toString(i))));
    }
    for (Future<RecordMetadata> f : acks) {
      f.get(90, TimeUnit.SECONDS); // throws if a record was not acknowledged by min.insync.replicas
    }
  }

  static TopicPartitionInfo partition(Admin admin, TopicPartition tp) throws Exception {
    return admin.describeTopics(List.of(tp.topic())).allTopicNames().get(30, TimeUnit.SECONDS).get(tp.topic())
        .partitions().get(tp.partition());
  }

  static Node leader(Admin admin, TopicPartition tp) throws Exception {
    Node leader = partition(admin, tp).leader();
    assertTrue(leader != null && !leader.isEmpty(), tp + " has a leader");
    return leader;
  }

  static List<String> expected(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Integer.toString(i));
    }
    return out;
  }

  static List<String> readAll(KafkaCluster cluster, TopicPartition tp) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      Collection<TopicPartition> parts = List.of(tp);
      c.assign(parts);
      c.seekToBeginning(parts);
      long end = c.endOffsets(parts).get(tp);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (c.position(tp) < end && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
      }
    }
    assertEquals(out.size(), new TreeSet<>(out).size(), "no record twice");
    return out;
  }
}
