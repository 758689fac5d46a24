package dev.saerl.app.demo;

import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/** Reads every committed record of a topic up to its current end (the demo's view of results). */
final class TopicDump {
  private TopicDump() {}

  static <V> List<V> all(String bootstrap, Topic<String, V> topic) {
    return since(bootstrap, topic, 0);
  }

  /** The records written at or after {@code sinceMs} (record timestamps); records of another schema are skipped. */
  static <V> List<V> since(String bootstrap, Topic<String, V> topic, long sinceMs) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    List<V> out = new ArrayList<>();
    TopicSnapshot.read(p, topic, Duration.ofMinutes(2), (key, value, ts) -> {
      if (value != null && ts >= sinceMs) {
        out.add(value);
      }
    });
    return out;
  }
}
