package dev.saerl.app.cli;

import dev.saerl.app.config.SaerlConfig;
import dev.saerl.producers.examine.ExaminerClient;
import dev.saerl.producers.examine.FeatureLabeller;
import dev.saerl.producers.examine.QueriesSnapshot;
import dev.saerl.producers.examine.Rephraser;
import dev.saerl.producers.examine.StepExplainer;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.schemas.avro.FeatureLabel;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.StepExplanation;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.FeatureLabels;
import dev.saerl.schemas.topics.StepExplanations;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSnapshot;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "examine", mixinStandardHelpOptions = true, subcommands = {ExamineCommand.Rephrase.class, ExamineCommand.Label.class, ExamineCommand.Explain.class},
    description = {"An EXAMINER model on any OpenAI-compatible endpoint (saerl serve included) at work on a dataset. docs/examiner.md."})
public final class ExamineCommand {
  /** Where the examiner is and how patiently to ask it; shared by every examine subcommand. */
  public static final class EndpointOptions {
    @Option(names = "--examiner-url", defaultValue = "http://127.0.0.1:8000/v1", paramLabel = "URL",
        description = "Base URL of the OpenAI-compatible API, ending before /chat/completions (default ${DEFAULT-VALUE}: saerl serve).")
    URI url;

    @Option(names = "--examiner-model", paramLabel = "NAME", description = "Model to request (default: the endpoint's own).")
    String model;

    @Option(names = "--api-key-file", paramLabel = "FILE", description = "File holding the API key (sent as a bearer token).")
    Path apiKeyFile;

    @Option(names = "--api-key-env", defaultValue = "SAERL_EXAMINER_API_KEY", paramLabel = "VAR",
        description = "Environment variable holding the API key when no file is given (default ${DEFAULT-VALUE}; unset: no key).")
    String apiKeyEnv;

    @Option(names = "--rate", defaultValue = "2", description = "Most requests per second (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--request-timeout-s", defaultValue = "60", description = "Longest wait for one reply (default ${DEFAULT-VALUE}).")
    long requestTimeoutS;

    @Option(names = "--deadline-s", defaultValue = "600", description = "The whole run stops asking after this long (default ${DEFAULT-VALUE}).")
    long deadlineS;

    @Option(names = "--attempts", defaultValue = "5", description = "Tries per request on 429, 5xx or I/O errors, with doubling backoff (default ${DEFAULT-VALUE}).")
    int attempts;

    ExaminerClient.Config config(Map<String, String> env) throws IOException {
      String key = null;
      if (apiKeyFile != null) {
        key = Files.readString(apiKeyFile).strip();
        if (key.isEmpty()) {
          throw new IllegalArgumentException("--api-key-file " + apiKeyFile + " is empty");
        }
      } else if (env.get(apiKeyEnv) != null && !env.get(apiKeyEnv).isBlank()) {
        key = env.get(apiKeyEnv).strip();
      }
      return new ExaminerClient.Config(url, model, key, rate, Duration.ofSeconds(requestTimeoutS), Duration.ofSeconds(deadlineS),
          attempts, Duration.ofMillis(500));
    }
  }

  @Command(name = "rephrase", mixinStandardHelpOptions = true,
      description = {"Reads a dataset's queries from the queries topic and asks the examiner to rephrase each KNOWN-train one",
          "(never UNKNOWN, KNOWN_VAL or KNOWN_SELECT_A/B, never a rephrasing). A rephrasing that keeps the original's numbers",
          "(and, unless --no-solve-check, that the examiner answers with the reference answer) is published to the queries",
          "topic with the original's group_id, split and reference, a stable id and its provenance (endpoint, model, original)."})
  static final class Rephrase implements Callable<Integer> {
    @Option(names = "--dataset", required = true, paramLabel = "NAME", description = "The dataset whose queries to rephrase.")
    String dataset;

    @Option(names = "--limit", defaultValue = "0", description = "Rephrase at most this many queries (default: all eligible).")
    int limit;

