package dev.saerl.app.cli;

import dev.saerl.app.embedded.EmbeddedKafka;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One KRaft node (controller and broker) of a {@code saerl up --brokers N} cluster, in this JVM until
 * SIGTERM. Hidden: {@code KafkaCluster} starts it, once per node, with the quorum it belongs to.
 */
@Command(name = "broker", hidden = true, mixinStandardHelpOptions = true,
    description = "Runs one KRaft node of a local cluster (started by 'saerl up --brokers N').")
public final class BrokerCommand implements Callable<Integer> {
  @Option(names = "--node-id", required = true)
  int nodeId;

  @Option(names = "--log-dir", required = true)
  Path logDir;

  @Option(names = "--port", required = true)
  int port;

  @Option(names = "--controller-port", required = true)
  int controllerPort;

  @Option(names = "--voters", required = true, description = "controller.quorum.voters: id@host:port,...")
  String voters;

  @Option(names = "--replicas", required = true)
  int replicas;

  @Option(names = "--cluster-id", required = true)
  String clusterId;

  @Override
  public Integer call() throws Exception {
    EmbeddedKafka node = EmbeddedKafka.startNode(logDir,
        new EmbeddedKafka.Node(nodeId, port, controllerPort, voters, replicas, clusterId));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "saerl-broker-shutdown"));
    System.out.println("Kafka node " + nodeId + " ready at " + node.bootstrapServers());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
