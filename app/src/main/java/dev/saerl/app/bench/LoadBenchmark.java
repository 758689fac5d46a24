package dev.saerl.app.bench;

import dev.saerl.app.embedded.EmbeddedStack;
import dev.saerl.producers.ingest.IngestSummary;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.TopicSpecs;
import dev.saerl.schemas.topics.Topics;
import dev.saerl.streams.StreamsService;
import dev.saerl.streams.bench.SyntheticSamples;
import dev.saerl.streams.stats.DatasetTotals;
import dev.saerl.streams.stats.FeatureSums;
import dev.saerl.streams.stats.StatsConfig;
import dev.saerl.streams.stats.StatsStores;
import java.io.BufferedWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;

/**
 * Load: ingest Q generated queries at full speed (through the real ingest path), then a flood of
 * S labelled samples (generations + sample-features) through the Streams app; prints the ingest
 * rate, the Streams app's consumer lag and the JVM heap every 5 s, the totals, the peak heap and
 * resident memory, and checks nothing was lost or counted twice: every query published, and the
 * Streams app's labelled samples and per-feature observations (active features per sample, summed
 * over the feature-sums store) exactly equal to what was produced. Exits 1 on any difference.
 * One JSON line per measurement. Usage: LoadBenchmark [QUERIES] [SAMPLES]
 */
public final class LoadBenchmark {
  private LoadBenchmark() {}

  /** What was produced and what the Streams app counted. */
  public record Result(long queries, long published, long samplesExpected, long samplesCounted,
                       long observationsExpected, long observationsCounted) {
    /** Every difference between what was produced and what was counted; empty when nothing was lost or doubled. */
    public List<String> losses() {
      List<String> out = new ArrayList<>();
      compare(out, "queries published", queries, published);
      compare(out, "labelled samples", samplesExpected, samplesCounted);
      compare(out, "feature observations", observationsExpected, observationsCounted);
      return out;
    }

    private static void compare(List<String> out, String what, long expected, long counted) {
      if (counted < expected) {
        out.add(what + ": " + counted + " counted of " + expected + " produced (" + (expected - counted) + " lost)");
      } else if (counted > expected) {
        out.add(what + ": " + counted + " counted of " + expected + " produced (" + (counted - expected) + " counted twice)");
      }
    }
  }

  public static void main(String[] args) throws Exception {
    int queries = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int samples = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    Duration deadline = Duration.ofMinutes(Long.getLong("load.deadline.min", 90));
    Result r = run(queries, samples, deadline);
    List<String> losses = r.losses();
    if (!losses.isEmpty()) {
      if (r.samplesCounted() < r.samplesExpected()) {
        System.err.println("LoadBenchmark: the Streams app had not counted every sample when the deadline ("
            + deadline.toMinutes() + " min) passed");
      }
      losses.forEach(l -> System.err.println("LoadBenchmark: " + l));
      System.exit(1);
    }
    System.out.println("{\"phase\": \"checked\", \"lost\": 0, \"counted_twice\": 0}");
  }

  /** Ingests, floods and waits until every sample is counted or the deadline passes. */
  public static Result run(int queries, int samples, Duration deadlineAfter) throws Exception {
    Path dir = Files.createTempDirectory("saerl-load");
    try {
      return run(dir, queries, samples, deadlineAfter);
    } finally {
      // the broker's data for a 1M flood is ~11 GB: never leave it behind
      try (var paths = Files.walk(dir)) {
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
      }
    }
  }

