package dev.saerl.streams.verify;

import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Verdict;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.util.Properties;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * saerl's Streams topology.
 * <ul>
 *   <li>in: queries (key query_id) as the table {@link #QUERIES_STORE}; generations (key query_id)</li>
 *   <li>out: verdicts (key query_id): each generation joined with its query and verified</li>
 * </ul>
 * Generations and queries share the key and partition count, so the join needs no repartition.
 * A generation whose query is not (yet) in the table produces no verdict.
 */
public final class SaerlTopology {
  public static final String QUERIES_STORE = "queries-table";

  private SaerlTopology() {}

  public static Topology build(Topics topics) {
    StreamsBuilder b = new StreamsBuilder();
    Topic<String, Query> queries = topics.get(TopicSpecs.QUERIES);
    Topic<String, Generation> generations = topics.get(TopicSpecs.GENERATIONS);
    Topic<String, Verdict> verdicts = topics.get(TopicSpecs.VERDICTS);
    KTable<String, Query> table = b.table(queries.name(), Consumed.with(queries.keySerde(), queries.valueSerde()),
        Materialized.<String, Query, KeyValueStore<Bytes, byte[]>>as(QUERIES_STORE)
            .withKeySerde(queries.keySerde()).withValueSerde(queries.valueSerde()));
    b.stream(generations.name(), Consumed.with(generations.keySerde(), generations.valueSerde()))
        .join(table, new VerdictJoiner(), Joined.with(generations.keySerde(), generations.valueSerde(), queries.valueSerde()))
        .to(verdicts.name(), Produced.with(verdicts.keySerde(), verdicts.valueSerde()));
    return b.build();
  }

  /** Exactly-once v2, small caches and commit interval suited to a loop that waits on verdicts. */
  public static Properties streamsConfig(Properties client, String applicationId, String stateDir) {
    Properties p = new Properties();
    p.putAll(client);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.toString(16L * 1024 * 1024));
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    p.put(StreamsConfig.DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        org.apache.kafka.streams.errors.LogAndContinueExceptionHandler.class);
    return p;
  }
}
