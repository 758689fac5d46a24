package dev.saerl.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Where the committed bundled model pack is, and the foundry beside it, for tests. */
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

  /** Runs {@code python3 -m MODULE --out OUT} in tools/foundry (Debian's python3-torch) and fails the test if it fails. */
  public static void runFoundry(String module, Path out) throws Exception {
    runPython(module, "-m", module, "--out", out.toString());
  }

  /** Runs /usr/bin/python3 with {@code args} in tools/foundry, failing with its output unless it exits 0 within 300 s. */
  public static void runPython(String module, String... args) throws Exception {
    Path foundry = dir().resolveSibling("../tools/foundry").normalize();
    // output to a file, not a pipe read before waitFor: a read would block past the timeout
    Path logFile = java.nio.file.Files.createTempFile("foundry-", ".log");
    List<String> command = new java.util.ArrayList<>(List.of("/usr/bin/python3"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command)
        .directory(foundry.toFile()).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
    boolean finished = p.waitFor(300, TimeUnit.SECONDS);
    if (!finished) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor();
    }
    String log = java.nio.file.Files.readString(logFile, StandardCharsets.UTF_8);
    java.nio.file.Files.delete(logFile);
    assertTrue(finished, module + " timed out after 300 s; its output:\n" + log);
    assertEquals(0, p.exitValue(), log);
  }
}