  private static Result run(Path dir, int queries, int samples, Duration deadlineAfter) throws Exception {
    Path file = dir.resolve("queries.jsonl");
    SplittableRandom rnd = new SplittableRandom(1);
    try (BufferedWriter w = Files.newBufferedWriter(file)) {
      for (int i = 0; i < queries; i++) {
        int a = rnd.nextInt(1, 1000);
        int b = rnd.nextInt(1, 1000);
        w.write("{\"id\": \"load-" + i + "\", \"question\": \"Ann has " + a + " coins. She finds " + b
            + " more. How many coins does Ann have?\", \"answer\": \"" + (a + b) + "\"}\n");
      }
    }
    try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("data"), "load.");
         HttpSchemaRegistry registry = new HttpSchemaRegistry(stack.registryUrl())) {
      Topics topics = new Topics("load.", registry);
      Properties client = new Properties();
      client.put("bootstrap.servers", stack.bootstrapServers());
      long t0 = System.nanoTime();
      IngestSummary s;
      try (KafkaQuerySink sink = new KafkaQuerySink(client, topics)) {
        s = new Ingestor("load", Split.DEFAULT, sink).ingest(file, b -> {});
      }
      double ingestSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("{\"phase\": \"ingest\", \"queries\": %d, \"published\": %d, \"rejected\": %d, \"seconds\": %.1f, \"queries_per_s\": %.0f}%n",
          queries, s.published(), s.rejectedTotal(), ingestSeconds, s.published() / ingestSeconds);

      long t1 = System.nanoTime();
      long observationsExpected = 0;
      try (var producer = new KafkaProducer<byte[], byte[]>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
        var q = topics.get(TopicSpecs.QUERIES);
        var g = topics.get(TopicSpecs.GENERATIONS);
        var f = topics.get(TopicSpecs.SAMPLE_FEATURES);
        int chunk = 2_500; // queries generated at a time, so the flood never sits in memory
        for (int start = 0; start < samples / 4; start += chunk) {
          var data = SyntheticSamples.generate("flood", dev.saerl.schemas.avro.Split.KNOWN, Math.min(chunk, samples / 4 - start),
              4, 1000L + start);
          data.forEach(d -> producer.send(q.record(d.query().getQueryId(), d.query())));
          for (var d : data) {
            d.generations().forEach(x -> producer.send(g.record(x.getQueryId(), x)));
            for (SampleFeatures x : d.features()) {
              producer.send(f.record(x.getQueryId(), x));
              observationsExpected += activeFeatures(x);
            }
          }
        }
        producer.flush();
      }
      System.out.printf("{\"phase\": \"flood produced\", \"samples\": %d, \"seconds\": %.1f}%n", samples, (System.nanoTime() - t1) / 1e9);
      long t2 = System.nanoTime();
      String appId = "load-streams";
      try (StreamsService streams = StreamsService.start(topics, client, appId, dir.resolve("state"),
               new InetSocketAddress("127.0.0.1", 0), StatsConfig.DEFAULTS, false);
           Admin admin = Admin.create(client)) {
        long counted = 0;
        long expected = (long) samples / 4 * 4;
        long deadline = System.nanoTime() + deadlineAfter.toNanos();
        long nextReport = 0;
        long peakHeap = 0;
        while (counted < expected && System.nanoTime() < deadline) {
          try {
            counted = StatsStores.labelledSamples(streams.streams().store(StoreQueryParameters.fromNameAndType(
                StatsStores.DATASET_TOTALS, QueryableStoreTypes.<String, DatasetTotals>keyValueStore())), "flood");
          } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            counted = 0;
          }
          Runtime rt = Runtime.getRuntime();
          peakHeap = Math.max(peakHeap, rt.totalMemory() - rt.freeMemory());
          if (System.nanoTime() >= nextReport) {
            System.out.printf("{\"phase\": \"streams\", \"seconds\": %.0f, \"samples_counted\": %d, \"lag\": %d, \"heap_mb\": %d}%n",
                (System.nanoTime() - t2) / 1e9, counted, lag(admin, appId), (rt.totalMemory() - rt.freeMemory()) >> 20);
            nextReport = System.nanoTime() + 5_000_000_000L;
          }
          Thread.sleep(200);
        }
        double seconds = (System.nanoTime() - t2) / 1e9;
        Thread.sleep(2_000); // a sample counted past the expected total would show by now
        counted = StatsStores.labelledSamples(streams.streams().store(StoreQueryParameters.fromNameAndType(
            StatsStores.DATASET_TOTALS, QueryableStoreTypes.<String, DatasetTotals>keyValueStore())), "flood");
        long observations = 0;
        try (var all = streams.streams().store(StoreQueryParameters.fromNameAndType(
            StatsStores.FEATURE_SUMS, QueryableStoreTypes.<String, FeatureSums>keyValueStore())).all()) {
          while (all.hasNext()) {
            FeatureSums sums = all.next().value;
            observations += sums.activeCorrect() + sums.activeIncorrect();
          }
        }
        System.out.printf("{\"phase\": \"done\", \"samples_counted\": %d, \"samples_expected\": %d, \"observations_counted\": %d,"
                + " \"observations_expected\": %d, \"lag\": %d, \"seconds\": %.1f, \"samples_per_s\": %.0f, \"peak_heap_mb\": %d,"
                + " \"max_heap_mb\": %d, \"peak_rss_mb\": %d}%n",
            counted, expected, observations, observationsExpected, lag(admin, appId), seconds, counted / seconds, peakHeap >> 20,
            Runtime.getRuntime().maxMemory() >> 20, peakRssKb() >> 10);
        return new Result(queries, s.published(), expected, counted, observationsExpected, observations);
      }
    }
  }

  /** The features active in a sample: the distinct ids over its steps (what the statistics count once per sample). */
  static long activeFeatures(SampleFeatures x) {
    return x.getSteps().stream().flatMap(st -> st.getFeatureIds().stream()).distinct().count();
  }

  /** This process's peak resident set (VmHWM), in KiB; 0 where /proc is not there. */
  static long peakRssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      // not Linux: no figure
    }
    return 0;
  }

  /** Records not yet consumed by the Streams app's group, over its input topics. */
  static long lag(Admin admin, String group) {
    try {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
      committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
      Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
      long lag = 0;
      for (var e : committed.entrySet()) {
        if (e.getValue() != null) {
          lag += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
        }
      }
      return lag;
    } catch (Exception e) {
      return -1;
    }
  }
}
