package dev.saerl.streams;

import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.stats.StatsConfig;
import dev.saerl.streams.verify.SaerlTopology;
import dev.saerl.streams.web.Routing;
import dev.saerl.streams.web.StatsHttpServer;
import dev.saerl.streams.web.StatsReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * One instance of the Streams application with its HTTP API: the HTTP port is bound first and
 * advertised as application.server, so every instance can route a dataset's request to its owner.
 */
public final class StreamsService implements AutoCloseable {
  private final KafkaStreams streams;
  private final StatsHttpServer http;

  private StreamsService(KafkaStreams streams, StatsHttpServer http) {
    this.streams = streams;
    this.http = http;
  }

  /**
   * Starts an instance. {@code wipeLocalState}: delete this instance's local stores first, so they are
   * rebuilt from their changelogs.
   */
  public static StreamsService start(Topics topics, Properties client, String applicationId, Path stateDir,
                                     InetSocketAddress httpAddress, StatsConfig stats, boolean wipeLocalState)
      throws IOException {
    return start(topics, client, applicationId, stateDir, httpAddress, stats, wipeLocalState, null);
  }

  /** As above, with the HTTP API requiring {@code httpToken} when it is not blank. */
  public static StreamsService start(Topics topics, Properties client, String applicationId, Path stateDir,
                                     InetSocketAddress httpAddress, StatsConfig stats, boolean wipeLocalState, String httpToken)
      throws IOException {
    AtomicReference<KafkaStreams> ref = new AtomicReference<>();
    StatsReader reader = new StatsReader(new StatsReader.StoreLookup() {
      @Override
      public <V> ReadOnlyKeyValueStore<String, V> store(String name) {
        return ref.get().store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore()));
      }
    }, stats);
    StatsHttpServer http = StatsHttpServer.start(httpAddress, reader, self -> Routing.of(ref::get, self), httpToken);
    try {
      Properties props = SaerlTopology.streamsConfig(client, applicationId, stateDir.toString());
      props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, httpAddress.getHostString() + ":" + http.port());
      KafkaStreams streams = new KafkaStreams(SaerlTopology.build(topics, stats), props);
      if (wipeLocalState) {
        streams.cleanUp();
      }
      ref.set(streams);
      streams.start();
      return new StreamsService(streams, http);
    } catch (RuntimeException e) {
      http.close();
      throw e;
    }
  }

  public KafkaStreams streams() {
    return streams;
  }

  /** The page's address; the API is under {@code api/}. */
  public String url() {
    return http.url();
  }

  /** Waits until the instance is RUNNING (restoration done), or fails after {@code max}. */
  public void awaitRunning(Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline || !streams.state().isRunningOrRebalancing() && streams.state() != KafkaStreams.State.CREATED) {
        throw new IllegalStateException("streams instance is " + streams.state() + " after " + max);
      }
      Thread.sleep(50);
    }
  }

  /** Stops the HTTP server, then the instance, leaving the group so others take over at once. */
  @Override
  public void close() {
    http.close();
    streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
        .withTimeout(Duration.ofSeconds(30)));
  }
}
