package dev.saerl.app.cli;

import dev.saerl.app.config.SaerlConfig;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.StreamsService;
import dev.saerl.streams.stats.StatsConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "streams", mixinStandardHelpOptions = true,
    description = {"The Kafka Streams application (exactly-once v2): verifies generations against the queries table",
        "(UNKNOWN queries' verdicts are marked evaluation-only), joins KNOWN samples' features with their verdicts into",
        "per-feature statistics per dataset, publishes feature-stats and steering-plans, and serves the statistics",
        "over HTTP (API under /api/, a page at /). Run several with the same data and they share the work; any",
        "instance answers for every dataset. Runs until Ctrl-C."})
public final class StreamsCommand implements Callable<Integer> {
  @Mixin
  ConnectionOptions connection;

  @Option(names = "--http-host", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "Address the HTTP API binds and advertises to the other instances (default: ${DEFAULT-VALUE}).")
  String httpHost;

  @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "7070",
      description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int httpPort;

  @Option(names = "--http-token-file", paramLabel = "FILE",
      description = "Require this token (the file's first line) on every API request: header 'Authorization: Bearer <token>', "
          + "or open the page as /?token=<token>. Also read from the SAERL_HTTP_TOKEN environment variable. Never logged.")
  Path httpTokenFile;

  @Option(names = "--instance", paramLabel = "ID",
      description = "Static group membership under this id (unique per instance): restarted after a crash, the instance "
          + "takes its tasks back at once instead of waiting for its old session (15 s) to expire.")
  String instance;

  @Option(names = "--min-plan-samples", paramLabel = "N", description = "Labelled samples a dataset needs before it gets a plan (default: "
      + "the statistics defaults, docs/statistics.md).")
  Integer minPlanSamples;

  @Option(names = "--min-support", paramLabel = "N", description = "Labelled samples a feature must be active in to be ranked.")
  Integer minSupport;

  @Option(names = "--min-paired-queries", paramLabel = "N", description = "Queries with both classes a dataset needs to rank on the paired contrast.")
  Integer minPairedQueries;

  @Option(names = "--reset-local-state",
      description = "Delete this instance's local stores first; they are rebuilt from their changelog topics.")
  boolean resetLocalState;

  private String token() throws java.io.IOException {
    if (httpTokenFile != null) {
      String t = java.nio.file.Files.readAllLines(httpTokenFile).stream().findFirst().orElse("").trim();
      if (t.isEmpty()) {
        throw new IllegalArgumentException("--http-token-file " + httpTokenFile + " has no token on its first line");
      }
      return t;
    }
    String env = System.getenv("SAERL_HTTP_TOKEN");
    return env == null || env.isBlank() ? null : env.trim();
  }

  private StatsConfig statsConfig() {
    StatsConfig d = StatsConfig.DEFAULTS;
    return new StatsConfig(minSupport == null ? d.minSupport() : minSupport,
        minPairedQueries == null ? d.minPairedQueries() : minPairedQueries, d.maxPresence(), d.alpha(), d.topK(),
        minPlanSamples == null ? d.minPlanSamples() : minPlanSamples, d.strength(), d.minJaccard(), d.maxCoefficientChange(),
        d.examplesPerFeature(), d.publishInterval());
  }

  @Override
  public Integer call() throws Exception {
    SaerlConfig config = connection.resolve();
    try (HttpSchemaRegistry registry = config.registry()) {
      Topics topics = new Topics(config.topicPrefix(), registry);
      Path state = config.dataDir().resolve("streams-state");
      String token = token();
      java.util.Properties client = config.kafkaClient();
      if (instance != null) {
        client.put(org.apache.kafka.streams.StreamsConfig.mainConsumerPrefix("group.instance.id"),
            config.topicPrefix() + "streams-" + instance);
        client.put(org.apache.kafka.streams.StreamsConfig.mainConsumerPrefix("session.timeout.ms"), "15000");
      }
      StreamsService service = StreamsService.start(topics, client, config.topicPrefix() + "streams", state,
          new InetSocketAddress(httpHost, httpPort), statsConfig(), resetLocalState, token);
      CountDownLatch stopped = new CountDownLatch(1);
      java.util.concurrent.atomic.AtomicBoolean shuttingDown = new java.util.concurrent.atomic.AtomicBoolean();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        shuttingDown.set(true);
        service.close();
        stopped.countDown();
      }));
      System.out.println("streams app running (state in " + state + "); statistics at " + service.url()
          + (token == null ? "" : " (token required)"));
      // the topology can die on its own (an uncaught error shuts the client down): then exit non-zero, not hang
      while (!stopped.await(1, TimeUnit.SECONDS)) {
        KafkaStreams.State now = service.streams().state();
        if (!shuttingDown.get() && (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING)) {
          System.err.println("saerl streams: the topology stopped (state " + now + "); its error is logged above");
          return 1;
        }
      }
    }
    return 0;
  }
}
