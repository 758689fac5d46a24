package dev.saerl.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher on a built layout (a jar, no sources) with stubs for java, id, dpkg, apt-get and
 * the trainer's Python: what it installs, when it stops, and that it starts nothing before.
 */
class LauncherTest {
  @TempDir
  Path dir;
  private Path layout;
  private Path state;
  private Path stubs;

  private record Run(int code, String out, String err) {}

  private void stub(Path at, String body) throws Exception {
    Files.createDirectories(at.getParent());
    Files.writeString(at, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(at, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @BeforeEach
  void layout() throws Exception {
    Path root = Path.of(System.getProperty("saerl.repo.root", ".."));
    layout = dir.resolve("opt/saerl");
    Files.createDirectories(layout.resolve("app/target"));
    Files.createDirectories(layout.resolve(".ci"));
    Files.copy(root.resolve("saerl"), layout.resolve("saerl"), StandardCopyOption.COPY_ATTRIBUTES);
    Files.copy(root.resolve(".ci/packages"), layout.resolve(".ci/packages"));
    Files.writeString(layout.resolve("app/target/saerl.jar"), "");
    state = Files.createDirectories(dir.resolve("state/installed"));
    stubs = dir.resolve("bin");
    stub(dir.resolve("jdk/bin/java"), """
        if [ "$1" = -XshowSettings:properties ]; then echo "    java.specification.version = ${FAKE_JAVA:-25}" >&2; exit 0; fi
        echo "RAN $*\"""");
    stub(stubs.resolve("id"), "echo ${FAKE_UID:-1000}");
    stub(stubs.resolve("dpkg"), "[ -e \"" + state + "/$2\" ]");
    stub(stubs.resolve("apt-get"), "echo \"$*\" >> \"" + state + "/../apt.log\"\n"
        + "if [ \"$1\" = install ]; then for p in \"$@\"; do touch \"" + state + "/$p\"; done; fi");
    stub(stubs.resolve("python3"), "[ -e \"" + state + "/python3-torch\" ] || { echo \"ModuleNotFoundError: No module named 'torch'\" >&2; exit 1; }");
  }

  private Run saerl(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("/bin/bash", layout.resolve("saerl").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(layout.toFile())
        .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
    pb.environment().put("PATH", stubs + ":/usr/bin:/bin");
    pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
    pb.environment().put("SAERL_TRAINER_PYTHON", stubs.resolve("python3").toString());
    pb.environment().remove("SAERL_NO_INSTALL");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher timed out");
    return new Run(p.exitValue(), Files.readString(dir.resolve("out")), Files.readString(dir.resolve("err")));
  }

  private String aptLog() throws Exception {
    Path log = state.resolveSibling("apt.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Test
  void withoutRootAMissingTorchStopsTheDemoAtOnceWithTheCommandToRun() throws Exception {
    Run r = saerl(Map.of(), "demo");
    assertEquals(1, r.code(), r.err());
    assertFalse(r.out().contains("RAN"), "nothing started: " + r.out());
    assertTrue(r.err().contains("missing python3-torch: the foundry's PyTorch weight trainer"), r.err());
    assertTrue(r.err().contains("sudo apt-get install -y ") && r.err().contains("python3-torch")
        && r.err().contains("chromium"), r.err());
    assertEquals("", aptLog());
  }

  @Test
  void asRootWithAptItInstallsEveryMissingPackageSayingWhyThenRuns() throws Exception {
    Run r = saerl(Map.of("FAKE_UID", "0"), "demo", "--rounds", "1");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("RAN ") && r.out().trim().endsWith("-jar " + layout.resolve("app/target/saerl.jar") + " demo --rounds 1"),
        r.out());
    String apt = aptLog();
    assertTrue(apt.contains("update -qq"), apt);
    assertTrue(apt.contains("install -y -qq maven python3-torch python3-numpy python3-onnx libopenblas0-openmp chromium"), apt);
    assertTrue(r.err().contains("  chromium: renders the statistics page"), r.err());
  }

  @Test
  void javaOlderThan21IsRefusedBeforeAnythingElse() throws Exception {
    Run r = saerl(Map.of("FAKE_JAVA", "17", "FAKE_UID", "0"), "demo");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("is Java 17; saerl needs 21 or newer"), r.err());
    assertEquals("", aptLog());
  }

  @Test
  void anotherTrainerOrAnotherCommandDoesNotNeedTorch() throws Exception {
    for (String[] args : List.of(new String[] {"demo", "--trainer-command", "/opt/train.sh {pack}"}, new String[] {"verify", "x.jsonl"},
        new String[] {"demo", "--help"})) {
      Run r = saerl(Map.of(), args);
      assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
      assertTrue(r.out().contains("RAN"), r.out());
    }
  }

  @Test
  void asRootHelpOrNoCommandInstallsNothing() throws Exception {
    for (String[] args : List.of(new String[] {}, new String[] {"--help"}, new String[] {"demo", "--help"})) {
      Run r = saerl(Map.of("FAKE_UID", "0"), args);
      assertEquals(0, r.code(), r.err());
      assertEquals("", aptLog(), String.join(" ", args));
    }
  }

  @Test
  void theBuiltLayoutRunsItsJarWithoutMaven() throws Exception {
    Run r = saerl(Map.of("SAERL_NO_INSTALL", "1"), "up");
    assertEquals(0, r.code(), r.err());
    assertFalse(r.err().contains("building"), r.err());
    assertTrue(r.out().contains("-Dsaerl.repo.root=" + layout), r.out());
  }
}
