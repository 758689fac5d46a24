package dev.saerl.streams.web;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;

/** Which Streams instance holds a dataset's statistics (they are partitioned by dataset). */
public interface Routing {
  HostInfo self();

  /**
   * The instance whose active task holds {@code dataset} in {@code store} (stores of different
   * sub-topologies may live on different instances); empty while unknown (rebalancing, not started).
   */
  Optional<HostInfo> ownerOf(String store, String dataset);

  /** Every instance of the application. */
  List<HostInfo> all();

  /** A single instance holding everything (tests, one-process runs). */
  static Routing local(HostInfo self) {
    return new Routing() {
      public HostInfo self() {
        return self;
      }

      public Optional<HostInfo> ownerOf(String store, String dataset) {
        return Optional.of(self);
      }

      public List<HostInfo> all() {
        return List.of(self);
      }
    };
  }

  /** Routing from the Streams metadata (each instance sets application.server to its HTTP address). */
  static Routing of(Supplier<KafkaStreams> streams, HostInfo self) {
    return new Routing() {
      public HostInfo self() {
        return self;
      }

      public Optional<HostInfo> ownerOf(String store, String dataset) {
        KeyQueryMetadata m = streams.get().queryMetadataForKey(store, dataset, Serdes.String().serializer());
        return m == null || m.equals(KeyQueryMetadata.NOT_AVAILABLE) ? Optional.empty() : Optional.of(m.activeHost());
      }

      public List<HostInfo> all() {
        List<HostInfo> hosts = streams.get().metadataForAllStreamsClients().stream().map(StreamsMetadata::hostInfo).distinct().toList();
        return hosts.isEmpty() ? List.of(self) : hosts;
      }
    };
  }
}
