package dev.saerl.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.saerl.producers.ingest.Split;
import dev.saerl.workers.gates.GateResult;
import dev.saerl.workers.gates.ModeGates;
import dev.saerl.workers.inference.OnnxGenerator;
import dev.saerl.workers.pack.ModelPack;
import dev.saerl.workers.sae.JavaSparseAutoencoder;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gates", mixinStandardHelpOptions = true,
    description = {"Runs the gates of ../shared/EXPERIMENT.md (G1 forced-mode gap, G2 decodability, G3 oracle, G4",
        "discovery, G5 plan steering, G6 invariants) directly on a pack of the mode organism, with no broker: they",
        "judge the model and the method, not the pipeline. One line per gate with its figure, its threshold and",
        "PASS/FAIL; --json writes the same with every figure behind it. With --null, the null twin is run too and held",
        "to the null behaviour (G1 gap under 5 points; the oracle flips the style but moves accuracy under 3 points; G4",
        "validates no feature in at most 5%% of --null-splits select A/B splits), beside the positive pack on a machine",
        "with two or more cores. Then T1, test-time steering on held-out problems, reported and not gated. Exit status 1",
        "if any gate fails."})
public final class GatesCommand implements Callable<Integer> {
  @Option(names = "--pack", defaultValue = "models/modes", description = "The positive-control pack (default ${DEFAULT-VALUE}).")
  Path pack;

  @Option(names = "--null", paramLabel = "PACK", description = "The null twin, e.g. models/modes-null.")
  Path nullPack;

  @Option(names = "--dataset", description = "The pack's dataset (JSONL with group_id, question, answer, solution); "
      + "default datasets/<pack directory name>.jsonl.")
  Path dataset;

  @Option(names = "--null-dataset", description = "The null twin's dataset; default datasets/<its directory name>.jsonl.")
  Path nullDataset;

  @Option(names = "--queries", defaultValue = "120", description = "Problems used, one phrasing each, alternating between "
      + "a fit half and an eval half (default ${DEFAULT-VALUE}).")
  int queries;

  @Option(names = "--samples", defaultValue = "8", description = "Samples per problem and arm (default ${DEFAULT-VALUE}).")
  int samples;

