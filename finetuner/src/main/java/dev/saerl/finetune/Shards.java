package dev.saerl.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.schemas.avro.Arm;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Split;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Training shards in the JSONL layouts TRL's trainers read: SFT {"prompt", "completion"} and DPO
 * {"prompt", "chosen", "rejected"}; prompts are the templated prompts, completions without the stop
 * string. Only KNOWN queries may reach a shard: a record of any other query is refused, naming it.
 */
public final class Shards {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The arms whose corrections train saerl's own arms: the steering plan's. */
  public static final Set<Arm> METHOD_ARMS = EnumSet.of(Arm.PLAN);
  /** The arms whose corrections train the resample baseline: no steering, only another draw. */
  public static final Set<Arm> RESAMPLE_ARMS = EnumSet.of(Arm.UNSTEERED, Arm.CRITICAL_MASKED);

  private Shards() {}

  /** The corrections of these arms only (provenance: a control arm's fixes never train a method's arm). */
  public static List<Correction> ofArms(List<Correction> corrections, Set<Arm> arms) {
    return corrections.stream().filter(c -> arms.contains(c.getArm())).toList();
  }

  /** DPO pairs from the fixed corrections (one per distinct chosen chain of a sample). Returns rows written. */
  public static int dpo(Path file, List<Correction> corrections, Map<String, Query> queries) {
    Set<String> seen = new LinkedHashSet<>();
    return write(file, corrections.stream().filter(Correction::getFixed)
        .filter(c -> seen.add(c.getSampleId() + "\n" + c.getChosen()))
        .map(c -> row(known(queries, c.getQueryId()), "prompt", c.getPrompt(), "chosen", c.getChosen(), "rejected", c.getRejected()))
        .toList());
  }

  /** SFT rows from the fixed corrections' chosen chains. */
  public static int sftOnCorrections(Path file, List<Correction> corrections, Map<String, Query> queries) {
    Set<String> seen = new LinkedHashSet<>();
    return write(file, corrections.stream().filter(Correction::getFixed)
        .filter(c -> seen.add(c.getSampleId() + "\n" + c.getChosen()))
        .map(c -> row(known(queries, c.getQueryId()), "prompt", c.getPrompt(), "completion", c.getChosen()))
        .toList());
  }

  /** STaR baseline: SFT rows from the model's own samples that verified (no features involved). */
  public static int starOnOwnCorrect(Path file, List<Generation> correctSamples, Map<String, Query> queries) {
    return write(file, correctSamples.stream()
        .map(g -> row(known(queries, g.getQueryId()), "prompt", g.getPrompt(), "completion", g.getCompletion()))
        .toList());
  }

  static Query known(Map<String, Query> queries, String queryId) {
    Query q = queries.get(queryId);
    if (q == null) {
      throw new IllegalArgumentException("query " + queryId + " is unknown: cannot tell its split, so it cannot train");
    }
    if (q.getSplit() != Split.KNOWN) {
      throw new IllegalArgumentException("query " + queryId + " is " + q.getSplit() + ": held-out queries never reach training");
    }
    return q;
  }

  private static Map<String, String> row(Query checked, String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static int write(Path file, List<Map<String, String>> rows) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      try (BufferedWriter w = Files.newBufferedWriter(file)) {
        for (Map<String, String> r : rows) {
          w.write(JSON.writeValueAsString(r));
          w.write('\n');
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write shard " + file, e);
    }
    return rows.size();
  }
}
