package dev.saerl.app.embedded;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Starts a saerl command in a child JVM: this JVM's java and class path, run through
 * {@link ParentWatchdog} so the child exits when this JVM dies, even by SIGKILL. A class path longer
 * than a few thousand characters makes the native libraries crash the JVM (docs/model-pack.md), so a
 * long one (a test's) is passed as a manifest-only jar, as surefire does for its own JVMs.
 */
public final class ChildJvm {
  private static final int LONGEST_CLASS_PATH = 2000;

  private ChildJvm() {}

  /**
   * Starts {@code dev.saerl.app.cli.Main args...} with {@code jvmOptions}, stdout and stderr appended to
   * {@code log}; {@code scratch} holds the manifest-only jar when one is needed.
   */
  public static Process start(List<String> jvmOptions, List<String> args, Path log, Path scratch) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", classPath(scratch), ParentWatchdog.class.getName(),
        Long.toString(ProcessHandle.current().pid()), "dev.saerl.app.cli.Main"));
    cmd.addAll(args);
    try {
      Files.createDirectories(log.toAbsolutePath().getParent());
      return new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", args) + " in a child JVM", e);
    }
  }

  /**
   * Waits up to {@code grace} for a process already asked to stop ({@link Process#destroy}), then kills it
   * (SIGKILL) and waits for that too; an interrupt kills it at once and keeps the interrupt flag.
   */
  public static void awaitStop(Process p, java.time.Duration grace) {
    try {
      if (!p.waitFor(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** This JVM's class path, absolute; a long one as a manifest-only jar in {@code scratch}. */
  static synchronized String classPath(Path scratch) {
    List<String> entries = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!e.isBlank()) {
        entries.add(Path.of(e).toAbsolutePath().toString());
      }
    }
    String joined = String.join(File.pathSeparator, entries);
    if (joined.length() <= LONGEST_CLASS_PATH) {
      return joined;
    }
    Path jar = scratch.toAbsolutePath().resolve("child-classpath.jar");
    StringBuilder urls = new StringBuilder();
    for (String e : entries) {
      urls.append(Path.of(e).toUri()).append(' ');
    }
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, urls.toString().trim());
    try {
      Files.createDirectories(scratch);
      try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
        // the manifest is the whole content
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + jar, e);
    }
    return jar.toString();
  }
}
