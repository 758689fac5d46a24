package dev.saerl.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.saerl.finetune.TrainerCommand;
import dev.saerl.finetune.experiment.Experiment;
import dev.saerl.producers.ingest.Split;
import dev.saerl.workers.gates.ModeGates;
import dev.saerl.workers.pack.ModelPack;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "experiment", mixinStandardHelpOptions = true,
    description = {"The training comparison of ../shared/EXPERIMENT.md for STaR (SFT on the model's own correct samples of",
        "KNOWN-train) and steered STaR (the same, with the method's plan, found without labels on select A and validated",
        "on select B, added at the first answer token while sampling), and with --rpo RPO (DPO+NLL) on shared-prefix",
        "pairs: half the samples drawn with the plan and half without on the same streams, the correct one of a stream's",
        "two chosen against the other where they differ. Each arm keeps its own chain of versions from the pack over",
        "--rounds rounds, for each of --seeds seeds, at equal compute: STaR draws the same streams and then more until its",
        "generated tokens match the steered arm's (which, in round 1, include finding the plan); both train the same",
        "steps, RPO 8 pairs for 3/4 of them (the same trained FLOPs). Every version is scored on UNKNOWN (pass@1 over",
        "--eval-samples samples, the same streams for every version, and greedy) and on KNOWN-val; UNKNOWN only measures.",
        "Prints the table (compute as EXPERIMENT.md's FLOP proxy, paired signed-rank p against the base and against STaR)",
        "and writes it with --json. Splits are `saerl ingest`'s default, by group, one phrasing per group."})
public final class ExperimentCommand implements Callable<Integer> {
  @Option(names = "--pack", defaultValue = "models/modes", description = "The base pack (default ${DEFAULT-VALUE}).")
  Path pack;

  @Option(names = "--dataset", description = "JSONL with group_id, question, answer, solution; default datasets/<pack "
      + "directory name>.jsonl.")
  Path dataset;

  @Option(names = "--seeds", defaultValue = "3", description = "Seeds (training draws, plan discovery, trainer) (default ${DEFAULT-VALUE}).")
  int seeds;

  @Option(names = "--rounds", defaultValue = "3", description = "Rounds per arm and seed (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--samples", defaultValue = "8", description = "Samples per KNOWN-train problem and round of the steered "
      + "arm; STaR draws these and more to equal compute (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--eval-samples", defaultValue = "16", description = "Samples per UNKNOWN (and KNOWN-val) problem for "
      + "pass@1 (default ${DEFAULT-VALUE}).")
  int evalSamples;

  @Option(names = "--plan-samples", defaultValue = "8", description = "Natural samples per select A/B problem for finding "
      + "the plan (default ${DEFAULT-VALUE}).")
  int planSamples;

