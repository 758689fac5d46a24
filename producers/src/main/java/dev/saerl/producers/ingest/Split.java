package dev.saerl.producers.ingest;

import dev.saerl.core.ids.Sha256;

/**
 * The seeded KNOWN/UNKNOWN split, decided per group so every rephrasing of a question lands on the
 * same side: UNKNOWN when the first 8 bytes of SHA-256("seed:group_id"), read as an unsigned
 * fraction of 2^64, fall below {@code unknownFraction}. The foundry applies the same rule.
 */
public record Split(long seed, double unknownFraction) {
  public static final Split DEFAULT = new Split(17, 0.3);

  public Split {
    if (!(unknownFraction >= 0 && unknownFraction <= 1)) {
      throw new IllegalArgumentException("unknown fraction must be in [0, 1], got " + unknownFraction);
    }
  }

  public dev.saerl.schemas.avro.Split of(String groupId) {
    byte[] h = Sha256.bytes(seed + ":" + groupId);
    long top = 0;
    for (int i = 0; i < 8; i++) {
      top = (top << 8) | (h[i] & 0xff);
    }
    double fraction = Long.compareUnsigned(top, 0) == 0 ? 0 : unsignedToDouble(top) / 0x1p64;
    return fraction < unknownFraction ? dev.saerl.schemas.avro.Split.UNKNOWN : dev.saerl.schemas.avro.Split.KNOWN;
  }

  private static double unsignedToDouble(long v) {
    double d = (double) (v >>> 1) * 2.0;
    return d + (v & 1);
  }
}
