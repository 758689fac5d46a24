package dev.saerl.app.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node KRaft Kafka broker (combined broker and controller) in this JVM, on loopback,
 * storing under {@code dataDir}. Single-node settings for the offsets and transaction-state topics
 * let transactions (exactly-once) work with one replica. Data survives a restart on the same dir.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final int NODE_ID = 1;

  private final KafkaRaftServer server;
  private final String bootstrapServers;
  private final String secureBootstrapServers;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, String secureBootstrapServers) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
    this.secureBootstrapServers = secureBootstrapServers;
  }

  /**
   * An extra SASL_SSL listener (SCRAM-SHA-256 and -512 over TLS) next to the plaintext one, for
   * clusters that require authentication; users are added with the Admin API over the plaintext
   * listener ({@code alterUserScramCredentials}).
   *
   * @param keystore PKCS12 keystore with the broker's key and certificate (for 127.0.0.1)
   */
  public record SecureListener(Path keystore, String keystorePassword) {}

  public static EmbeddedKafka start(Path dataDir) {
    return start(dataDir, null);
  }

  public static EmbeddedKafka start(Path dataDir, SecureListener secure) {
    long t0 = System.nanoTime();
    Path logDir = dataDir.resolve("kafka");
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + logDir, e);
    }
    PortsFile ports = new PortsFile(dataDir.resolve("kafka-ports.properties"));
    int port = FreePorts.pick(ports.preferred("broker"));
    int controllerPort = FreePorts.pick(ports.preferred("controller"));
    if (controllerPort == port) {
      controllerPort = FreePorts.pick(0);
    }
    Properties p = config(logDir, port, controllerPort);
    int securePort = -1;
    if (secure != null) {
      securePort = FreePorts.pick(0);
      p.put("listeners", p.getProperty("listeners") + ",SECURE://127.0.0.1:" + securePort);
      p.put("advertised.listeners", p.getProperty("advertised.listeners") + ",SECURE://127.0.0.1:" + securePort);
      p.put("listener.security.protocol.map", p.getProperty("listener.security.protocol.map") + ",SECURE:SASL_SSL");
      p.put("sasl.enabled.mechanisms", "SCRAM-SHA-256,SCRAM-SHA-512");
      for (String mechanism : new String[] {"scram-sha-256", "scram-sha-512"}) {
        p.put("listener.name.secure." + mechanism + ".sasl.jaas.config",
            "org.apache.kafka.common.security.scram.ScramLoginModule required;");
      }
      p.put("listener.name.secure.ssl.keystore.type", "PKCS12");
      p.put("listener.name.secure.ssl.keystore.location", secure.keystore().toAbsolutePath().toString());
      p.put("listener.name.secure.ssl.keystore.password", secure.keystorePassword());
      p.put("listener.name.secure.ssl.key.password", secure.keystorePassword());
    }
    format(p, logDir);
    KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p), Time.SYSTEM);
    server.startup();
    ports.save("broker", port);
    ports.save("controller", controllerPort);
    String bootstrap = "127.0.0.1:" + port;
    log.info("Kafka broker up at {} in {} ms (data {})", bootstrap, (System.nanoTime() - t0) / 1_000_000, logDir);
    return new EmbeddedKafka(server, bootstrap, securePort < 0 ? null : "127.0.0.1:" + securePort);
  }

  static Properties config(Path logDir, int port, int controllerPort) {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(NODE_ID));
    p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", logDir.toAbsolutePath().toString());
    // one replica: without these, initTransactions and group coordination wait forever
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("min.insync.replicas", "1");
    p.put("default.replication.factor", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
    p.put("num.partitions", "1");
    return p;
  }

  private static void format(Properties p, Path logDir) {
    Path meta = logDir.resolve("meta.properties");
    if (Files.exists(meta)) {
      return; // formatted before: keep the cluster id and the data
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      new Formatter()
          .setPrintStream(new PrintStream(out, true, StandardCharsets.UTF_8))
          .setNodeId(NODE_ID)
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(java.util.List.of(logDir.toAbsolutePath().toString()))
          .setMetadataLogDirectory(logDir.toAbsolutePath().toString())
          .setControllerListenerName("CONTROLLER")
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setIgnoreFormatted(true)
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka storage in " + logDir + ": " + e.getMessage() + "\n" + out, e);
    }
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The SASL_SSL listener's address, or null without one. */
  public String secureBootstrapServers() {
    return secureBootstrapServers;
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
    log.info("Kafka broker at {} stopped", bootstrapServers);
  }
}
