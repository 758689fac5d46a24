package dev.saerl.finetune.role;

import dev.saerl.finetune.Shards;
import dev.saerl.schemas.avro.Correction;
import dev.saerl.schemas.avro.Query;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A weight-training arm of the role on plan-arm corrections: DPO on (rejected, chosen) pairs, or
 * SFT on the chosen chains. Its name is the method of the versions it publishes.
 */
public enum WeightArm {
  DPO("dpo"),
  SFT("sft");

  private final String mode;

  WeightArm(String mode) {
    this.mode = mode;
  }

  /** The method name on model-versions (what workers follow) and the trainer's {mode}. */
  public String method() {
    return name().toLowerCase(Locale.ROOT);
  }

  public String trainerMode() {
    return mode;
  }

  /** Writes the shard; {@link Shards} refuses (throws) a correction of a query that is not KNOWN. Returns rows written. */
  public int writeShard(Path file, List<Correction> corrections, Map<String, Query> queries) {
    return this == DPO ? Shards.dpo(file, corrections, queries) : Shards.sftOnCorrections(file, corrections, queries);
  }

  public static WeightArm parse(String name) {
    for (WeightArm a : values()) {
      if (a.method().equals(name.toLowerCase(Locale.ROOT))) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown arm '" + name + "': the role trains dpo or sft");
  }
}