    @Option(names = "--per-query", defaultValue = "1", description = "Rephrasings asked per query (default ${DEFAULT-VALUE}).")
    int perQuery;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature of the rephrasing (default ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--max-tokens", defaultValue = "160", description = "Longest reply (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--seed", defaultValue = "17", description = "Seed sent with each request (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--prompt", description = "The rephrasing prompt; {question} is replaced (default: see docs/examiner.md).")
    String prompt = Rephraser.DEFAULT_PROMPT;

    @Option(names = "--solve-prompt", defaultValue = "{question}", description = "What the solve check sends (default ${DEFAULT-VALUE}).")
    String solvePrompt;

    @Option(names = "--no-solve-check", description = "Skip the check that the examiner answers the rephrasing with the reference answer.")
    boolean noSolveCheck;

    @Mixin
    EndpointOptions endpoint;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
      SaerlConfig config = connection.resolve();
      var settings = new Rephraser.Settings(prompt, solvePrompt, !noSolveCheck, temperature, maxTokens, perQuery, limit, seed);
      try (HttpSchemaRegistry registry = config.registry();
           ExaminerClient examiner = new ExaminerClient(endpoint.config(System.getenv()))) {
        Topics topics = new Topics(config.topicPrefix(), registry);
        List<Query> queries = QueriesSnapshot.read(config.kafkaClient(), topics, dataset, Duration.ofSeconds(60));
        if (queries.isEmpty()) {
          throw new IllegalArgumentException("the queries topic holds no query of dataset '" + dataset + "'");
        }
        Rephraser.Summary summary;
        try (KafkaQuerySink sink = new KafkaQuerySink(config.kafkaClient(), topics)) {
          summary = new Rephraser(examiner, settings, sink::query).run(queries);
          sink.flush();
        }
        System.out.println("examiner " + endpoint.url + ": " + summary);
        summary.examples().forEach(e -> System.out.println("  " + e));
        return summary.stoppedAtDeadline() ? 2 : 0;
      }
    }
  }

  @Command(name = "label", mixinStandardHelpOptions = true,
      description = {"Asks the examiner for a short label of each of a dataset's top features (the Streams app's feature table),",
          "from half of its top activating steps, and scores the label by detection: the examiner, given only the label,",
          "says yes or no for the other half and as many steps of other features; the share right is published with the",
          "label, the endpoint and the model to feature-labels, and shown beside the feature on the Streams app's page."})
  static final class Label implements Callable<Integer> {
    @Option(names = "--dataset", required = true, paramLabel = "NAME", description = "The dataset whose features to label.")
    String dataset;

    @Option(names = "--stats-url", defaultValue = "http://127.0.0.1:7070", paramLabel = "URL",
        description = "The Streams app's HTTP API (default ${DEFAULT-VALUE}).")
    URI statsUrl;

    @Option(names = "--stats-token-file", paramLabel = "FILE", description = "The Streams app's API token, when it has one.")
    Path statsTokenFile;

    @Option(names = "--features", defaultValue = "10", description = "Label this many of the top features (default ${DEFAULT-VALUE}).")
    int features;

    @Option(names = "--min-steps", defaultValue = "4", description = "Skip features with fewer distinct top steps (default ${DEFAULT-VALUE}).")
    int minSteps;

    @Option(names = "--seed", defaultValue = "17", description = "Seed of the negatives' draw and of each request (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    EndpointOptions endpoint;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
      SaerlConfig config = connection.resolve();
      String token = statsTokenFile == null ? null : Files.readString(statsTokenFile).strip();
      var settings = new FeatureLabeller.Settings(statsUrl, token, features, minSteps, seed);
      try (HttpSchemaRegistry registry = config.registry();
           ExaminerClient examiner = new ExaminerClient(endpoint.config(System.getenv()))) {
        Topic<String, FeatureLabel> labels = new Topics(config.topicPrefix(), registry).get(TopicSpecs.FEATURE_LABELS);
        FeatureLabeller.Summary summary;
        try (KafkaProducer<byte[], byte[]> producer = producer(config)) {
          summary = new FeatureLabeller(examiner, settings, l -> producer.send(labels.record(
              FeatureLabels.key(l.getDataset(), l.getModelVersion(), l.getSaeId(), l.getFeatureId()), l))).run(dataset);
          producer.flush();
        }
        System.out.println("examiner " + endpoint.url + ": " + summary);
        return summary.stoppedAtDeadline() ? 2 : 0;
      }
    }
  }

  @Command(name = "explain", mixinStandardHelpOptions = true,
      description = {"Step expansion: asks the examiner to explain each step of a seeded draw of a dataset's samples (read from",
          "the generations topic), one request per step, and publishes each explanation to step-explanations keyed by sample",
          "and step, with the endpoint and model that wrote it. Only samples of KNOWN-train queries whose whole group is",
          "KNOWN are shown: never a sample of an UNKNOWN, KNOWN_VAL or KNOWN_SELECT_A/B query."})
  static final class Explain implements Callable<Integer> {
    @Option(names = "--dataset", required = true, paramLabel = "NAME", description = "The dataset whose samples to explain.")
    String dataset;

    @Option(names = "--samples", defaultValue = "20", description = "Explain this many samples (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--steps-per-sample", defaultValue = "8", description = "At most this many steps of each, first ones first (default ${DEFAULT-VALUE}).")
    int stepsPerSample;

    @Option(names = "--model-version", paramLabel = "V", description = "Only samples of this model version (default: every version).")
    String modelVersion;

    @Option(names = "--max-tokens", defaultValue = "120", description = "Longest explanation (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--seed", defaultValue = "17", description = "Seed of the samples' draw and of each request (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--prompt", description = "The prompt; {step} is replaced, and {question} and {before} (the completion before the step) if present (default: see docs/examiner.md).")
    String prompt = StepExplainer.DEFAULT_PROMPT;

    @Mixin
    EndpointOptions endpoint;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() throws Exception {
      SaerlConfig config = connection.resolve();
      var settings = new StepExplainer.Settings(prompt, samples, stepsPerSample, modelVersion, maxTokens, seed);
      try (HttpSchemaRegistry registry = config.registry();
           ExaminerClient examiner = new ExaminerClient(endpoint.config(System.getenv()))) {
        Topics topics = new Topics(config.topicPrefix(), registry);
        List<Query> queries = QueriesSnapshot.read(config.kafkaClient(), topics, dataset, Duration.ofSeconds(60));
        List<Generation> generations = new ArrayList<>();
        TopicSnapshot.read(config.kafkaClient(), topics.get(TopicSpecs.GENERATIONS), Duration.ofSeconds(120), (k, g, ts) -> {
          if (g != null && dataset.equals(g.getDataset())) {
            generations.add(g);
          }
        });
        if (generations.isEmpty()) {
          throw new IllegalArgumentException("the generations topic holds no sample of dataset '" + dataset + "'");
        }
        Topic<String, StepExplanation> out = topics.get(TopicSpecs.STEP_EXPLANATIONS);
        StepExplainer.Summary summary;
        try (KafkaProducer<byte[], byte[]> producer = producer(config)) {
          summary = new StepExplainer(examiner, settings, e -> producer.send(out.record(
              StepExplanations.key(e.getSampleId(), e.getStepIndex()), e))).run(queries, generations);
          producer.flush();
        }
        System.out.println("examiner " + endpoint.url + ": " + summary);
        summary.examples().forEach(e -> System.out.println("  " + e));
        return summary.stoppedAtDeadline() ? 2 : 0;
      }
    }
  }

  /** An idempotent producer of the examiner's records. */
  static KafkaProducer<byte[], byte[]> producer(SaerlConfig config) {
    Properties p = new Properties();
    p.putAll(config.kafkaClient());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }
}
