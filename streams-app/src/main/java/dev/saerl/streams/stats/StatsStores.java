package dev.saerl.streams.stats;

import dev.saerl.schemas.avro.SteeringPlan;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The statistics' RocksDB stores (each backed by a changelog topic).
 * <ul>
 *   <li>{@link #QUERY_SAMPLES}: query_id → every KNOWN sample's label and per-feature peak activation</li>
 *   <li>{@link #FEATURE_SUMS}: "dataset/feature" → additive sums ({@link FeatureSums})</li>
 *   <li>{@link #DATASET_TOTALS}: dataset → labelled samples by class, paired queries</li>
 *   <li>{@link #FEATURE_EXAMPLES}: "dataset/feature" → its top activating steps</li>
 *   <li>{@link #PLANS}: dataset → the last published steering plan</li>
 * </ul>
 * All but the first are partitioned by dataset, so one instance holds a dataset's whole picture.
 */
public final class StatsStores {
  public static final String QUERY_SAMPLES = "stats-query-samples";
  public static final String FEATURE_SUMS = "stats-feature-sums";
  public static final String DATASET_TOTALS = "stats-dataset-totals";
  public static final String FEATURE_EXAMPLES = "stats-feature-examples";
  public static final String PLANS = "stats-plans";

  private StatsStores() {}

  public static String featureKey(String dataset, int featureId) {
    return dataset + "/" + featureId;
  }

  /** The feature id of a key under {@code dataset + "/"}, or -1 when the rest is not a feature id (another dataset). */
  public static int featureOf(String key, String dataset) {
    String rest = key.substring(dataset.length() + 1);
    if (rest.isEmpty() || rest.length() > 9 || !rest.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    return Integer.parseInt(rest);
  }

  static <V> StoreBuilder<KeyValueStore<String, V>> store(String name, Serde<V> values) {
    return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), values).withCachingEnabled();
  }

  public static StoreBuilder<KeyValueStore<String, QueryState>> querySamples() {
    return store(QUERY_SAMPLES, InternalSerdes.queryState());
  }

  public static StoreBuilder<KeyValueStore<String, FeatureSums>> featureSums() {
    return store(FEATURE_SUMS, InternalSerdes.featureSums());
  }

  public static StoreBuilder<KeyValueStore<String, DatasetTotals>> datasetTotals() {
    return store(DATASET_TOTALS, InternalSerdes.datasetTotals());
  }

  public static StoreBuilder<KeyValueStore<String, List<FeatureExample>>> featureExamples() {
    return store(FEATURE_EXAMPLES, InternalSerdes.examples());
  }

  public static StoreBuilder<KeyValueStore<String, SteeringPlan>> plans(Serde<SteeringPlan> serde) {
    return store(PLANS, serde);
  }
}
