package dev.saerl.app.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A KRaft cluster of {@code size} nodes on loopback, each a combined controller and broker in its
 * own child JVM ({@code saerl broker}, through {@link ChildJvm}: the nodes die with this JVM), all of
 * them voters of one static quorum. Ports and the cluster id are kept in the data dir, so a node
 * restarted after a kill ({@link #kill}, {@link #restart}) comes back on the same address with its
 * data. With three nodes every topic has three replicas and {@code min.insync.replicas} 2: one node
 * may die at any moment and nothing acknowledged with acks=all is lost.
 */
public final class KafkaCluster implements Brokers {
  private static final Logger log = LoggerFactory.getLogger(KafkaCluster.class);
  static final List<String> NODE_JVM = List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto");

  private final Path dataDir;
  private final Map<Integer, EmbeddedKafka.Node> nodes;
  private final Map<Integer, Process> processes = new TreeMap<>();

  private KafkaCluster(Path dataDir, Map<Integer, EmbeddedKafka.Node> nodes) {
    this.dataDir = dataDir;
    this.nodes = nodes;
  }

  /** Starts (or restarts, on the same data dir) {@code size} nodes and waits until all of them serve. */
  public static KafkaCluster start(Path dataDir, int size, Duration readyTimeout) {
    if (size < 1) {
      throw new IllegalArgumentException("a cluster needs at least one node, not " + size);
    }
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dataDir, e);
    }
    PortsFile ports = new PortsFile(dataDir.resolve("kafka-cluster-ports.properties"));
    String clusterId = ports.text("cluster.id", Uuid.randomUuid().toString());
    Map<Integer, int[]> picked = new TreeMap<>();
    Set<Integer> taken = new java.util.HashSet<>();
    for (int id = 1; id <= size; id++) {
      int port = pickDistinct(ports.preferred("broker." + id), taken);
      int controller = pickDistinct(ports.preferred("controller." + id), taken);
      picked.put(id, new int[] {port, controller});
    }
    String voters = picked.entrySet().stream().map(e -> e.getKey() + "@127.0.0.1:" + e.getValue()[1])
        .collect(Collectors.joining(","));
    int replicas = Math.min(size, 3);
    Map<Integer, EmbeddedKafka.Node> nodes = new TreeMap<>();
    picked.forEach((id, p) -> {
      nodes.put(id, new EmbeddedKafka.Node(id, p[0], p[1], voters, replicas, clusterId));
      ports.save("broker." + id, p[0]);
      ports.save("controller." + id, p[1]);
    });
    ports.saveText("cluster.id", clusterId);
    KafkaCluster cluster = new KafkaCluster(dataDir, nodes);
    try {
      nodes.keySet().forEach(cluster::restart);
      cluster.awaitBrokers(size, readyTimeout);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
    log.info("Kafka cluster of {} nodes up at {} in {} ms (data {})", size, cluster.bootstrapServers(),
        (System.nanoTime() - t0) / 1_000_000, dataDir);
    return cluster;
  }

  private static int pickDistinct(int preferred, Set<Integer> taken) {
    int port = FreePorts.pick(taken.contains(preferred) ? 0 : preferred);
    for (int i = 0; taken.contains(port) && i < 100; i++) {
      port = FreePorts.pick(0);
    }
    taken.add(port);
    return port;
  }

  /** Starts node {@code id}'s JVM again (after {@link #kill}) on its ports and data; does not wait for it. */
  public synchronized void restart(int id) {
    EmbeddedKafka.Node n = node(id);
    Process old = processes.get(id);
    if (old != null && old.isAlive()) {
      throw new IllegalStateException("Kafka node " + id + " is still running (pid " + old.pid() + ")");
    }
    List<String> args = List.of("broker", "--node-id", Integer.toString(id), "--log-dir", nodeDir(id).toString(),
        "--port", Integer.toString(n.port()), "--controller-port", Integer.toString(n.controllerPort()),
        "--voters", n.voters(), "--replicas", Integer.toString(n.replicas()), "--cluster-id", n.clusterId());
    processes.put(id, ChildJvm.start(NODE_JVM, args, nodeDir(id).resolve("node.log"), dataDir));
  }

  /** SIGKILL: no shutdown, no flush; returns when the process is gone. */
  public void kill(int id) {
    Process p = process(id);
    p.destroyForcibly();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("Kafka node " + id + " (pid " + p.pid() + ") did not die in 30 s after SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while killing Kafka node " + id, e);
    }
  }

  /** Waits until {@code count} brokers are registered and unfenced, failing early when a node's JVM exits. */
  public void awaitBrokers(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String seen = "no node listening";
    try {
      // no admin client before a node listens: it would log a warning per node and retry
      while (System.nanoTime() < deadline && nodes.values().stream().noneMatch(n -> listening(n.port()))) {
        checkAlive();
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Kafka cluster", e);
    }
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        checkAlive();
        try {
          List<Integer> ids = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).stream().map(Node::id).sorted().toList();
          seen = ids.toString();
          if (ids.size() >= count) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          seen = e.getMessage();
        }
        Thread.sleep(200);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the Kafka cluster", e);
    }
    throw new IllegalStateException(count + " Kafka brokers not up within " + timeout.toSeconds() + " s (last seen: " + seen
        + "); see " + dataDir.resolve("kafka-<id>/node.log"));
  }

  private void checkAlive() {
    for (var e : snapshot().entrySet()) {
      if (!e.getValue().isAlive()) {
        throw new IllegalStateException("Kafka node " + e.getKey() + " exited with code " + e.getValue().exitValue()
            + "; see " + nodeDir(e.getKey()).resolve("node.log"));
      }
    }
  }

  private static boolean listening(int port) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private synchronized Map<Integer, Process> snapshot() {
    return Map.copyOf(processes);
  }

  /** An admin client on this cluster; the caller closes it. */
  public Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    return Admin.create(p);
  }

  @Override
  public String bootstrapServers() {
    return nodes.values().stream().map(n -> "127.0.0.1:" + n.port()).collect(Collectors.joining(","));
  }

  public Set<Integer> nodeIds() {
    return nodes.keySet();
  }

  public synchronized long pid(int id) {
    return process(id).pid();
  }

  public synchronized boolean isAlive(int id) {
    Process p = processes.get(id);
    return p != null && p.isAlive();
  }

  private synchronized Process process(int id) {
    Process p = processes.get(id);
    if (p == null) {
      throw new IllegalArgumentException("no Kafka node " + id + " (nodes " + nodes.keySet() + ")");
    }
    return p;
  }

  private EmbeddedKafka.Node node(int id) {
    EmbeddedKafka.Node n = nodes.get(id);
    if (n == null) {
      throw new IllegalArgumentException("no Kafka node " + id + " (nodes " + nodes.keySet() + ")");
    }
    return n;
  }

  public Path nodeDir(int id) {
    return dataDir.toAbsolutePath().resolve("kafka-" + id);
  }

  /**
   * Stops every node, all at once (SIGTERM: each shuts down in order), then waits; a node still up after
   * 15 s (the last of a quorum cannot finish a controlled shutdown alone) gets SIGKILL, which loses
   * nothing acknowledged: the log is recovered at the next start.
   */
  @Override
  public void close() {
    List<Process> all = new ArrayList<>(snapshot().values());
    all.forEach(Process::destroy);
    all.forEach(p -> ChildJvm.awaitStop(p, Duration.ofSeconds(15)));
    log.info("Kafka cluster at {} stopped", bootstrapServers());
  }
}
