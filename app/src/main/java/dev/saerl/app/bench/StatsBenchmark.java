package dev.saerl.app.bench;

import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.StepFeatures;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.Topic;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.StreamsService;
import dev.saerl.streams.bench.SyntheticSamples;
import dev.saerl.streams.stats.DatasetTotals;
import dev.saerl.streams.stats.StatsConfig;
import dev.saerl.streams.stats.StatsStores;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.QueryableStoreTypes;

/**
 * Labelled feature observations per second through the statistics topology, against a plain
 * consumer reading and deserializing the same input (generations and sample-features) in the same
 * run, on the embedded broker. An observation is one (KNOWN sample, active feature) pair counted.
 * The Streams side runs three times on the same input, each a fresh application: an untimed warm-up
 * (JIT), then one instance with one stream thread, then one with two (what a second instance adds, on
 * one machine).
 * Usage: StatsBenchmark [QUERIES] [SAMPLES_PER_QUERY]  (prints one JSON line)
 */
public final class StatsBenchmark {
  private StatsBenchmark() {}

  public static void main(String[] args) throws Exception {
    int queries = args.length > 0 ? Integer.parseInt(args[0]) : 2500;
    int perQuery = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    Path dir = Files.createTempDirectory("saerl-stats-bench");
    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("data"), "bench.");
         HttpSchemaRegistry registry = new HttpSchemaRegistry(stack.registryUrl())) {
      Topics topics = new Topics("bench.", registry);
      Properties client = new Properties();
      client.put("bootstrap.servers", stack.bootstrapServers());
      var data = SyntheticSamples.generate("bench", Split.KNOWN, queries, perQuery, 7);
      long observations = 0;
      long records = 0;
      try (var producer = new KafkaProducer<byte[], byte[]>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
        var q = topics.get(TopicSpecs.QUERIES);
        var g = topics.get(TopicSpecs.GENERATIONS);
        var f = topics.get(TopicSpecs.SAMPLE_FEATURES);
        data.forEach(d -> producer.send(q.record(d.query().getQueryId(), d.query())));
        for (var d : data) {
          d.generations().forEach(x -> producer.send(g.record(x.getQueryId(), x)));
          for (SampleFeatures x : d.features()) {
            producer.send(f.record(x.getQueryId(), x));
            observations += distinctFeatures(x);
          }
          records += d.generations().size() + d.features().size();
        }
        producer.flush();
      }
      long samples = (long) queries * perQuery;
      System.err.printf("input: %d queries, %d samples, %d records, %d labelled observations%n", queries, samples, records, observations);

      Timing consumer1 = consume(stack.bootstrapServers(), records, topics.get(TopicSpecs.GENERATIONS), topics.get(TopicSpecs.SAMPLE_FEATURES));
      // untimed: the first application in a JVM runs its first seconds interpreted, which made whichever ran first
      // look up to 2x slower than the same work run second
      Timing warmUp = streams(topics, client, "bench-streams-warm-up", dir.resolve("state-warm-up"), 1, samples);
      System.err.printf("warm-up (1 thread, untimed): %.2f s%n", warmUp.wallS());
      Timing oneThread = streams(topics, client, "bench-streams", dir.resolve("state"), 1, samples);
      Timing twoThreads = streams(topics, client, "bench-streams-2t", dir.resolve("state-2t"), 2, samples);
      Timing consumer2 = consume(stack.bootstrapServers(), records, topics.get(TopicSpecs.GENERATIONS), topics.get(TopicSpecs.SAMPLE_FEATURES));
      double consumerSeconds = (consumer1.wallS() + consumer2.wallS()) / 2;
      double consumerCpu = (consumer1.cpuS() + consumer2.cpuS()) / 2;
      System.out.printf("{\"samples\": %d, \"observations\": %d, \"streams_s\": %.2f, \"streams_2threads_s\": %.2f, "
              + "\"consumer_s\": %.2f, \"streams_obs_per_s\": %.0f, \"streams_2threads_obs_per_s\": %.0f, "
              + "\"consumer_obs_per_s\": %.0f, \"streams_over_consumer\": %.3f, \"streams_2threads_over_consumer\": %.3f, "
              + "\"streams_cpu_s\": %.2f, \"consumer_cpu_s\": %.2f, \"streams_cpu_over_consumer\": %.3f}%n",
          samples, observations, oneThread.wallS(), twoThreads.wallS(), consumerSeconds, observations / oneThread.wallS(),
          observations / twoThreads.wallS(), observations / consumerSeconds, consumerSeconds / oneThread.wallS(),
          consumerSeconds / twoThreads.wallS(), oneThread.cpuS(), consumerCpu, consumerCpu / oneThread.cpuS());
    }
  }

  /**
   * Wall-clock seconds, and CPU seconds of this whole JVM (the client under test and the embedded broker; the
   * registry is another process): on a machine that others load, the CPU cost per observation moves less than the
   * wall clock.
   */
  record Timing(double wallS, double cpuS) {}

  private static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime() / 1e9;
  }

  /**
   * Time from starting a fresh application ({@code applicationId}, so it reads every input from the start)
   * with {@code threads} stream threads until its totals count every sample.
   */
  static Timing streams(Topics topics, Properties client, String applicationId, Path state, int threads, long samples)
      throws Exception {
    Properties props = new Properties();
    props.putAll(client);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(threads));
    double cpu = cpuSeconds();
    long start = System.nanoTime();
    try (StreamsService s = StreamsService.start(topics, props, applicationId, state,
        new InetSocketAddress("127.0.0.1", 0), StatsConfig.DEFAULTS, false)) {
      long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
      s.awaitRunning(Duration.ofMinutes(2));
      System.err.printf("streams (%d thread(s)) running after %.2f s%n", threads, (System.nanoTime() - start) / 1e9);
      while (true) {
        long counted = 0;
        try {
          var totals = s.streams().store(StoreQueryParameters.fromNameAndType(StatsStores.DATASET_TOTALS,
              QueryableStoreTypes.<String, DatasetTotals>keyValueStore()));
          counted = StatsStores.labelledSamples(totals, "bench");
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
          // not running yet, or a rebalance moved the store
        }
        if (counted >= samples) {
          return new Timing((System.nanoTime() - start) / 1e9, cpuSeconds() - cpu);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("streams counted " + counted + " of " + samples + " samples in 10 minutes");
        }
        Thread.sleep(20);
      }
    }
  }

  static int distinctFeatures(SampleFeatures f) {
    Set<Integer> ids = new HashSet<>();
    for (StepFeatures s : f.getSteps()) {
      for (int i = 0; i < s.getFeatureIds().size(); i++) {
        if (s.getMaxActivations().get(i) > 0) {
          ids.add(s.getFeatureIds().get(i));
        }
      }
    }
    return ids.size();
  }

  /** Time for a plain consumer to read and deserialize {@code expected} records of the topics. */
  static Timing consume(String bootstrap, long expected, Topic<String, ?>... topics) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-consumer-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    double cpu = cpuSeconds();
    long start = System.nanoTime();
    long read = 0;
    try (var c = new KafkaConsumer<byte[], byte[]>(p, new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      c.subscribe(List.of(topics).stream().map(Topic::name).toList());
      long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
      while (read < expected && System.nanoTime() < deadline) {
        for (var r : c.poll(Duration.ofMillis(100))) {
          for (Topic<String, ?> t : topics) {
            if (t.name().equals(r.topic())) {
              t.valueSerde().deserializer().deserialize(r.topic(), r.value());
            }
          }
          read++;
        }
      }
    }
    if (read < expected) {
      throw new IllegalStateException("plain consumer read " + read + " of " + expected + " records in 5 minutes");
    }
    return new Timing((System.nanoTime() - start) / 1e9, cpuSeconds() - cpu);
  }
}
