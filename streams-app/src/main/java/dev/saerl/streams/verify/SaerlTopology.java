package dev.saerl.streams.verify;

import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.FeatureLabel;
import dev.saerl.schemas.avro.FeatureStats;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Verdict;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.fix.FixRates;
import dev.saerl.streams.fix.SampleFixes;
import dev.saerl.streams.stats.DatasetStatsProcessor;
import dev.saerl.streams.stats.InternalSerdes;
import dev.saerl.streams.stats.QueryStatsProcessor;
import dev.saerl.streams.stats.SampleEvent;
import dev.saerl.streams.stats.StatsConfig;
import dev.saerl.streams.stats.StatsStores;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * saerl's Streams topology.
 * <ul>
 *   <li>in: queries (key query_id) as the table {@link #QUERIES_STORE}; generations and sample-features
 *       (key query_id)</li>
 *   <li>out: verdicts (key query_id): each generation joined with its query and verified</li>
 *   <li>statistics: the verdicts and sample-features of KNOWN queries meet per query in
 *       {@link StatsStores#QUERY_SAMPLES} ({@link QueryStatsProcessor}); each change to a query's
 *       labelled samples becomes a delta per (dataset, model version, SAE), repartitioned by dataset
 *       ({@link #DELTAS_TOPIC}) and added into that version's stores ({@link DatasetStatsProcessor}), which
 *       publish feature-stats (key "dataset/model_version/sae_id/feature") and steering-plans (key dataset:
 *       the newest version's plan once it has one).</li>
 *   <li>fix rates: corrections grouped by sample into {@link #FIX_SAMPLES_STORE} (what each arm and strength
 *       gave it), those by dataset into {@link #FIX_RATES_STORE} (samples fixed per arm, each control arm
 *       paired with the plan); every change republishes the dataset's fix rate per arm and per (arm, strength)
 *       to evaluations.</li>
 *   <li>labels: feature-labels, an examiner's labels with their detection scores, as the global table
 *       {@link #FEATURE_LABELS_STORE}, which the HTTP API shows beside each feature.</li>
 * </ul>
 * Generations, sample-features and queries share the key and partition count, so the join and the
 * per-query state need no repartition. A generation whose query is not (yet) in the table produces
 * no verdict.
 */
public final class SaerlTopology {
  public static final String QUERIES_STORE = "queries-table";
  /** Per sample, what each arm and strength of its corrections gave ({@link SampleFixes}). */
  public static final String FIX_SAMPLES_STORE = "fix-samples";
  /** Per dataset, the fix rates of the corrections' arms, by sample and paired with the plan ({@link FixRates}). */
  public static final String FIX_RATES_STORE = "paired-fix-rates";
  /** Every instance's copy of feature-labels (key {@link dev.saerl.schemas.topics.FeatureLabels#key}): small, so global. */
  public static final String FEATURE_LABELS_STORE = "feature-labels";
  /** Name of the internal repartition topic carrying statistics deltas keyed by dataset. */
  public static final String DELTAS_TOPIC = "stats-deltas";

  private SaerlTopology() {}

  public static Topology build(Topics topics) {
    return build(topics, StatsConfig.DEFAULTS);
  }

  public static Topology build(Topics topics, StatsConfig stats) {
    StreamsBuilder b = new StreamsBuilder();
    Topic<String, Query> queries = topics.get(TopicSpecs.QUERIES);
    Topic<String, Generation> generations = topics.get(TopicSpecs.GENERATIONS);
    Topic<String, SampleFeatures> features = topics.get(TopicSpecs.SAMPLE_FEATURES);
    Topic<String, Verdict> verdicts = topics.get(TopicSpecs.VERDICTS);
    Topic<String, FeatureStats> featureStats = topics.get(TopicSpecs.FEATURE_STATS);
    Topic<String, SteeringPlan> plans = topics.get(TopicSpecs.STEERING_PLANS);
    KTable<String, Query> table = b.table(queries.name(), Consumed.with(queries.keySerde(), queries.valueSerde()),
        Materialized.<String, Query, KeyValueStore<Bytes, byte[]>>as(QUERIES_STORE)
            .withKeySerde(queries.keySerde()).withValueSerde(queries.valueSerde()));
    VerdictJoiner joiner = new VerdictJoiner();
    KStream<String, SampleEvent.Label> judged = b.stream(generations.name(),
            Consumed.with(generations.keySerde(), generations.valueSerde()))
        .join(table, (g, q) -> SampleEvent.Label.of(g, joiner.apply(g, q)),
            Joined.with(generations.keySerde(), generations.valueSerde(), queries.valueSerde()));
    judged.mapValues(SampleEvent.Label::verdict).to(verdicts.name(), Produced.with(verdicts.keySerde(), verdicts.valueSerde()));

    b.addStateStore(StatsStores.querySamples());
    b.addStateStore(StatsStores.featureSums());
    b.addStateStore(StatsStores.datasetTotals());
    b.addStateStore(StatsStores.featureExamples());
    b.addStateStore(StatsStores.datasetVersions());
    b.addStateStore(StatsStores.versionPlans(plans.valueSerde()));
    b.addStateStore(StatsStores.plans(plans.valueSerde()));
    KStream<String, SampleEvent> labels = judged.filter((k, l) -> l.known()).mapValues(l -> (SampleEvent) l);
    KStream<String, SampleEvent> observed = b.stream(features.name(), Consumed.with(features.keySerde(), features.valueSerde()))
        .filter((k, f) -> f != null && f.getSplit() == Split.KNOWN).mapValues(SampleEvent.Features::new);
    KStream<String, SpecificRecord> published = labels.merge(observed)
        .process(QueryStatsProcessor::new, StatsStores.QUERY_SAMPLES)
        .repartition(Repartitioned.with(Serdes.String(), InternalSerdes.statsDelta()).withName(DELTAS_TOPIC))
        .process(() -> new DatasetStatsProcessor(stats), StatsStores.FEATURE_SUMS, StatsStores.DATASET_TOTALS,
            StatsStores.FEATURE_EXAMPLES, StatsStores.DATASET_VERSIONS, StatsStores.VERSION_PLANS, StatsStores.PLANS);
    published.filter((k, v) -> v instanceof FeatureStats).mapValues(v -> (FeatureStats) v)
        .to(featureStats.name(), Produced.with(featureStats.keySerde(), featureStats.valueSerde()));
    published.filter((k, v) -> v instanceof SteeringPlan).mapValues(v -> (SteeringPlan) v)
        .to(plans.name(), Produced.with(plans.keySerde(), plans.valueSerde()));

    // corrections -> what each sample's arms gave -> fix rates per dataset, by sample, paired with the plan -> evaluations
    Topic<String, Correction> corrections = topics.get(TopicSpecs.CORRECTIONS);
    Topic<String, Evaluation> evaluations = topics.get(TopicSpecs.EVALUATIONS);
    b.stream(corrections.name(), Consumed.with(corrections.keySerde(), corrections.valueSerde()))
        .filter((k, c) -> c != null)
        .selectKey((k, c) -> c.getSampleId())
        .groupByKey(Grouped.with("fix-samples", Serdes.String(), corrections.valueSerde()))
        .aggregate(SampleFixes::empty, (sample, c, fixes) -> fixes.plus(c),
            Materialized.<String, SampleFixes, KeyValueStore<Bytes, byte[]>>as(FIX_SAMPLES_STORE)
                .withKeySerde(Serdes.String()).withValueSerde(InternalSerdes.sampleFixes()))
        .groupBy((sample, fixes) -> KeyValue.pair(fixes.dataset(), fixes),
            Grouped.with("paired-fix-rates", Serdes.String(), InternalSerdes.sampleFixes()))
        .aggregate(FixRates::empty, (dataset, fixes, rates) -> rates.plus(fixes), (dataset, fixes, rates) -> rates.minus(fixes),
            Materialized.<String, FixRates, KeyValueStore<Bytes, byte[]>>as(FIX_RATES_STORE)
                .withKeySerde(Serdes.String()).withValueSerde(InternalSerdes.fixRates()))
        .toStream()
        .flatMap((dataset, rates) -> rates.evaluations(dataset).stream()
            .map(e -> KeyValue.pair(e.getEvaluationId(), e)).toList())
        .to(evaluations.name(), Produced.with(evaluations.keySerde(), evaluations.valueSerde()));

    Topic<String, FeatureLabel> featureLabels = topics.get(TopicSpecs.FEATURE_LABELS);
    b.globalTable(featureLabels.name(), Consumed.with(featureLabels.keySerde(), featureLabels.valueSerde()),
        Materialized.<String, FeatureLabel, KeyValueStore<Bytes, byte[]>>as(FEATURE_LABELS_STORE)
            .withKeySerde(featureLabels.keySerde()).withValueSerde(featureLabels.valueSerde()));
    return b.build();
  }

  /**
   * Exactly-once v2; a 1 s commit interval (under EOS a commit is when downstream sees results: 200 ms made
   * the statistics benchmark 26% slower); 16 MiB of record cache; RocksDB bounded to 64 MiB per JVM; internal
   * (changelog, repartition) topics with the broker's default replication factor.
   */
  public static Properties streamsConfig(Properties client, String applicationId, String stateDir) {
    Properties p = new Properties();
    p.putAll(client);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.toString(16L * 1024 * 1024));
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "-1"); // the broker's default.replication.factor: 3 on a 3-node cluster
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    p.put(StreamsConfig.DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        org.apache.kafka.streams.errors.LogAndContinueExceptionHandler.class);
    return p;
  }
}
