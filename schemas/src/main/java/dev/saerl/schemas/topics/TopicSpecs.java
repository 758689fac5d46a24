package dev.saerl.schemas.topics;

import static dev.saerl.schemas.topics.TopicSpec.CleanupPolicy.COMPACT;
import static dev.saerl.schemas.topics.TopicSpec.CleanupPolicy.DELETE;

import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.DeadLetter;
import dev.saerl.schemas.avro.Evaluation;
import dev.saerl.schemas.avro.FeatureLabel;
import dev.saerl.schemas.avro.FeatureStats;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.ModelVersion;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.SplitPin;
import dev.saerl.schemas.avro.SteeringPlan;
import dev.saerl.schemas.avro.StepExplanation;
import dev.saerl.schemas.avro.Verdict;
import java.time.Duration;
import java.util.List;

/** Every topic saerl uses (see docs/topics.md). Records of one query share a key, hence a partition. */
public final class TopicSpecs {
  private static final Duration WEEK = Duration.ofDays(7);
  private static final Duration MONTH = Duration.ofDays(30);

  public static final TopicSpec<Query> QUERIES =
      new TopicSpec<>("queries", Query.class, "query_id", 6, COMPACT, null);
  public static final TopicSpec<Generation> GENERATIONS =
      new TopicSpec<>("generations", Generation.class, "query_id", 6, DELETE, MONTH);
  public static final TopicSpec<SampleFeatures> SAMPLE_FEATURES =
      new TopicSpec<>("sample-features", SampleFeatures.class, "query_id", 6, DELETE, MONTH);
  public static final TopicSpec<Verdict> VERDICTS =
      new TopicSpec<>("verdicts", Verdict.class, "query_id", 6, DELETE, MONTH);
  public static final TopicSpec<FeatureStats> FEATURE_STATS =
      new TopicSpec<>("feature-stats", FeatureStats.class, "dataset/model_version/sae_id/feature_id", 6, COMPACT, null);
  public static final TopicSpec<SteeringPlan> STEERING_PLANS =
      new TopicSpec<>("steering-plans", SteeringPlan.class, "dataset", 1, COMPACT, null);
  public static final TopicSpec<Correction> CORRECTIONS =
      new TopicSpec<>("corrections", Correction.class, "query_id", 6, DELETE, MONTH);
  public static final TopicSpec<ModelVersion> MODEL_VERSIONS =
      new TopicSpec<>("model-versions", ModelVersion.class, "version", 1, COMPACT, null);
  public static final TopicSpec<Evaluation> EVALUATIONS =
      new TopicSpec<>("evaluations", Evaluation.class, "evaluation_id", 1, DELETE, MONTH);
  public static final TopicSpec<SplitPin> DATASET_SPLITS =
      new TopicSpec<>("dataset-splits", SplitPin.class, "dataset", 1, COMPACT, null);
  public static final TopicSpec<FeatureLabel> FEATURE_LABELS =
      new TopicSpec<>("feature-labels", FeatureLabel.class, "dataset/model_version/sae_id/feature_id", 1, COMPACT, null);
  public static final TopicSpec<StepExplanation> STEP_EXPLANATIONS =
      new TopicSpec<>("step-explanations", StepExplanation.class, "sample_id/step_index", 1, COMPACT, null);
  public static final TopicSpec<DeadLetter> DEAD_LETTERS =
      new TopicSpec<>("dead-letters", DeadLetter.class, "source", 1, DELETE, WEEK);

  public static final List<TopicSpec<?>> ALL = List.of(QUERIES, GENERATIONS, SAMPLE_FEATURES, VERDICTS,
      FEATURE_STATS, STEERING_PLANS, CORRECTIONS, MODEL_VERSIONS, EVALUATIONS, DATASET_SPLITS,
      FEATURE_LABELS, STEP_EXPLANATIONS, DEAD_LETTERS);

  private TopicSpecs() {}
}
