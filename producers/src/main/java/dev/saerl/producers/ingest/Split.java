package dev.saerl.producers.ingest;

import dev.saerl.core.ids.Sha256;
import dev.saerl.schemas.avro.SplitPin;

/**
 * The seeded split of EXPERIMENT.md, decided per group so every rephrasing of a question lands in
 * the same part: the first 8 bytes of SHA-256("seed:group_id"), read as an unsigned fraction u of
 * 2^64, fall into one interval of [0, 1): UNKNOWN below {@code unknownFraction}, then KNOWN_VAL,
 * KNOWN_SELECT_A and KNOWN_SELECT_B of the given shares (of all groups), and KNOWN (KNOWN-train) for
 * the rest. UNKNOWN is exactly what the two-way split gave, and the foundry applies the same rule.
 */
public record Split(long seed, double unknownFraction, double valFraction, double selectAFraction, double selectBFraction) {
  public static final Split DEFAULT = new Split(17, 0.3, 0.1, 0.1, 0.1);

  public Split {
    for (double f : new double[] {unknownFraction, valFraction, selectAFraction, selectBFraction}) {
      if (!(f >= 0 && f <= 1)) {
        throw new IllegalArgumentException("split fractions must be in [0, 1], got " + f);
      }
    }
    if (unknownFraction + valFraction + selectAFraction + selectBFraction > 1 + 1e-12) {
      throw new IllegalArgumentException("split fractions (unknown " + unknownFraction + ", val " + valFraction + ", select A "
          + selectAFraction + ", select B " + selectBFraction + ") add up to more than 1");
    }
  }

  /** The default shares of KNOWN-val and the select sets, with this seed and UNKNOWN share. */
  public Split(long seed, double unknownFraction) {
    this(seed, unknownFraction, DEFAULT.valFraction, DEFAULT.selectAFraction, DEFAULT.selectBFraction);
  }

  public dev.saerl.schemas.avro.Split of(String groupId) {
    byte[] h = Sha256.bytes(seed + ":" + groupId);
    long top = 0;
    for (int i = 0; i < 8; i++) {
      top = (top << 8) | (h[i] & 0xff);
    }
    double u = Long.compareUnsigned(top, 0) == 0 ? 0 : unsignedToDouble(top) / 0x1p64;
    double edge = unknownFraction;
    if (u < edge) {
      return dev.saerl.schemas.avro.Split.UNKNOWN;
    }
    if (u < (edge += valFraction)) {
      return dev.saerl.schemas.avro.Split.KNOWN_VAL;
    }
    if (u < (edge += selectAFraction)) {
      return dev.saerl.schemas.avro.Split.KNOWN_SELECT_A;
    }
    if (u < edge + selectBFraction) {
      return dev.saerl.schemas.avro.Split.KNOWN_SELECT_B;
    }
    return dev.saerl.schemas.avro.Split.KNOWN;
  }

  public SplitPin pin(String dataset, String file) {
    return SplitPin.newBuilder().setDataset(dataset).setSeed(seed).setUnknownFraction(unknownFraction)
        .setValFraction(valFraction).setSelectAFraction(selectAFraction).setSelectBFraction(selectBFraction)
        .setPinnedBy(file).build();
  }

  public static Split of(SplitPin pin) {
    return new Split(pin.getSeed(), pin.getUnknownFraction(), pin.getValFraction(), pin.getSelectAFraction(),
        pin.getSelectBFraction());
  }

  private static double unsignedToDouble(long v) {
    double d = (double) (v >>> 1) * 2.0;
    return d + (v & 1);
  }
}
