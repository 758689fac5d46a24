package dev.saerl.streams.stats;

import dev.saerl.schemas.avro.SteeringPlan;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The statistics' RocksDB stores (each backed by a changelog topic). A scope is a dataset's samples of one
 * model version and SAE ({@link StatsScope}, whose keys are written {@code dataset/model_version/sae_id}):
 * statistics are kept per scope and never pooled across scopes.
 * <ul>
 *   <li>{@link #QUERY_SAMPLES}: query_id → every KNOWN sample's label, model version, SAE and per-feature peak activation</li>
 *   <li>{@link #FEATURE_SUMS}: "scope/feature" → additive sums ({@link FeatureSums})</li>
 *   <li>{@link #DATASET_TOTALS}: scope → labelled samples by class, paired queries</li>
 *   <li>{@link #FEATURE_EXAMPLES}: "scope/feature" → its top activating steps</li>
 *   <li>{@link #DATASET_VERSIONS}: dataset → its scopes, oldest first ({@link DatasetVersions})</li>
 *   <li>{@link #VERSION_PLANS}: scope → the plan computed from that scope's statistics</li>
 *   <li>{@link #PLANS}: dataset → the last published steering plan (the newest version's that has one)</li>
 * </ul>
 * All but the first are partitioned by dataset, so one instance holds every version of a dataset.
 */
public final class StatsStores {
  public static final String QUERY_SAMPLES = "stats-query-samples";
  public static final String FEATURE_SUMS = "stats-feature-sums";
  public static final String DATASET_TOTALS = "stats-dataset-totals";
  public static final String FEATURE_EXAMPLES = "stats-feature-examples";
  public static final String DATASET_VERSIONS = "stats-dataset-versions";
  public static final String VERSION_PLANS = "stats-version-plans";
  public static final String PLANS = "stats-plans";

  private StatsStores() {}

  /** The feature id of a key under {@code prefix} (a scope's), or -1 when the rest is not a feature id. */
  public static int featureOf(String key, String prefix) {
    String rest = key.substring(prefix.length());
    if (rest.isEmpty() || rest.length() > 9 || !rest.chars().allMatch(Character::isDigit)) {
      return -1;
    }
    return Integer.parseInt(rest);
  }

  /** Labelled samples of {@code dataset} over all its versions (a progress count: statistics never add them up). */
  public static long labelledSamples(org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, DatasetTotals> totals,
                                     String dataset) {
    long n = 0;
    try (var it = totals.prefixScan(StatsScope.datasetPrefix(dataset), Serdes.String().serializer())) {
      while (it.hasNext()) {
        n += it.next().value.samples();
      }
    }
    return n;
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

  public static StoreBuilder<KeyValueStore<String, DatasetVersions>> datasetVersions() {
    return store(DATASET_VERSIONS, InternalSerdes.datasetVersions());
  }

  public static StoreBuilder<KeyValueStore<String, SteeringPlan>> versionPlans(Serde<SteeringPlan> serde) {
    return store(VERSION_PLANS, serde);
  }

  public static StoreBuilder<KeyValueStore<String, SteeringPlan>> plans(Serde<SteeringPlan> serde) {
    return store(PLANS, serde);
  }
}
