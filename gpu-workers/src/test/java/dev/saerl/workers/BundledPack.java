package dev.saerl.workers;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the committed bundled model pack is, for tests. */
public final class BundledPack {
  private BundledPack() {}

  public static Path dir() {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    for (Path p : new Path[] {root.resolve("models/arith"), Path.of("models/arith"), Path.of("../models/arith")}) {
      if (Files.isRegularFile(p.resolve("manifest.json"))) {
        return p;
      }
    }
    throw new IllegalStateException("bundled model pack models/arith not found from " + root.toAbsolutePath());
  }
}
