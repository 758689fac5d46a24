package dev.saerl.app.chaos;

import dev.saerl.app.embedded.ChildJvm;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One saerl role running as its own JVM ({@code saerl <role> ...} through {@link ChildJvm}), found in
 * its consumer group by its static {@code group.instance.id} (prefix), killed with SIGKILL and
 * restarted with the same arguments (the same instance id, transactional id and state dir).
 */
final class ChaosRole {
  final String name;
  final String group;
  final String instancePrefix;
  /** The topic its transactions write (the driver kills it just after a commit there), or null. */
  final String output;
  private final List<String> jvm;
  private final List<String> args;
  private final Path log;
  private final Path scratch;
  private Process process;

  ChaosRole(String name, String group, String instancePrefix, String output, List<String> jvm, List<String> args,
            Path log, Path scratch) {
    this.name = name;
    this.group = group;
    this.instancePrefix = instancePrefix;
    this.output = output;
    this.jvm = jvm;
    this.args = args;
    this.log = log;
    this.scratch = scratch;
  }

  synchronized void start() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(name + " is still running (pid " + process.pid() + ")");
    }
    process = ChildJvm.start(jvm, args, log, scratch);
  }

  synchronized long pid() {
    return process.pid();
  }

  synchronized boolean alive() {
    return process != null && process.isAlive();
  }

  /** Whether it has a child process now (the finetuner's trainer). */
  synchronized boolean training() {
    return process != null && process.isAlive() && process.descendants().findAny().isPresent();
  }

  synchronized Integer exitCode() {
    return process == null || process.isAlive() ? null : process.exitValue();
  }

  /** SIGKILL: no shutdown hook, no close, no commit; its children (a trainer) are killed too. */
  synchronized void kill() throws InterruptedException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " (pid " + process.pid() + ") did not die in 30 s after SIGKILL");
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  /** SIGTERM: the role's shutdown hook closes it (aborting an open transaction); SIGKILL after 60 s. */
  synchronized void stop() throws InterruptedException {
    if (process == null || !process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      kill();
    }
  }

  Path log() {
    return log;
  }
}
