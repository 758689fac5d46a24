package dev.saerl.app.cli;

import dev.saerl.app.serve.OpenAiServer;
import dev.saerl.workers.inference.OrtRuntime;
import dev.saerl.workers.pack.ModelPack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Serves a model pack behind an OpenAI-compatible API (GET /v1/models, POST /v1/completions and",
        "/v1/chat/completions, streaming as server-sent events), with saerl's variants: feature edits at the hook",
        "layer (nudge or pin) and the reply's SAE features, in the request's \"saerl\" field. Concurrent requests run",
        "in one batch; a full queue answers 429. Runs until stopped. docs/serve.md."})
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

  @Override
  public Integer call() throws IOException, InterruptedException {
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
    try (OpenAiServer server = OpenAiServer.start(loaded, threads, config)) {
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown));
      System.out.printf("serving %s (model \"%s\") on %s at %s%s; Ctrl-C stops%n", loaded.name(), server.model(),
          OrtRuntime.provider(), server.url(), token == null ? "" : " (bearer token required)");
      stopped.await();
    }
    return 0;
  }
}
