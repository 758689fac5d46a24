package dev.saerl.producers.examine;

import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.topics.TopicSnapshot;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** The queries topic read from the beginning to its end offsets: the latest record per query id of one dataset. */
public final class QueriesSnapshot {
  private QueriesSnapshot() {}

  /** Undecodable records (poison pills) are skipped: the examiner reads, it does not judge the topic. */
  public static List<Query> read(Properties client, Topics topics, String dataset, Duration max) {
    Map<String, Query> latest = new LinkedHashMap<>();
    TopicSnapshot.read(client, topics.get(TopicSpecs.QUERIES), max, (key, q, ts) -> {
      if (q == null) {
        latest.remove(key);
      } else if (dataset.equals(q.getDataset())) {
        latest.put(q.getQueryId(), q);
      }
    });
    return List.copyOf(latest.values());
  }
}
