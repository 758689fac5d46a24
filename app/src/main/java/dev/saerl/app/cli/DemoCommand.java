package dev.saerl.app.cli;

import dev.saerl.app.demo.Demo;
import dev.saerl.finetune.TrainerCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"The whole loop in one process on the bundled model and dataset: starts an embedded broker and",
        "registry, ingests the dataset, then runs R rounds of generate, learn features, correct, finetune (feature-space",
        "RL adapter; DPO on the corrections) and evaluate on the UNKNOWN queries, next to the STaR and random-direction",
        "baselines. Prints a table and writes <data-dir>/report.html and the full log <data-dir>/saerl.log. The default",
        "size takes about 8 minutes on 2 cores. Everything it needs (dataset, pack, trainer) is checked before it starts."})
public final class DemoCommand implements Callable<Integer> {
  private static final String MARKER = ".saerl-demo";

  @Option(names = "--data-dir", defaultValue = "data/demo", description = "Where the run lives; a previous demo there is replaced (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--pack", defaultValue = "models/arith", description = "Starting model pack (default: ${DEFAULT-VALUE}).")
  Path pack;

  @Option(names = "--dataset", defaultValue = "datasets/arith.jsonl", description = "Dataset (default: ${DEFAULT-VALUE}).")
  Path dataset;

  @Option(names = "--queries", defaultValue = "1200", description = "Rows of the dataset used (default: ${DEFAULT-VALUE}).")
  int queries;

  @Option(names = "--rounds", defaultValue = "2", description = "Loop rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--samples", defaultValue = "4", description = "Samples per query and round (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--corrections", defaultValue = "100", description = "Incorrect samples corrected per round (default: ${DEFAULT-VALUE}).")
  int corrections;

  @Option(names = "--rl-evaluations", defaultValue = "24", description = "Objective evaluations of the feature-space RL per round (default: ${DEFAULT-VALUE}).")
  int rlEvaluations;

  @Option(names = "--trainer-steps", defaultValue = "60", description = "Steps of each weight training (DPO, STaR) (default: ${DEFAULT-VALUE}).")
  int trainerSteps;

  @Option(names = "--validation-queries", defaultValue = "64", description = "KNOWN queries for the RL objective, and as many held out for acceptance (default: ${DEFAULT-VALUE}).")
  int validationQueries;

  @Option(names = "--strengths", defaultValue = "0.1,0.25", split = ",", description = "Steering strengths of the corrector (default: ${DEFAULT-VALUE}).")
  List<Float> strengths;

  @Option(names = "--trainer-command", paramLabel = "TEMPLATE",
      description = "Weight trainer command with {pack} {shard} {mode} {out} {version} (default: the foundry's PyTorch trainer).")
  String trainerCommand;

  @Option(names = "--test-time-samples", defaultValue = "16", description = "Samples per UNKNOWN query of the test-time "
      + "steering row (the first round's plan from the first answer token against unsteered, pass@1, same streams); 0 skips "
      + "it (default: ${DEFAULT-VALUE}).")
  int testTimeSamples;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the table here as {\"pack\", \"dataset\", "
      + "\"rows\": [...]}, the rows of saerl experiment's JSON (greedy accuracy; pass_at_1 and compute_flops null: the demo "
      + "scores greedy and counts no compute) (default: none).")
  Path json;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--examiner-url", paramLabel = "URL",
      description = "At the end, label the top five features with this OpenAI-compatible examiner (e.g. saerl serve's http://127.0.0.1:8000/v1), shown with their detection scores in the report (default: none; docs/examiner.md).")
  java.net.URI examinerUrl;

  @Override
  public Integer call() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", "."));
    boolean foundry = trainerCommand == null;
    TrainerCommand trainer = foundry ? TrainerCommand.foundry(root, trainerSteps) : TrainerCommand.parse(trainerCommand, root);
    // everything checked before the previous demo is deleted
    new Preflight().dataset(dataset).pack(pack, foundry).trainer(trainer, foundry).orFail();
    prepare(dataDir);
    Path log = LogFile.start(dataDir.resolve("saerl.log"));
    Demo demo = new Demo(new Demo.Settings(dataDir, pack, dataset, queries, rounds, samples, corrections, rlEvaluations,
        trainerSteps, validationQueries, strengths, threads, trainer, examinerUrl, testTimeSamples,
        json == null ? null : json.toAbsolutePath()), System.out);
    try {
      demo.run();
    } catch (Exception | Error e) {
      System.out.flush();
      System.err.println("saerl demo: stopped; the full log is " + log);
      throw e;
    }
    System.out.println("full log: " + log);
    return 0;
  }

  /** A fresh data dir: replaces a previous demo's, refuses a non-empty directory that is not one. */
  static void prepare(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        boolean empty = s.findAny().isEmpty();
        if (!empty && !Files.exists(dir.resolve(MARKER))) {
          throw new IllegalArgumentException(dir + " is not empty and holds no previous demo: choose another --data-dir");
        }
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(MARKER), "a saerl demo run; `saerl demo` replaces this directory\n");
  }
}
