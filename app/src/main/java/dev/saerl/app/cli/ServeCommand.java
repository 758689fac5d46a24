package dev.saerl.app.cli;

import dev.saerl.app.serve.OpenAiServer;
import dev.saerl.app.config.SaerlConfig;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.inference.OrtRuntime;
import dev.saerl.workers.pack.ModelPack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Serves a model pack behind an OpenAI-compatible API (GET /v1/models, POST /v1/completions and",
        "/v1/chat/completions, streaming as server-sent events), with saerl's variants: feature edits at the hook",
        "layer (nudge or pin) and the reply's SAE features, in the request's \"saerl\" field. Concurrent requests run",
        "in one batch; a full queue answers 429. With --follow-versions, every model version announced on",
        "model-versions with one of those methods is served too, under its version id. Runs until stopped. docs/serve.md."})
public final class ServeCommand implements Callable<Integer> {
  @Option(names = "--pack", required = true, description = "The model pack directory.")
  Path pack;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}: this machine only).")
  String host;

  @Option(names = "--port", defaultValue = "8000", description = "Port (default ${DEFAULT-VALUE}; 0 for any free port).")
  int port;

  @Option(names = "--token-file", description = "A file holding the bearer token every request must send (none by default).")
  Path tokenFile;

  @Option(names = "--queue", defaultValue = "64", description = "Requests that may wait; one more is answered 429 (default ${DEFAULT-VALUE}).")
  int queue;

  @Option(names = "--max-batch", defaultValue = "32", description = "Most requests generated together (default ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--window-ms", defaultValue = "5", description = "How long a batch waits for more requests after its first (default ${DEFAULT-VALUE}).")
  int windowMs;

  @Option(names = "--timeout-s", defaultValue = "300", description = "Longest wait for one reply before 504 (default ${DEFAULT-VALUE}).")
  int timeoutS;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--follow-versions", paramLabel = "METHOD,...", split = ",",
      description = "Also serve every version announced on model-versions with one of these methods (e.g. dpo,feature-rl), "
          + "by version id, as they arrive; needs the broker and registry (endpoints.properties or the flags below).")
  Set<String> followVersions;

  @Option(names = "--plans", description = "Let requests name a steering plan (saerl.plan: {version} or {dataset}) from "
      + "steering-plans; needs the broker and registry.")
  boolean plans;

  @Mixin
  ConnectionOptions connection;

  @Override
  public Integer call() throws Exception {
    String token = null;
    if (tokenFile != null) {
      token = Files.readString(tokenFile).strip();
      if (token.isEmpty()) {
        throw new IllegalArgumentException("--token-file " + tokenFile + " is empty");
      }
    }
    OpenAiServer.Config config = new OpenAiServer.Config(host, port, token, queue, maxBatch, Duration.ofMillis(windowMs),
        Duration.ofSeconds(timeoutS));
    ModelPack loaded = ModelPack.load(pack);
    CountDownLatch stopped = new CountDownLatch(1);
    boolean follow = followVersions != null && !followVersions.isEmpty();
    SaerlConfig c = follow || plans ? connection.resolve() : null;
    try (HttpSchemaRegistry registry = c != null ? c.registry() : null;
         OpenAiServer server = OpenAiServer.start(loaded, threads, config)) {
      if (follow) {
        server.models().follow(c.kafkaClient(), new Topics(c.topicPrefix(), registry).get(TopicSpecs.MODEL_VERSIONS),
            followVersions, Duration.ofSeconds(2));
        System.out.println("following model versions with methods " + String.join(",", followVersions));
      }
      if (plans) {
        server.readPlans(c.kafkaClient(), new Topics(c.topicPrefix(), registry).get(TopicSpecs.STEERING_PLANS));
      }
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      System.out.printf("serving %s (model \"%s\") on %s at %s%s; Ctrl-C stops%n", loaded.name(), server.model(),
          OrtRuntime.provider(), server.url(), token == null ? "" : " (bearer token required)");
      stopped.await();
    }
    return 0;
  }
}
