package dev.saerl.app.cli;

import dev.saerl.app.config.SaerlConfig;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.correct.AdaptiveCriticalSearch;
import dev.saerl.workers.correct.Corrector;
import dev.saerl.workers.correct.CorrectorWorker;
import dev.saerl.workers.correct.CriticalSearch;
import dev.saerl.workers.correct.GroupAverages;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.OnnxSparseAutoencoder;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "corrector", mixinStandardHelpOptions = true,
    description = {"The corrector role: reads generations, and for each incorrect sample of a KNOWN query finds the critical",
        "step and token with sampled rollouts, then regenerates from just before that token with the dataset's steering",
        "plan added to the hook-layer residual (a sweep of strengths), plus control arms (random direction of the same",
        "norm, sign-flipped plan, unsteered) and a conditional arm; every attempt is verified and published to",
        "corrections (fixed or not), transactionally with the consumed offsets. Waits for a dataset's first plan.",
        "Runs until Ctrl-C. See docs/corrections.md."})
public final class CorrectorCommand implements Callable<Integer> {
  @Option(names = "--pack", defaultValue = "models/arith", description = "Model pack directory (default: ${DEFAULT-VALUE}).")
  Path pack;

  @Option(names = "--critical-search", defaultValue = "grid",
      description = "How the critical step and token are found: grid (rollouts from every step prefix, then from evenly "
          + "spaced token prefixes), adaptive (a scan of the step prefixes and a bisection of the critical step's token prefixes, with sequential rollouts), or checked (the first wrong step by "
          + "exact checking of a op b = c steps where the chain has them, then adaptive); see docs/corrections.md "
          + "(default: ${DEFAULT-VALUE}).")
  String criticalSearch;

  @Option(names = "--step-rollouts", defaultValue = "4", description = "grid: rollouts per step prefix (default: ${DEFAULT-VALUE}).")
  int stepRollouts;

  @Option(names = "--token-rollouts", defaultValue = "2", description = "grid: rollouts per token prefix inside the critical step (default: ${DEFAULT-VALUE}).")
  int tokenRollouts;

  @Option(names = "--token-positions", defaultValue = "6", description = "grid: most token positions searched in the critical step (default: ${DEFAULT-VALUE}).")
  int tokenPositions;

  @Option(names = "--round-rollouts", defaultValue = "1", description = "adaptive, checked: rollouts drawn at a time at one prefix (default: ${DEFAULT-VALUE}).")
  int roundRollouts;

  @Option(names = "--max-failures", defaultValue = "8",
      description = "adaptive, checked: the most failed rollouts, without a success, before a prefix is called dead (default: ${DEFAULT-VALUE}).")
  int maxFailures;

  @Option(names = "--miss-rate", defaultValue = "0.2",
      description = "adaptive, checked: how likely a prefix still at the success rate before it may fail every rollout "
          + "drawn before it is called dead (default: ${DEFAULT-VALUE}).")
  double missRate;

  @Option(names = "--strengths", defaultValue = "0.1,0.25,0.5", split = ",", description = "Multipliers of the plan's coefficients (default: ${DEFAULT-VALUE}).")
  List<Float> strengths;

  @Option(names = "--window", defaultValue = "0",
      description = "Tokens steered from the critical token: 0 = to the end of the critical step, -1 = to the end (default: ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--control-share", defaultValue = "1.0", description = "Share of samples that also get the control arms (default: ${DEFAULT-VALUE}).")
  double controlShare;

  @Option(names = "--no-conditional", description = "Do not run the conditional arm.")
  boolean noConditional;

  @Option(names = "--temperature", defaultValue = "0.7", description = "Sampling temperature of rollouts and regenerations (default: ${DEFAULT-VALUE}).")
  float temperature;

  @Option(names = "--max-new-tokens", defaultValue = "160", description = "Completion budget, prefix included (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--seed", defaultValue = "5", description = "Base seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--samples-per-batch", defaultValue = "4", description = "Generations read per transaction (default: ${DEFAULT-VALUE}).")
  int samplesPerBatch;

  @Option(names = "--instance", defaultValue = "0", description = "This corrector's instance id (its transactional id).")
  String instance;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Mixin
  ConnectionOptions connection;

  @Override
  public Integer call() throws Exception {
    var search = new CriticalSearch.Settings(CriticalSearch.Method.named(criticalSearch),
        new CriticalSearch.Budget(stepRollouts, tokenRollouts, tokenPositions), new AdaptiveCriticalSearch.Budget(roundRollouts, maxFailures, missRate));
    SaerlConfig config = connection.resolve();
    ModelPack modelPack = ModelPack.load(pack);
    var settings = new Corrector.Settings(search, temperature,
        1f, maxNewTokens, strengths, window, controlShare, !noConditional, seed, 32);
    try (HttpSchemaRegistry registry = config.registry();
         OnnxGenerator generator = new OnnxGenerator(modelPack, threads);
         OnnxSparseAutoencoder sae = new OnnxSparseAutoencoder(modelPack, threads)) {
      CorrectorWorker worker = new CorrectorWorker(config.kafkaClient(), new Topics(config.topicPrefix(), registry),
          new Corrector(generator, sae, settings), new GroupAverages(8),
          new CorrectorWorker.Settings(config.topicPrefix() + "corrector", config.topicPrefix() + "corrector-" + instance,
              samplesPerBatch));
      System.out.println("corrector " + instance + ": model " + modelPack.version() + ", critical search "
          + search.method().name().toLowerCase(Locale.ROOT) + ", strengths " + strengths
          + ", control share " + controlShare);
      Roles.runUntilShutdown(worker);
    }
    return 0;
  }
}
