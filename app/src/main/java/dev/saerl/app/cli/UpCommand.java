package dev.saerl.app.cli;

import dev.saerl.app.config.SaerlConfig;
import dev.saerl.app.embedded.EmbeddedKafka;
import dev.saerl.app.embedded.EmbeddedRegistry;
import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.Topics;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "up", mixinStandardHelpOptions = true,
    description = {
        "Runs a real Kafka broker (KRaft, single node) and a real schema registry (Apicurio) on loopback,",
        "creates saerl's topics and registers its schemas, prints their addresses and stays in the",
        "foreground until Ctrl-C, which stops both. Data persists in --data-dir across restarts.",
        "With --brokers 3: three KRaft nodes (controller and broker), each its own JVM, replication factor 3,",
        "min.insync.replicas 2; endpoints.properties lists all three addresses.",
        "With --bootstrap-servers and --registry-url it starts nothing and only prepares those."})
public final class UpCommand implements Callable<Integer> {
  @Mixin
  ConnectionOptions connection;

  @Option(names = "--brokers", defaultValue = "1",
      description = "Kafka nodes: 1 runs in this JVM; more run as a KRaft quorum of child JVMs with min(N, 3) replicas (default: ${DEFAULT-VALUE}).")
  int brokers;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    SaerlConfig config = connection.resolve();
    PrintWriter out = spec.commandLine().getOut();
    if (config.bootstrapServers() != null && config.registryUrl() != null) {
      try (HttpSchemaRegistry registry = config.registry()) {
        Topics topics = new Topics(config.topicPrefix(), registry);
        EmbeddedStack.createTopics(config.bootstrapServers(), topics);
        topics.registerSchemas().forEach((s, id) -> out.printf("schema %s -> id %d%n", s, id));
      }
      out.println("topics and schemas ready on " + config.bootstrapServers() + " / " + config.registryUrl());
      return 0;
    }
    if (config.bootstrapServers() != null || config.registryUrl() != null) {
      throw new IllegalArgumentException("give both --bootstrap-servers and --registry-url to use existing services, or neither");
    }
    if (brokers < 1) {
      throw new IllegalArgumentException("--brokers is " + brokers + ": give 1 or more");
    }
    out.println("starting " + (brokers == 1 ? "Kafka broker" : brokers + " Kafka brokers") + " and schema registry in "
        + config.dataDir().toAbsolutePath() + " ...");
    out.flush();
    long t0 = System.nanoTime();
    EmbeddedStack stack = EmbeddedStack.start(config.dataDir(), config.topicPrefix(), brokers);
    Path endpoints = config.dataDir().resolve(SaerlConfig.ENDPOINTS_FILE);
    Files.writeString(endpoints, SaerlConfig.BOOTSTRAP_SERVERS + "=" + stack.bootstrapServers() + "\n"
        + SaerlConfig.REGISTRY_URL + "=" + stack.registryUrl() + "\n");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        Files.deleteIfExists(endpoints);
      } catch (java.io.IOException e) {
        // the next 'up' overwrites it
      }
      stack.close();
      stopped.countDown();
    }, "saerl-up-shutdown"));
    out.printf("ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    out.println("  bootstrap.servers = " + stack.bootstrapServers());
    out.println("  registry.url      = " + stack.registryUrl());
    out.println("  topic.prefix      = " + config.topicPrefix());
    out.println("other terminals: ./saerl <role> finds these through " + endpoints
        + " (or pass --bootstrap-servers and --registry-url)");
    out.println(brokers == 1 ? "Ctrl-C stops both." : "Ctrl-C stops them all.");
    out.flush();
    stopped.await();
    return 0;
  }
}
