package dev.saerl.app.cli;

import dev.saerl.app.config.SaerlConfig;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.verify.SaerlTopology;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "streams", mixinStandardHelpOptions = true,
    description = {"The Kafka Streams application (exactly-once v2): joins generations with the queries table and",
        "publishes a verdict per sample (UNKNOWN queries' verdicts are marked evaluation-only). Runs until Ctrl-C."})
public final class StreamsCommand implements Callable<Integer> {
  @Mixin
  ConnectionOptions connection;

  @Override
  public Integer call() throws Exception {
    SaerlConfig config = connection.resolve();
    try (HttpSchemaRegistry registry = new HttpSchemaRegistry(config.requireConnection(SaerlConfig.REGISTRY_URL, config.registryUrl()))) {
      Topics topics = new Topics(config.topicPrefix(), registry);
      var props = SaerlTopology.streamsConfig(config.kafkaClient(), config.topicPrefix() + "streams",
          config.dataDir().resolve("streams-state").toString());
      KafkaStreams streams = new KafkaStreams(SaerlTopology.build(topics), props);
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofSeconds(30)));
        stopped.countDown();
      }));
      streams.start();
      System.out.println("streams app running (state in " + config.dataDir().resolve("streams-state") + ")");
      stopped.await();
    }
    return 0;
  }
}