  @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature: 1.0 samples the mode mixture "
      + "the organism was trained on (default ${DEFAULT-VALUE}).")
  float temperature;

  @Option(names = "--seed", defaultValue = "7", description = "Base seed of every random stream (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--critical", defaultValue = "30", description = "Wrong samples given to the critical-token finder (default ${DEFAULT-VALUE}).")
  int critical;

  @Option(names = "--max-new-tokens", defaultValue = "120", description = "Generation budget per sample (default ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--offset", defaultValue = "0", description = "First problem used, in dataset order (one phrasing "
      + "each): another block of --queries problems replicates a run on problems it never looked at (default ${DEFAULT-VALUE}).")
  int offset;

  @Option(names = "--null-splits", defaultValue = "10", description = "Random select A/B splits G4 repeats discovery "
      + "over on the null twin, for its false-positive rate (default ${DEFAULT-VALUE}).")
  int nullSplits;

  @Option(names = "--test-time-samples", defaultValue = "16", description = "Samples per problem of T1, test-time "
      + "steering (reported, not gated): the plan and the oracle at the first answer token against unsteered, pass@1 on "
      + "the dataset's UNKNOWN problems (the default split of `saerl ingest`) outside the block; 0 skips it (default ${DEFAULT-VALUE}).")
  int testTimeSamples;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write {\"gates\": [...]} (and \"null\": {...} with --null) here.")
  Path json;

  @Option(names = "--sequential", description = "Run the null twin after the positive pack, not beside it (by default the "
      + "two run at once when the machine has two or more cores; the figures are the same either way).")
  boolean sequential;

  @Override
  public Integer call() throws Exception {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("settings", Map.of("queries", queries, "samples", samples, "temperature", temperature, "seed", seed,
        "critical", critical, "max_new_tokens", maxNewTokens));
    boolean beside = nullPack != null && !sequential && Runtime.getRuntime().availableProcessors() >= 2;
    ExecutorService pool = Executors.newFixedThreadPool(beside ? 2 : 1, r -> { // daemon: a failed pack ends the command
      Thread t = new Thread(r, "gates");
      t.setDaemon(true);
      return t;
    });
    try {
      Future<Run> positive = pool.submit(() -> run(pack, dataset, false, beside));
      Future<Run> twin = nullPack == null ? null : pool.submit(() -> run(nullPack, nullDataset, true, beside));
      List<GateResult> main = result(positive).print();
      doc.put("pack", pack.toString());
      doc.put("gates", main);
      boolean ok = main.stream().noneMatch(g -> Boolean.FALSE.equals(g.pass()));
      if (twin != null) {
        List<GateResult> gates = result(twin).print();
        doc.put("null", Map.of("pack", nullPack.toString(), "gates", gates));
        ok &= gates.stream().noneMatch(g -> Boolean.FALSE.equals(g.pass()));
      }
      if (json != null) {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), doc);
        System.out.println("gates: written to " + json);
      }
      System.out.println(ok ? "gates: all run gates pass" : "gates: a gate FAILED");
      return ok ? 0 : 1;
    } finally {
      pool.shutdownNow();
    }
  }

  /** One pack's gates and the lines that report them (printed in pack order, whichever finished first). */
  private record Run(List<GateResult> gates, String report) {
    List<GateResult> print() {
      System.out.print(report);
      return gates;
    }
  }

  private static Run result(Future<Run> f) throws Exception {
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }

  /** {@code tagged}: progress lines name the pack, as two packs run at once. */
  private Run run(Path dir, Path data, boolean isNull, boolean tagged) throws IOException {
    Path file = data != null ? data : Path.of("datasets", dir.getFileName() + ".jsonl");
    List<ModeGates.Problem> problems = problems(file);
    ModelPack p = ModelPack.load(dir);
    StringBuilder out = new StringBuilder(String.format("%s pack %s (%s), dataset %s: %d problems, %d used, %d samples each,"
        + " T=%.2f%n", isNull ? "null" : "positive", dir, p.version(), file, problems.size(), Math.min(queries, problems.size()),
        samples, temperature));
    String tag = tagged ? (isNull ? "null " : "positive ") : "";
    long t0 = System.nanoTime();
    try (OnnxGenerator generator = new OnnxGenerator(p, threads)) {
      var settings = new ModeGates.Settings(queries, samples, temperature, seed, critical, maxNewTokens, 64, isNull, nullSplits,
          offset, testTimeSamples);
      List<GateResult> gates = new ModeGates(generator, new JavaSparseAutoencoder(p), settings,
          stage -> System.err.printf("  %s[%5.1f s] %s%n", tag, (System.nanoTime() - t0) / 1e9, stage))
          .run(problems, heldOut(problems, offset, queries));
      gates.forEach(g -> out.append("  ").append(g.line()).append(System.lineSeparator()));
      out.append(String.format("  (%.1f s)%n", (System.nanoTime() - t0) / 1e9));
      return new Run(gates, out.toString());
    }
  }

  /** The problems outside the block [offset, offset + queries) that `saerl ingest`'s default split puts in UNKNOWN. */
  static List<ModeGates.Problem> heldOut(List<ModeGates.Problem> problems, int offset, int queries) {
    List<ModeGates.Problem> out = new ArrayList<>();
    for (int i = 0; i < problems.size(); i++) {
      boolean inBlock = i >= offset && i < offset + queries;
      if (!inBlock && Split.DEFAULT.of(problems.get(i).groupId()) == dev.saerl.schemas.avro.Split.UNKNOWN) {
        out.add(problems.get(i));
      }
    }
    return out;
  }

  /** One phrasing per group (they rotate with the group's place), so no problem sits in both halves. */
  static List<ModeGates.Problem> problems(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("dataset " + file + " does not exist");
    }
    ObjectMapper mapper = new ObjectMapper();
    Map<String, List<ModeGates.Problem>> byGroup = new LinkedHashMap<>();
    try (BufferedReader r = Files.newBufferedReader(file)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode row;
        try {
          row = mapper.readTree(line);
        } catch (IOException e) {
          throw new IOException(file + " line " + n + ": not JSON: " + e.getMessage(), e);
        }
        for (String field : List.of("group_id", "question", "answer", "solution")) {
          if (!row.path(field).isTextual()) {
            throw new IOException(file + " line " + n + ": field " + field + " is missing or not a string");
          }
        }
        byGroup.computeIfAbsent(row.get("group_id").asText(), k -> new ArrayList<>()).add(new ModeGates.Problem(
            row.get("group_id").asText(), row.get("question").asText(), row.get("answer").asText(), row.get("solution").asText()));
      }
    }
    List<ModeGates.Problem> out = new ArrayList<>();
    int g = 0;
    for (List<ModeGates.Problem> phrasings : byGroup.values()) {
      out.add(phrasings.get(g++ % phrasings.size()));
    }
    return out;
  }
}
