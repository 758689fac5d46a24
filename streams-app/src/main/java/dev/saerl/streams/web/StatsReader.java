package dev.saerl.streams.web;

import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.streams.fix.FixRates;
import dev.saerl.streams.verify.SaerlTopology;
import dev.saerl.streams.stats.DatasetStatsProcessor;
import dev.saerl.streams.stats.DatasetTotals;
import dev.saerl.streams.stats.FeatureExample;
import dev.saerl.streams.stats.FeatureMeasures;
import dev.saerl.streams.stats.FeatureSums;
import dev.saerl.streams.stats.StatsConfig;
import dev.saerl.streams.stats.StatsStores;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/** Reads this instance's statistics stores into JSON-ready maps (snake_case keys, as in the Avro schemas). */
public final class StatsReader {
  /** Finds a local store by name: KafkaStreams#store in production, TopologyTestDriver in tests. */
  @FunctionalInterface
  public interface StoreLookup {
    <V> ReadOnlyKeyValueStore<String, V> store(String name);
  }

  private final StoreLookup stores;
  private final StatsConfig config;

  public StatsReader(StoreLookup stores, StatsConfig config) {
    this.stores = stores;
    this.config = config;
  }

  public List<Map<String, Object>> datasets() {
    List<Map<String, Object>> out = new ArrayList<>();
    ReadOnlyKeyValueStore<String, DatasetTotals> totals = stores.store(StatsStores.DATASET_TOTALS);
    try (KeyValueIterator<String, DatasetTotals> it = totals.all()) {
      while (it.hasNext()) {
        var kv = it.next();
        out.add(summary(kv.key, kv.value));
      }
    }
    return out;
  }

  public Optional<Map<String, Object>> dataset(String dataset) {
    DatasetTotals t = this.<DatasetTotals>store(StatsStores.DATASET_TOTALS).get(dataset);
    return Optional.ofNullable(t).map(x -> summary(dataset, x));
  }

  private Map<String, Object> summary(String dataset, DatasetTotals t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dataset", dataset);
    m.put("samples_correct", t.samplesCorrect());
    m.put("samples_incorrect", t.samplesIncorrect());
    m.put("paired_queries", t.pairedQueries());
    m.put("model_version", t.modelVersion());
    m.put("sae_id", t.saeId());
    m.put("hook_layer", t.hookLayer());
    SteeringPlan plan = this.<SteeringPlan>store(StatsStores.PLANS).get(dataset);
    m.put("plan_version", plan == null ? null : plan.getPlanVersion());
    return m;
  }

  /** The dataset's features: ranked ones by score, best first, then the others by |log-odds|. */
  public Optional<List<Map<String, Object>>> features(String dataset, int limit) {
    DatasetTotals t = this.<DatasetTotals>store(StatsStores.DATASET_TOTALS).get(dataset);
    if (t == null) {
      return Optional.empty();
    }
    SteeringPlan plan = this.<SteeringPlan>store(StatsStores.PLANS).get(dataset);
    List<FeatureMeasures> all = new ArrayList<>(DatasetStatsProcessor.features(store(StatsStores.FEATURE_SUMS), dataset, t, config));
    all.sort(Comparator.comparing((FeatureMeasures m) -> !m.ranked())
        .thenComparing(m -> m.ranked() ? -m.score() : -Math.abs(m.logOdds())).thenComparingInt(FeatureMeasures::featureId));
    List<Map<String, Object>> out = new ArrayList<>();
    for (FeatureMeasures m : all.subList(0, Math.min(limit, all.size()))) {
      out.add(json(m, plan));
    }
    return Optional.of(out);
  }

  /** One feature with its statistics and top activating steps. */
  public Optional<Map<String, Object>> feature(String dataset, int featureId) {
    DatasetTotals t = this.<DatasetTotals>store(StatsStores.DATASET_TOTALS).get(dataset);
    if (t == null) {
      return Optional.empty();
    }
    String key = StatsStores.featureKey(dataset, featureId);
    FeatureSums s = this.<FeatureSums>store(StatsStores.FEATURE_SUMS).get(key);
    if (s == null) {
      return Optional.empty();
    }
    List<FeatureMeasures> all = DatasetStatsProcessor.features(store(StatsStores.FEATURE_SUMS), dataset, t, config);
    FeatureMeasures m = all.stream().filter(x -> x.featureId() == featureId).findFirst().orElseThrow();
    Map<String, Object> out = json(m, this.<SteeringPlan>store(StatsStores.PLANS).get(dataset));
    List<Map<String, Object>> examples = new ArrayList<>();
    List<FeatureExample> list = this.<List<FeatureExample>>store(StatsStores.FEATURE_EXAMPLES).get(key);
    for (FeatureExample e : list == null ? List.<FeatureExample>of() : list) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("activation", e.activation());
      x.put("query_id", e.queryId());
      x.put("sample_id", e.sampleId());
      x.put("step_index", e.stepIndex());
      x.put("text", e.text());
      x.put("correct", e.correct());
      examples.add(x);
    }
    out.put("examples", examples);
    return Optional.of(out);
  }

  /** The dataset's fix rates per arm (all strengths) and per arm and strength, as evaluations. */
  public Optional<List<Map<String, Object>>> fixRates(String dataset) {
    FixRates rates = this.<FixRates>store(SaerlTopology.FIX_RATES_STORE).get(dataset);
    if (rates == null) {
      return Optional.empty();
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Evaluation e : rates.evaluations(dataset)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model_version", e.getModelVersion());
      m.put("arm", e.getArm());
      m.put("trials", e.getTrials());
      m.put("fixed", e.getSuccesses());
      m.put("rate", e.getRate());
      m.put("ci_low", e.getCiLow());
      m.put("ci_high", e.getCiHigh());
      out.add(m);
    }
    return Optional.of(out);
  }

  public Optional<SteeringPlan> plan(String dataset) {
    return Optional.ofNullable(this.<SteeringPlan>store(StatsStores.PLANS).get(dataset));
  }

  private static Map<String, Object> json(FeatureMeasures m, SteeringPlan plan) {
    FeatureSums s = m.sums();
    Map<String, Object> x = new LinkedHashMap<>();
    x.put("feature_id", m.featureId());
    x.put("ranked", m.ranked());
    x.put("score", finite(m.score()));
    x.put("in_plan", plan != null && plan.getFeatureIds().contains(m.featureId()));
    x.put("active_correct", s.activeCorrect());
    x.put("active_incorrect", s.activeIncorrect());
    x.put("presence", m.presence());
    x.put("mean_active", m.meanActive());
    x.put("log_odds", finite(m.logOdds()));
    x.put("log_odds_se", finite(m.logOddsSe()));
    x.put("cohens_d", finite(m.cohensD()));
    x.put("paired_mean_diff", finite(m.pairedMeanDiff()));
    x.put("paired_se", finite(m.pairedSe()));
    return x;
  }

  /** JSON has no NaN: undefined measures are null. */
  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private <V> ReadOnlyKeyValueStore<String, V> store(String name) {
    return stores.store(name);
  }
}
