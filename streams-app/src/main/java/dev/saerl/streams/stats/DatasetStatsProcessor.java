package dev.saerl.streams.stats;

import dev.saerl.schemas.avro.FeatureStats;
import dev.saerl.schemas.avro.SteeringPlan;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Per dataset (the input key), per scope ({@link StatsScope}: the dataset's samples of one model version
 * and SAE, never pooled): adds each delta into the scope's feature sums and totals, keeps each feature's
 * top activating steps, and records the scope among the dataset's versions. Every publish interval, for
 * the scopes that changed, it publishes every feature's statistics (FeatureStats, key
 * "dataset/model_version/sae_id/feature") and reconsiders the scope's plan; then per changed dataset it
 * publishes (SteeringPlan, key dataset) the plan of the dataset's newest version that has one, when that
 * is not the one last published. A new version thus starts from no statistics, and until it has a plan of
 * its own the previous version's plan keeps serving, labelled as that version's.
 */
public final class DatasetStatsProcessor implements Processor<String, StatsDelta, String, SpecificRecord> {
  private final StatsConfig config;
  private final Set<StatsScope> dirty = new LinkedHashSet<>();
  /** Per full example list, its lowest activation: weaker candidates are dropped without reading the list. */
  private final Map<String, Float> exampleFloor = new HashMap<>();
  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, FeatureSums> sums;
  private KeyValueStore<String, DatasetTotals> totals;
  private KeyValueStore<String, List<FeatureExample>> examples;
  private KeyValueStore<String, DatasetVersions> versions;
  private KeyValueStore<String, SteeringPlan> versionPlans;
  private KeyValueStore<String, SteeringPlan> plans;
  private boolean restored;

