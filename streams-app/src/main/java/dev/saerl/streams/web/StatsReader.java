package dev.saerl.streams.web;

import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.FeatureLabel;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.schemas.topics.FeatureLabels;
import dev.saerl.streams.fix.FixRates;
import dev.saerl.streams.stats.DatasetStatsProcessor;
import dev.saerl.streams.stats.DatasetTotals;
import dev.saerl.streams.stats.DatasetVersions;
import dev.saerl.streams.stats.FeatureExample;
import dev.saerl.streams.stats.FeatureMeasures;
import dev.saerl.streams.stats.FeatureSums;
import dev.saerl.streams.stats.StatsConfig;
import dev.saerl.streams.stats.StatsScope;
import dev.saerl.streams.stats.StatsStores;
import dev.saerl.streams.verify.SaerlTopology;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Reads this instance's statistics stores into JSON-ready maps (snake_case keys, as in the Avro schemas).
 * Statistics are per (dataset, model version, SAE); a request reads one such version, the newest by default.
 */
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

  /**
   * Which of a dataset's versions a request reads: the newest when {@code modelVersion} is null; else the
   * newest scope of that model version, of SAE {@code saeId} unless that is null.
   */
  public record Version(String modelVersion, String saeId) {
    public static final Version NEWEST = new Version(null, null);

    boolean newest() {
      return modelVersion == null && saeId == null;
    }
  }

  /** Every dataset, each with its newest version's counts. */
  public List<Map<String, Object>> datasets() {
    List<Map<String, Object>> out = new ArrayList<>();
    ReadOnlyKeyValueStore<String, DatasetVersions> versions = stores.store(StatsStores.DATASET_VERSIONS);
    try (KeyValueIterator<String, DatasetVersions> it = versions.all()) {
      while (it.hasNext()) {
        var kv = it.next();
        StatsScope newest = kv.value.newest(kv.key);
        DatasetTotals t = newest == null ? null : this.<DatasetTotals>store(StatsStores.DATASET_TOTALS).get(newest.key());
        if (t != null) {
          out.add(summary(newest, t, kv.value, true));
        }
      }
    }
    return out;
  }

  /** One version of a dataset: its counts, its own plan, and the plan the dataset publishes. */
  public Optional<Map<String, Object>> dataset(String dataset, Version version) {
    DatasetVersions known = this.<DatasetVersions>store(StatsStores.DATASET_VERSIONS).get(dataset);
    return scope(dataset, version).flatMap(scope -> totals(scope).map(t -> summary(scope, t, known, version.newest())));
  }

  /** Every version of a dataset, newest first, each with its counts and its own plan. */
  public Optional<List<Map<String, Object>>> versions(String dataset) {
    DatasetVersions known = this.<DatasetVersions>store(StatsStores.DATASET_VERSIONS).get(dataset);
    if (known == null) {
      return Optional.empty();
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (DatasetVersions.Version v : known.newestFirst()) {
      StatsScope scope = v.scope(dataset);
      totals(scope).ifPresent(t -> {
        Map<String, Object> m = summary(scope, t, known, false);
        m.put("first_seen_ms", v.firstSeenMs());
        out.add(m);
      });
    }
    return Optional.of(out);
  }

  private Map<String, Object> summary(StatsScope scope, DatasetTotals t, DatasetVersions known, boolean withPublished) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dataset", scope.dataset());
    m.put("samples_correct", t.samplesCorrect());
    m.put("samples_incorrect", t.samplesIncorrect());
    m.put("paired_queries", t.pairedQueries());
    m.put("model_version", scope.modelVersion());
    m.put("sae_id", scope.saeId());
    m.put("hook_layer", t.hookLayer());
    SteeringPlan own = this.<SteeringPlan>store(StatsStores.VERSION_PLANS).get(scope.key());
    m.put("plan_version", own == null ? null : own.getPlanVersion());
    m.put("newest", known != null && scope.equals(known.newest(scope.dataset())));
    if (withPublished) {
      // what workers steer with: the newest version's plan once it has one, until then an older version's, so its label may differ
      SteeringPlan published = this.<SteeringPlan>store(StatsStores.PLANS).get(scope.dataset());
      m.put("published_plan_version", published == null ? null : published.getPlanVersion());
      m.put("published_plan_model_version", published == null ? null : published.getModelVersion());
      m.put("versions", known == null ? 0 : known.versions().size());
    }
    return m;
  }

  /** The features of one version of the dataset: ranked ones by score, best first, then the others by |log-odds|. */
  public Optional<List<Map<String, Object>>> features(String dataset, Version version, int limit) {
    Optional<StatsScope> scope = scope(dataset, version);
    Optional<DatasetTotals> t = scope.flatMap(this::totals);
    if (t.isEmpty()) {
      return Optional.empty();
    }
    SteeringPlan plan = this.<SteeringPlan>store(StatsStores.VERSION_PLANS).get(scope.get().key());
    List<FeatureMeasures> all =
        new ArrayList<>(DatasetStatsProcessor.features(store(StatsStores.FEATURE_SUMS), scope.get(), t.get(), config));
    all.sort(Comparator.comparing((FeatureMeasures m) -> !m.ranked())
        .thenComparing(m -> m.ranked() ? -m.score() : -Math.abs(m.logOdds())).thenComparingInt(FeatureMeasures::featureId));
    List<Map<String, Object>> out = new ArrayList<>();
    for (FeatureMeasures m : all.subList(0, Math.min(limit, all.size()))) {
      out.add(json(m, plan, label(scope.get(), m.featureId())));
    }
    return Optional.of(out);
  }

  /** One feature of one version of the dataset, with its statistics and top activating steps. */
  public Optional<Map<String, Object>> feature(String dataset, Version version, int featureId) {
    Optional<StatsScope> scope = scope(dataset, version);
    Optional<DatasetTotals> t = scope.flatMap(this::totals);
    if (t.isEmpty()) {
      return Optional.empty();
    }
    String key = scope.get().featureKey(featureId);
    FeatureSums s = this.<FeatureSums>store(StatsStores.FEATURE_SUMS).get(key);
    if (s == null) {
      return Optional.empty();
    }
    List<FeatureMeasures> all = DatasetStatsProcessor.features(store(StatsStores.FEATURE_SUMS), scope.get(), t.get(), config);
    FeatureMeasures m = all.stream().filter(x -> x.featureId() == featureId).findFirst().orElseThrow();
    Map<String, Object> out = json(m, this.<SteeringPlan>store(StatsStores.VERSION_PLANS).get(scope.get().key()),
        label(scope.get(), featureId));
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

  private Optional<StatsScope> scope(String dataset, Version version) {
    DatasetVersions known = this.<DatasetVersions>store(StatsStores.DATASET_VERSIONS).get(dataset);
    if (known == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(version.modelVersion() == null && version.saeId() == null ? known.newest(dataset)
        : version.modelVersion() == null ? newestWithSae(known, dataset, version.saeId())
        : known.newest(dataset, version.modelVersion(), version.saeId()));
  }

  private static StatsScope newestWithSae(DatasetVersions known, String dataset, String saeId) {
    return known.newestFirst().stream().filter(v -> v.saeId().equals(saeId)).findFirst().map(v -> v.scope(dataset)).orElse(null);
  }

  private Optional<DatasetTotals> totals(StatsScope scope) {
    return Optional.ofNullable(this.<DatasetTotals>store(StatsStores.DATASET_TOTALS).get(scope.key()));
  }

  /**
   * The dataset's fix rates per arm (samples fixed at any strength) and per arm and strength, as evaluations; a
   * control arm's row also has its pairing with the plan (compared_to, wins, losses, p_value; null otherwise).
   */
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
      m.put("compared_to", e.getComparedTo());
      m.put("wins", e.getWins());
      m.put("losses", e.getLosses());
      m.put("p_value", e.getPValue());
      out.add(m);
    }
    return Optional.of(out);
  }

  /**
   * The newest version's request ({@link Version#NEWEST}): the plan the dataset publishes (the newest version's
   * once it has one, until then an older version's, labelled as that version's). A given version: its own plan.
   */
  public Optional<SteeringPlan> plan(String dataset, Version version) {
    if (version.newest()) {
      return Optional.ofNullable(this.<SteeringPlan>store(StatsStores.PLANS).get(dataset));
    }
    return scope(dataset, version).map(s -> this.<SteeringPlan>store(StatsStores.VERSION_PLANS).get(s.key()));
  }

  /** The examiner's label of the feature in this version, or null (the feature-labels global table). */
  private FeatureLabel label(StatsScope scope, int featureId) {
    return this.<FeatureLabel>store(SaerlTopology.FEATURE_LABELS_STORE)
        .get(FeatureLabels.key(scope.dataset(), scope.modelVersion(), scope.saeId(), featureId));
  }

  private static Map<String, Object> json(FeatureMeasures m, SteeringPlan plan, FeatureLabel label) {
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
    if (label != null) { // the label beside its detection score, and who wrote both
      x.put("label", label.getLabel());
      x.put("label_accuracy", label.getDetectionAccuracy());
      x.put("label_trials", label.getDetectionTrials());
      x.put("label_model", label.getModel());
      x.put("label_endpoint", label.getEndpoint());
    }
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
