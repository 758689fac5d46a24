package dev.saerl.app.cli;

import dev.saerl.app.config.SaerlConfig;
import dev.saerl.finetune.TrainerCommand;
import dev.saerl.finetune.role.FinetuneRole;
import dev.saerl.finetune.role.RoundPolicy;
import dev.saerl.finetune.role.VersionLedger;
import dev.saerl.finetune.role.WeightArm;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.workers.pack.ModelPack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "finetune", mixinStandardHelpOptions = true,
    description = {"The finetune role for one dataset and one weight arm: reads corrections as a consumer group and keeps",
        "the eligible ones (plan arm, verified fixed, query in KNOWN-train; KNOWN-val, the select sets and UNKNOWN never",
        "train). Every --every eligible corrections it trains a candidate from the current version with the trainer",
        "command (DPO on the pairs, or SFT on the chosen chains), scores candidate and parent greedily on the dataset's",
        "KNOWN-val queries and accepts the candidate by a paired sign test. It publishes, in one transaction with the",
        "consumed offsets, the version <dataset>-<arm>-r<round> to model-versions (method <arm> when accepted: workers",
        "started with --follow-versions <arm> switch to it; <arm>-candidate when rejected), both KNOWN-val accuracies",
        "to evaluations (metric accuracy_known_val) and the candidate's UNKNOWN accuracy (metric accuracy), which",
        "decides nothing. The round to train next and its parent are read from model-versions at start, so a role",
        "stopped or killed mid-round trains that round again under the same id and never publishes a version twice.",
        "A failing or timed-out trainer stops the role with its exit code and the end of its stderr; nothing of that",
        "round is published. Runs until Ctrl-C. See docs/finetune.md."})
public final class FinetuneCommand implements Callable<Integer> {
  @Option(names = "--dataset", required = true, description = "The dataset whose corrections train (the name given to ingest).")
  String dataset;

  @Option(names = "--arm", defaultValue = "dpo", description = "dpo (pairs) or sft (chosen chains) (default: ${DEFAULT-VALUE}).")
  String arm;

  @Option(names = "--pack", defaultValue = "models/arith", description = "The base pack: the parent until a version is accepted (default: ${DEFAULT-VALUE}).")
  Path pack;

  @Option(names = "--every", defaultValue = "32", description = "Eligible corrections per round (default: ${DEFAULT-VALUE}).")
  int every;

  @Option(names = "--val-queries", defaultValue = "256", description = "KNOWN-val queries (the first by id) that judge each candidate (default: ${DEFAULT-VALUE}).")
  int valQueries;

  @Option(names = "--unknown-queries", defaultValue = "-1",
      description = "UNKNOWN queries (the first by id) on which each candidate's accuracy is measured and published, never used to decide; -1 all, 0 none (default: ${DEFAULT-VALUE}).")
  int unknownQueries;

  @Option(names = "--trainer-command", paramLabel = "TEMPLATE",
      description = "Weight trainer command with {pack} {shard} {mode} {out} {version} (default: the foundry's PyTorch trainer).")
  String trainerCommand;

  @Option(names = "--trainer-steps", defaultValue = "60", description = "Steps of the foundry trainer (default: ${DEFAULT-VALUE}).")
  int trainerSteps;

  @Option(names = "--trainer-timeout", defaultValue = "60", description = "Minutes a training may take before it is killed (default: ${DEFAULT-VALUE}).")
  long trainerTimeoutMinutes;

  @Option(names = "--max-new-tokens", defaultValue = "160", description = "Greedy budget of the KNOWN-val evaluation (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Mixin
  ConnectionOptions connection;

  @Override
  public Integer call() throws Exception {
    SaerlConfig config = connection.resolve();
    WeightArm weightArm = WeightArm.parse(arm);
    ModelPack.load(pack); // a bad base pack fails here, before any record is read
    Path root = Path.of(System.getProperty("saerl.repo.root", "."));
    TrainerCommand trainer = (trainerCommand == null ? TrainerCommand.foundry(root, trainerSteps)
        : TrainerCommand.parse(trainerCommand, root)).withTimeout(Duration.ofMinutes(trainerTimeoutMinutes));
    String id = config.topicPrefix() + "finetune-" + dataset + "-" + weightArm.method();
    var settings = new FinetuneRole.Settings(dataset, weightArm, new RoundPolicy(every), id, id, pack,
        config.dataDir().resolve("finetune"), trainer, valQueries, unknownQueries, maxNewTokens, threads);
    try (HttpSchemaRegistry registry = config.registry()) {
      FinetuneRole role = new FinetuneRole(config.kafkaClient(), new Topics(config.topicPrefix(), registry), settings);
      System.out.println("finetune " + dataset + "/" + weightArm.method() + ": a round every " + every
          + " eligible corrections, versions " + VersionLedger.versionId(dataset, weightArm, 1).replace("-r1", "-r<round>")
          + ", packs and shards under " + settings.workDir());
      runWithLargeStack(role);
    }
    return 0;
  }

  /**
   * Runs the role on a thread with a 64 MB stack. On the launcher's main thread (1 MB by default) the
   * KNOWN-val evaluation after a training died with SIGSEGV and no JVM error report, every time, in
   * a child JVM started as ./saerl starts it (FinetuneRoleTest's CLI test); with -Xss16m, or on
   * this thread, it does not. The cause inside the native runtime is not known yet.
   */
  private static void runWithLargeStack(FinetuneRole role) throws Exception {
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    Thread t = new Thread(null, () -> {
      try {
        Roles.runUntilShutdown(role);
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "finetune", 64L << 20);
    t.start();
    t.join();
    Throwable e = failure.get();
    if (e instanceof Exception x) {
      throw x;
    }
    if (e instanceof Error x) {
      throw x;
    }
  }
}