  @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature of training data and pass@1 "
      + "(default ${DEFAULT-VALUE}).")
  float temperature;

  @Option(names = "--trainer-steps", defaultValue = "100", description = "SFT steps per round and arm, batch "
      + Experiment.TRAINER_BATCH + " (default ${DEFAULT-VALUE}).")
  int trainerSteps;

  @Option(names = "--min-token-prob", defaultValue = "0", description = "Steered STaR trains only on correct steered "
      + "samples each of whose tokens has at least this probability under the unsteered parent (teacher-forced, counted as "
      + "generated compute); 0 keeps every correct sample (default ${DEFAULT-VALUE}).")
  double minTokenProb;

  @Option(names = "--rpo", description = "Also run the RPO arm (DPO+NLL on shared-prefix pairs; on models/modes it lost "
      + "to STaR at every round and adds about half the run time: docs/finetune.md).")
  boolean rpo;

  @Option(names = "--max-new-tokens", defaultValue = "120", description = "Generation budget per sample (default ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--work", description = "Where shards, trained packs and the trainer's log go; default "
      + "data/experiment/<pack directory name>.")
  Path work;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write {\"settings\", \"plans\", \"rows\": [...]} here.")
  Path json;

  @Override
  public Integer call() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", "."));
    Path file = dataset != null ? dataset : Path.of("datasets", pack.getFileName() + ".jsonl");
    Path dir = work != null ? work : Path.of("data", "experiment", pack.getFileName().toString());
    TrainerCommand trainer = TrainerCommand.foundry(root, trainerSteps);
    new Preflight().dataset(file).pack(pack, true).trainer(trainer, true).orFail();
    ModelPack base = ModelPack.load(pack);
    Experiment.Splits splits = splits(GatesCommand.problems(file));
    String name = file.getFileName().toString().replaceFirst("\\.jsonl$", "");
    long t0 = System.nanoTime();
    var settings = new Experiment.Settings(seeds, rounds, samples, evalSamples, planSamples, temperature, trainerSteps,
        maxNewTokens, 64, threads, 0x5EEDL, minTokenProb, rpo, dir);
    Experiment.Result result = new Experiment(settings, trainer, line ->
        System.err.printf(Locale.ROOT, "  [%5.1f min] %s%n", (System.nanoTime() - t0) / 6e10, line)).run(base, splits, name);
    System.out.println(table(result.rows()));
    if (json != null) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("pack", pack.toString());
      doc.put("dataset", file.toString());
      doc.put("settings", settings);
      doc.put("minutes", (System.nanoTime() - t0) / 6e10);
      doc.put("plans", result.plans());
      doc.put("rows", result.rows());
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
          .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
          .writeValue(json.toFile(), doc);
      System.out.println("experiment: written to " + json);
    }
    return 0;
  }

  /** By `saerl ingest`'s default split of each problem's group. */
  static Experiment.Splits splits(List<ModeGates.Problem> problems) {
    Map<dev.saerl.schemas.avro.Split, List<ModeGates.Problem>> by = new EnumMap<>(dev.saerl.schemas.avro.Split.class);
    for (dev.saerl.schemas.avro.Split s : dev.saerl.schemas.avro.Split.values()) {
      by.put(s, new ArrayList<>());
    }
    problems.forEach(p -> by.get(Split.DEFAULT.of(p.groupId())).add(p));
    return new Experiment.Splits(by.get(dev.saerl.schemas.avro.Split.KNOWN), by.get(dev.saerl.schemas.avro.Split.KNOWN_SELECT_A),
        by.get(dev.saerl.schemas.avro.Split.KNOWN_SELECT_B), by.get(dev.saerl.schemas.avro.Split.KNOWN_VAL),
        by.get(dev.saerl.schemas.avro.Split.UNKNOWN));
  }

  static String table(List<Experiment.Row> rows) {
    String format = "%-13s %-8s %5s %5s  %-22s %6s %6s %5s %5s %9s %9s %9s%n";
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, format, "arm", "kind", "round", "seed",
        "pass@1 UNKNOWN [95%]", "greedy", "val", "rows", "yield", "FLOPs", "p vs base", "p vs STaR"));
    for (Experiment.Row r : rows) {
      out.append(String.format(Locale.ROOT, format, r.arm(), r.kind(), r.round(), r.seed() == null ? "mean" : r.seed(),
          String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", r.passAt1(), r.ciLow(), r.ciHigh()),
          String.format(Locale.ROOT, "%.3f", r.greedy()), String.format(Locale.ROOT, "%.3f", r.knownValPassAt1()),
          r.shardRows() == null ? "" : r.shardRows(),
          r.trainingYield() == null ? "" : String.format(Locale.ROOT, "%.2f", r.trainingYield()),
          String.format(Locale.ROOT, "%.3g", r.computeFlops()), p(r.pVsBase()), p(r.pVsStar())));
    }
    return out.toString();
  }

  private static String p(Double p) {
    return p == null ? "" : String.format(Locale.ROOT, "%.2g", p);
  }
}