  public DatasetStatsProcessor(StatsConfig config) {
    this.config = config;
  }

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    sums = context.getStateStore(StatsStores.FEATURE_SUMS);
    totals = context.getStateStore(StatsStores.DATASET_TOTALS);
    examples = context.getStateStore(StatsStores.FEATURE_EXAMPLES);
    versions = context.getStateStore(StatsStores.DATASET_VERSIONS);
    versionPlans = context.getStateStore(StatsStores.VERSION_PLANS);
    plans = context.getStateStore(StatsStores.PLANS);
    context.schedule(config.publishInterval(), PunctuationType.WALL_CLOCK_TIME, now -> publish());
  }

  @Override
  public void process(Record<String, StatsDelta> record) {
    StatsDelta d = record.value();
    if (d == null) {
      return;
    }
    StatsScope scope = d.scope();
    DatasetTotals t = totals.get(scope.key());
    DatasetTotals next = (t == null ? DatasetTotals.EMPTY : t).plus(d);
    DatasetVersions known = versions.get(scope.dataset());
    known = known == null ? DatasetVersions.NONE : known;
    DatasetVersions nextKnown;
    if (next.isEmpty()) {
      totals.delete(scope.key()); // every sample left this scope (re-sent under another SAE, say)
      nextKnown = known.without(scope);
    } else {
      totals.put(scope.key(), next);
      nextKnown = known.seen(scope, record.timestamp());
    }
    if (nextKnown.versions().isEmpty()) {
      versions.delete(scope.dataset());
    } else if (!nextKnown.equals(known)) {
      versions.put(scope.dataset(), nextKnown);
    }
    for (int i = 0; i < d.featureIds().length; i++) {
      String key = scope.featureKey(d.featureIds()[i]);
      FeatureSums s = sums.get(key);
      if (s == null) {
        s = new FeatureSums();
      }
      s.accumulate(d.sums(i), 1);
      if (s.isEmpty()) {
        sums.delete(key);
      } else {
        sums.put(key, s);
      }
    }
    for (int i = 0; i < d.exampleFeatures().length; i++) {
      offerExample(scope.featureKey(d.exampleFeatures()[i]), d.example(i));
    }
    dirty.add(scope);
  }

  private void offerExample(String key, FeatureExample e) {
    Float floor = exampleFloor.get(key);
    if (floor != null && e.activation() < floor) {
      return; // cannot enter the list, and cannot be in it (everything in it is at least the floor)
    }
    List<FeatureExample> list = examples.get(key);
    if (list == null) {
      list = List.of();
    }
    int n = config.examplesPerFeature();
    boolean replaces = list.stream().anyMatch(e::sameStep);
    if (!replaces && list.size() >= n && e.activation() <= list.get(list.size() - 1).activation()) {
      exampleFloor.put(key, list.get(list.size() - 1).activation());
      return;
    }
    List<FeatureExample> next = new ArrayList<>(list.size() + 1);
    for (FeatureExample x : list) {
      if (!x.sameStep(e)) {
        next.add(x);
      }
    }
    next.add(e);
    next.sort(Comparator.comparingDouble(FeatureExample::activation).reversed()
        .thenComparing(FeatureExample::sampleId).thenComparingInt(FeatureExample::stepIndex));
    List<FeatureExample> kept = List.copyOf(next.subList(0, Math.min(n, next.size())));
    examples.put(key, kept);
    if (kept.size() >= n) {
      exampleFloor.put(key, kept.get(kept.size() - 1).activation());
    }
  }

  /** Republishes the changed scopes and reconsiders their datasets' plans; after a (re)start, every scope this instance holds. */
  private void publish() {
    if (!restored) {
      try (KeyValueIterator<String, DatasetTotals> it = totals.all()) {
        it.forEachRemaining(kv -> {
          StatsScope scope = StatsScope.parse(kv.key);
          if (scope != null) {
            dirty.add(scope);
          }
        });
      }
      restored = true;
    }
    Set<String> datasets = new LinkedHashSet<>();
    for (StatsScope scope : dirty) {
      publish(scope);
      datasets.add(scope.dataset());
    }
    dirty.clear();
    for (String dataset : datasets) {
      publishPlan(dataset);
    }
  }

  /** The scope's feature statistics, and its own plan (kept in the version plans store) when it changed materially. */
  private void publish(StatsScope scope) {
    DatasetTotals t = totals.get(scope.key());
    if (t == null) {
      versionPlans.delete(scope.key());
      return;
    }
    long now = context.currentSystemTimeMs();
    List<FeatureMeasures> measures = features(sums, scope, t, config);
    for (FeatureMeasures m : measures) {
      context.forward(new Record<>(scope.featureKey(m.featureId()), toAvro(scope, m), now));
    }
    Optional<SteeringPlan> plan = PlanBuilder.build(scope.dataset(), t, measures, config);
    if (plan.isPresent() && PlanBuilder.materiallyDifferent(versionPlans.get(scope.key()), plan.get(), config)) {
      versionPlans.put(scope.key(), plan.get());
    }
  }

  /** Publishes the plan of the dataset's newest version that has one, unless it is the one published last. */
  private void publishPlan(String dataset) {
    SteeringPlan chosen = servingPlan(versions.get(dataset), versionPlans, dataset);
    if (chosen != null && !chosen.equals(plans.get(dataset))) {
      plans.put(dataset, chosen);
      context.forward(new Record<>(dataset, chosen, context.currentSystemTimeMs()));
    }
  }

  /** The plan of the newest of {@code known} that has one in {@code versionPlans}; null when none has. */
  public static SteeringPlan servingPlan(DatasetVersions known,
                                         org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, SteeringPlan> versionPlans,
                                         String dataset) {
    for (DatasetVersions.Version v : known == null ? List.<DatasetVersions.Version>of() : known.newestFirst()) {
      SteeringPlan p = versionPlans.get(v.scope(dataset).key());
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  /** Every feature of {@code scope} in a sums store, with its measures. */
  public static List<FeatureMeasures> features(org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, FeatureSums> sums,
                                               StatsScope scope, DatasetTotals t, StatsConfig config) {
    List<Integer> ids = new ArrayList<>();
    List<FeatureSums> values = new ArrayList<>();
    int ranked = 0;
    String prefix = scope.prefix();
    try (KeyValueIterator<String, FeatureSums> it = sums.prefixScan(prefix, Serdes.String().serializer())) {
      while (it.hasNext()) {
        var kv = it.next();
        int feature = StatsStores.featureOf(kv.key, prefix);
        if (feature >= 0) {
          ids.add(feature);
          values.add(kv.value);
          ranked += FeatureMeasures.ranked(kv.value, t, config) ? 1 : 0;
        }
      }
    }
    double z = FeatureMeasures.rankingZ(config, ranked);
    List<FeatureMeasures> out = new ArrayList<>(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      out.add(FeatureMeasures.of(ids.get(i), values.get(i), t, config, z));
    }
    return out;
  }

  static FeatureStats toAvro(StatsScope scope, FeatureMeasures m) {
    FeatureSums s = m.sums();
    DatasetTotals t = m.totals();
    return FeatureStats.newBuilder().setDataset(scope.dataset()).setFeatureId(m.featureId())
        .setModelVersion(scope.modelVersion()).setSaeId(scope.saeId()).setSamplesCorrect(t.samplesCorrect()).setSamplesIncorrect(t.samplesIncorrect())
        .setActiveCorrect(s.activeCorrect()).setActiveIncorrect(s.activeIncorrect())
        .setSumCorrect(s.get(FeatureSums.SUM_CORRECT)).setSumSqCorrect(s.get(FeatureSums.SUM_SQ_CORRECT))
        .setSumIncorrect(s.get(FeatureSums.SUM_INCORRECT)).setSumSqIncorrect(s.get(FeatureSums.SUM_SQ_INCORRECT))
        .setPairedQueries(t.pairedQueries()).setPairedSumDiff(s.get(FeatureSums.PAIRED_SUM_DIFF))
        .setPairedSumSqDiff(s.get(FeatureSums.PAIRED_SUM_SQ_DIFF)).setLogOdds(m.logOdds()).setLogOddsSe(m.logOddsSe())
        .setCohensD(m.cohensD()).setPairedMeanDiff(m.pairedMeanDiff()).setPairedSe(m.pairedSe()).build();
  }
}
