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
 * A real KRaft Kafka node (combined broker and controller) in this JVM, on loopback, storing under
 * {@code dataDir}: the single-node default ({@link #start(Path)}), or one voter of a quorum
 * ({@link #startNode}, which {@link KafkaCluster} runs once per child JVM). Replica settings follow the
 * cluster's size: one replica alone (so transactions work), three with {@code min.insync.replicas} 2
 * on three nodes. Data survives a restart on the same dir.
 */
public final class EmbeddedKafka implements Brokers {
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

  /**
   * One voter of a static KRaft quorum.
   *
   * @param voters {@code controller.quorum.voters}, the same on every node: {@code 1@127.0.0.1:port,...}
   * @param replicas the cluster's replication factor (internal topics and the default)
   * @param clusterId the same on every node; used only when the storage is formatted the first time
   */
  public record Node(int nodeId, int port, int controllerPort, String voters, int replicas, String clusterId) {
    public Node {
      if (replicas < 1 || nodeId < 0 || voters == null || voters.isBlank()) {
        throw new IllegalArgumentException("bad KRaft node: id " + nodeId + ", replicas " + replicas + ", voters " + voters);
      }
    }
  }

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
    Node node = new Node(NODE_ID, port, controllerPort, NODE_ID + "@127.0.0.1:" + controllerPort, 1, Uuid.randomUuid().toString());
    Properties p = config(logDir, node);
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
    format(p, logDir, node.nodeId(), node.clusterId());
    KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p), Time.SYSTEM);
    server.startup();
    ports.save("broker", port);
    ports.save("controller", controllerPort);
    String bootstrap = "127.0.0.1:" + port;
    log.info("Kafka broker up at {} in {} ms (data {})", bootstrap, (System.nanoTime() - t0) / 1_000_000, logDir);
    return new EmbeddedKafka(server, bootstrap, securePort < 0 ? null : "127.0.0.1:" + securePort);
  }

  /** One voter of a quorum, on its fixed ports (the voters list names them), storing under {@code logDir}. */
  public static EmbeddedKafka startNode(Path logDir, Node node) {
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + logDir, e);
    }
    Properties p = config(logDir, node);
    format(p, logDir, node.nodeId(), node.clusterId());
    KafkaRaftServer server = new KafkaRaftServer(new KafkaConfig(p), Time.SYSTEM);
    server.startup();
    String bootstrap = "127.0.0.1:" + node.port();
    log.info("Kafka node {} up at {} in {} ms (data {})", node.nodeId(), bootstrap, (System.nanoTime() - t0) / 1_000_000, logDir);
    return new EmbeddedKafka(server, bootstrap, null);
  }

  static Properties config(Path logDir, Node node) {
    int replicas = node.replicas();
    String minIsr = Integer.toString(replicas >= 3 ? 2 : 1);
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(node.nodeId()));
    p.put("controller.quorum.voters", node.voters());
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + node.port() + ",CONTROLLER://127.0.0.1:" + node.controllerPort());
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + node.port());
    p.put("controller.listener.names", "CONTROLLER");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", logDir.toAbsolutePath().toString());
    // the cluster's replicas: with one, the defaults (3) would make initTransactions and group coordination wait forever
    p.put("offsets.topic.replication.factor", Integer.toString(replicas));
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", Integer.toString(replicas));
    p.put("transaction.state.log.min.isr", minIsr);
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", Integer.toString(replicas));
    p.put("share.coordinator.state.topic.min.isr", minIsr);
    p.put("min.insync.replicas", minIsr);
    p.put("default.replication.factor", Integer.toString(replicas));
    if (replicas > 1) {
      // a killed node is fenced (and leaves every ISR, so its partitions' leadership moves) after 3 s, not 9
      p.put("broker.heartbeat.interval.ms", "500");
      p.put("broker.session.timeout.ms", "3000");
    }
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
    p.put("num.partitions", "1");
    return p;
  }

  private static void format(Properties p, Path logDir, int nodeId, String clusterId) {
    Path meta = logDir.resolve("meta.properties");
    if (Files.exists(meta)) {
      return; // formatted before: keep the cluster id and the data
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      new Formatter()
          .setPrintStream(new PrintStream(out, true, StandardCharsets.UTF_8))
          .setNodeId(nodeId)
          .setClusterId(clusterId)
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

  @Override
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
