package dev.saerl.app.cli;

import dev.saerl.app.config.SaerlConfig;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.generate.GeneratorWorker;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "worker", mixinStandardHelpOptions = true,
    description = {"The generator role: consumes queries, generates N chain-of-thought samples per query with the model pack,",
        "splits them into steps, encodes the hook-layer residuals with the SAE and publishes generations and",
        "sample-features transactionally with the consumed offsets (exactly once). Runs until Ctrl-C.",
        "Add workers up to the queries topic's partition count; give each its own --instance."})
public final class WorkerCommand implements Callable<Integer> {
  @Option(names = "--pack", defaultValue = "models/arith", description = "Model pack directory (default: ${DEFAULT-VALUE}).")
  Path pack;

  @Option(names = "--samples", defaultValue = "4", description = "Samples per query (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--temperature", defaultValue = "0.7", description = "Sampling temperature, 0 = greedy (default: ${DEFAULT-VALUE}).")
  float temperature;

  @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
  float topP;

  @Option(names = "--seed", defaultValue = "1", description = "Base seed; each sample's seed derives from it, the query id and the sample index.")
  long seed;

  @Option(names = "--max-new-tokens", defaultValue = "160", description = "Generation budget per sample (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--queries-per-batch", defaultValue = "8", description = "Queries generated together (default: ${DEFAULT-VALUE}).")
  int queriesPerBatch;

  @Option(names = "--features-per-step", defaultValue = "16", description = "Top-k SAE features kept per step (default: ${DEFAULT-VALUE}).")
  int featuresPerStep;

  @Option(names = "--instance", defaultValue = "0", description = "This worker's instance id (its transactional id).")
  String instance;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--follow-versions", paramLabel = "METHOD,...", split = ",",
      description = "Switch between batches to the newest version announced on model-versions with one of these methods (e.g. feature-rl,dpo).")
  java.util.Set<String> followVersions;

  @Mixin
  ConnectionOptions connection;

  @Override
  public Integer call() throws Exception {
    SaerlConfig config = connection.resolve();
    ModelPack modelPack = ModelPack.load(pack);
    var settings = new GeneratorWorker.Settings(samples, temperature, topP, seed, maxNewTokens, queriesPerBatch,
        featuresPerStep, config.topicPrefix() + "worker", config.topicPrefix() + "worker-" + instance);
    try (HttpSchemaRegistry registry = config.registry();
         OnnxGenerator generator = new OnnxGenerator(modelPack, threads);
         OnnxSparseAutoencoder sae = new OnnxSparseAutoencoder(modelPack, threads)) {
      GeneratorWorker worker = new GeneratorWorker(config.kafkaClient(), new Topics(config.topicPrefix(), registry), generator, sae, settings);
      if (followVersions != null && !followVersions.isEmpty()) {
        worker.followVersions(followVersions, threads);
      }
      System.out.println("worker " + instance + ": model " + modelPack.version() + ", " + samples + " samples/query, T=" + temperature);
      Roles.runUntilShutdown(worker);
    }
    return 0;
  }
}
