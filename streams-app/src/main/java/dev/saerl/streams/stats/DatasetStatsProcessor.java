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
 * Per dataset (the input key): adds each delta into the feature sums and dataset totals, keeps each
 * feature's top activating steps, and every publish interval, for the datasets that changed,
 * publishes every feature's statistics (FeatureStats, key "dataset/feature") and the steering plan
 * when it changed materially (SteeringPlan, key dataset).
 */
public final class DatasetStatsProcessor implements Processor<String, StatsDelta, String, SpecificRecord> {
  private final StatsConfig config;
  private final Set<String> dirty = new LinkedHashSet<>();
  /** Per full example list, its lowest activation: weaker candidates are dropped without reading the list. */
  private final Map<String, Float> exampleFloor = new HashMap<>();
  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, FeatureSums> sums;
  private KeyValueStore<String, DatasetTotals> totals;
  private KeyValueStore<String, List<FeatureExample>> examples;
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
    plans = context.getStateStore(StatsStores.PLANS);
    context.schedule(config.publishInterval(), PunctuationType.WALL_CLOCK_TIME, now -> publish());
  }

  @Override
  public void process(Record<String, StatsDelta> record) {
    StatsDelta d = record.value();
    if (d == null) {
      return;
    }
    String dataset = d.dataset();
    DatasetTotals t = totals.get(dataset);
    totals.put(dataset, (t == null ? DatasetTotals.EMPTY : t).plus(d));
    for (int i = 0; i < d.featureIds().length; i++) {
      String key = StatsStores.featureKey(dataset, d.featureIds()[i]);
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
      offerExample(StatsStores.featureKey(dataset, d.exampleFeatures()[i]), d.example(i));
    }
    dirty.add(dataset);
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

  /** Republishes the changed datasets; after a (re)start, every dataset this instance holds. */
  private void publish() {
    if (!restored) {
      try (KeyValueIterator<String, DatasetTotals> it = totals.all()) {
        it.forEachRemaining(kv -> dirty.add(kv.key));
      }
      restored = true;
    }
    for (String dataset : dirty) {
      publish(dataset);
    }
    dirty.clear();
  }

  private void publish(String dataset) {
    DatasetTotals t = totals.get(dataset);
    if (t == null) {
      return;
    }
    long now = context.currentSystemTimeMs();
    List<FeatureMeasures> measures = features(sums, dataset, t, config);
    for (FeatureMeasures m : measures) {
      context.forward(new Record<>(StatsStores.featureKey(dataset, m.featureId()), toAvro(dataset, m), now));
    }
    Optional<SteeringPlan> plan = PlanBuilder.build(dataset, t, measures, config);
    if (plan.isPresent() && PlanBuilder.materiallyDifferent(plans.get(dataset), plan.get(), config)) {
      plans.put(dataset, plan.get());
      context.forward(new Record<>(dataset, plan.get(), now));
    }
  }

  /** Every feature of {@code dataset} in a sums store, with its measures. */
  public static List<FeatureMeasures> features(org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, FeatureSums> sums,
                                               String dataset, DatasetTotals t, StatsConfig config) {
    List<Integer> ids = new ArrayList<>();
    List<FeatureSums> values = new ArrayList<>();
    int ranked = 0;
    try (KeyValueIterator<String, FeatureSums> it = sums.prefixScan(dataset + "/", Serdes.String().serializer())) {
      while (it.hasNext()) {
        var kv = it.next();
        int feature = StatsStores.featureOf(kv.key, dataset);
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

  static FeatureStats toAvro(String dataset, FeatureMeasures m) {
    FeatureSums s = m.sums();
    DatasetTotals t = m.totals();
    return FeatureStats.newBuilder().setDataset(dataset).setFeatureId(m.featureId()).setModelVersion(t.modelVersion())
        .setSaeId(t.saeId()).setSamplesCorrect(t.samplesCorrect()).setSamplesIncorrect(t.samplesIncorrect())
        .setActiveCorrect(s.activeCorrect()).setActiveIncorrect(s.activeIncorrect())
        .setSumCorrect(s.get(FeatureSums.SUM_CORRECT)).setSumSqCorrect(s.get(FeatureSums.SUM_SQ_CORRECT))
        .setSumIncorrect(s.get(FeatureSums.SUM_INCORRECT)).setSumSqIncorrect(s.get(FeatureSums.SUM_SQ_INCORRECT))
        .setPairedQueries(t.pairedQueries()).setPairedSumDiff(s.get(FeatureSums.PAIRED_SUM_DIFF))
        .setPairedSumSqDiff(s.get(FeatureSums.PAIRED_SUM_SQ_DIFF)).setLogOdds(m.logOdds()).setLogOddsSe(m.logOddsSe())
        .setCohensD(m.cohensD()).setPairedMeanDiff(m.pairedMeanDiff()).setPairedSe(m.pairedSe()).build();
  }
}
