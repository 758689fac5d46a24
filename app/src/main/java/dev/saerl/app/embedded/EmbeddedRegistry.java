package dev.saerl.app.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apicurio Registry (its prebuilt Quarkus distribution, unpacked by the build) run as a
 * child process of this JVM's own java binary, bound to 127.0.0.1 on free ports, storing in an H2
 * file under the data dir. Its Confluent-compatible API is {@link #confluentUrl()}. The child
 * exits with this JVM, even when this JVM is killed, through {@link ParentWatchdog}.
 */
public final class EmbeddedRegistry implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedRegistry.class);
  public static final String HOME_PROPERTY = "saerl.apicurio.home";
  private static final String CCOMPAT = "/apis/ccompat/v7";

  private final Process process;
  private final int port;

  private EmbeddedRegistry(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Where the build unpacked Apicurio: the system property, else the app module's build folder. */
  public static Path home() {
    String configured = System.getProperty(HOME_PROPERTY, System.getenv("SAERL_APICURIO_HOME"));
    Path home = configured != null ? Path.of(configured) : Path.of("app", "target", "apicurio-registry");
    if (!Files.isRegularFile(home.resolve("quarkus-run.jar"))) {
      throw new IllegalStateException("Apicurio Registry is not unpacked at " + home.toAbsolutePath()
          + " (no quarkus-run.jar): build the project with ./saerl or 'mvn -DskipTests package', or set -D"
          + HOME_PROPERTY + " / SAERL_APICURIO_HOME");
    }
    return home.toAbsolutePath(); // the child runs in this directory: a relative class path would not resolve there
  }

  public static EmbeddedRegistry start(Path dataDir, Duration readyTimeout) {
    long t0 = System.nanoTime();
    Path dir = dataDir.toAbsolutePath().resolve("registry"); // the child runs elsewhere: no relative paths
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
    PortsFile ports = new PortsFile(dataDir.resolve("registry-ports.properties"));
    int port = FreePorts.pick(ports.preferred("http"));
    int management = FreePorts.pick(0);
    Path home = home();
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(List.of("-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
        "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=" + management,
        "-Dquarkus.log.level=WARN", "-Dquarkus.banner.enabled=false",
        "-Dapicurio.datasource.url=jdbc:h2:file:" + dir.toAbsolutePath().resolve("registry") + ";DB_CLOSE_ON_EXIT=FALSE",
        "-cp", home.resolve("quarkus-run.jar") + java.io.File.pathSeparator + watchdogClasses(dir),
        ParentWatchdog.class.getName(), Long.toString(ProcessHandle.current().pid()),
        "io.quarkus.bootstrap.runner.QuarkusEntryPoint"));
    Path logFile = dir.resolve("registry.log");
    Process process;
    try {
      process = new ProcessBuilder(cmd).directory(home.toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Apicurio Registry from " + home, e);
    }
    EmbeddedRegistry registry = new EmbeddedRegistry(process, port);
    try {
      registry.awaitReady(readyTimeout, logFile);
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
    ports.save("http", port);
    log.info("schema registry up at {} in {} ms (pid {}, data {})", registry.confluentUrl(),
        (System.nanoTime() - t0) / 1_000_000, process.pid(), dir);
    return registry;
  }

  /** The watchdog's one class, copied into the data dir: the child gets it without saerl's libraries. */
  private static Path watchdogClasses(Path dir) {
    String resource = ParentWatchdog.class.getName().replace('.', '/') + ".class";
    Path root = dir.resolve("watchdog");
    Path target = root.resolve(resource);
    try (var in = ParentWatchdog.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("cannot find " + resource + " on saerl's class path");
      }
      Files.createDirectories(target.getParent());
      Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
    return root;
  }

  private void awaitReady(Duration timeout, Path logFile) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest probe = HttpRequest.newBuilder(URI.create(confluentUrl() + "/subjects")).timeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Apicurio Registry exited with code " + process.exitValue()
            + " before it was ready; see " + logFile);
      }
      try {
        if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the registry", e);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the registry", e);
      }
    }
    throw new IllegalStateException("Apicurio Registry not ready within " + timeout.toSeconds() + " s at "
        + confluentUrl() + "; see " + logFile);
  }

  public String confluentUrl() {
    return "http://127.0.0.1:" + port + CCOMPAT;
  }

  public long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    process.destroy();
    ChildJvm.awaitStop(process, Duration.ofSeconds(20));
    log.info("schema registry at {} stopped", confluentUrl());
  }
}
