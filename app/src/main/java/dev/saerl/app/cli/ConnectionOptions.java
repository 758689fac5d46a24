package dev.saerl.app.cli;

import dev.saerl.app.config.SaerlConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every role shares: where the data, the broker and the registry are. */
public final class ConnectionOptions {
  @Option(names = "--config", paramLabel = "FILE", description = "Properties file with saerl settings (keys as in README.md).")
  Path configFile;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Where embedded services and outputs live (default: data).")
  String dataDir;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...", description = "Use this Kafka cluster instead of the embedded broker.")
  String bootstrapServers;

  @Option(names = "--registry-url", paramLabel = "URL", description = "Use this Confluent-compatible schema registry instead of the embedded one.")
  String registryUrl;

  @Option(names = "--topic-prefix", paramLabel = "PREFIX", description = "Prefix of every topic name (default: saerl.).")
  String topicPrefix;

  public SaerlConfig resolve() {
    Map<String, String> flags = new HashMap<>();
    flags.put(SaerlConfig.DATA_DIR, dataDir);
    flags.put(SaerlConfig.BOOTSTRAP_SERVERS, bootstrapServers);
    flags.put(SaerlConfig.REGISTRY_URL, registryUrl);
    flags.put(SaerlConfig.TOPIC_PREFIX, topicPrefix);
    return SaerlConfig.resolve(configFile, System.getenv(), flags);
  }
}
