package dev.saerl.app.cli;

import dev.saerl.app.config.SaerlConfig;
import dev.saerl.producers.ingest.IngestSummary;
import dev.saerl.producers.ingest.Ingestor;
import dev.saerl.producers.ingest.KafkaQuerySink;
import dev.saerl.producers.ingest.Split;
import dev.saerl.schemas.registry.HttpSchemaRegistry;
import dev.saerl.schemas.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = {"Publishes a dataset file (JSONL or CSV; GSM8K, MATH or generic {question, answer}) to the queries topic.",
        "Each row is validated; a bad row goes to dead-letters with file, line and reason while the rest go in.",
        "Ids are stable (the row's id or a content hash), so ingesting the same file again changes nothing.",
        "Rephrasings sharing a group_id land on the same side of the seeded KNOWN/UNKNOWN split."})
public final class IngestCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "The dataset file (.jsonl or .csv).")
  Path file;

  @Option(names = "--dataset", required = true, paramLabel = "NAME", description = "Dataset name (statistics and plans are kept per dataset).")
  String dataset;

  @Option(names = "--split-seed", defaultValue = "17", description = "Seed of the KNOWN/UNKNOWN split (default: ${DEFAULT-VALUE}).")
  long splitSeed;

  @Option(names = "--unknown-fraction", defaultValue = "0.3", description = "Share of groups held out as UNKNOWN (default: ${DEFAULT-VALUE}).")
  double unknownFraction;

  @Mixin
  ConnectionOptions connection;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("no such file: " + file);
    }
    SaerlConfig config = connection.resolve();
    try (HttpSchemaRegistry registry = config.registry();
         KafkaQuerySink sink = new KafkaQuerySink(config.kafkaClient(), new Topics(config.topicPrefix(), registry));
         ProgressBar bar = new ProgressBar("ingest " + file.getFileName(), Files.size(file), "KiB", 1024)) {
      IngestSummary summary = new Ingestor(dataset, new Split(splitSeed, unknownFraction), sink).ingest(file, bar::update);
      bar.close();
      System.out.println(summary);
      return 0;
    }
  }
}
