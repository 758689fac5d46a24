package dev.saerl.producers.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.saerl.schemas.avro.DeadLetter;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SourceFormat;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestorTest {
  @TempDir
  Path tmp;

  /** Collects what ingest publishes; the Kafka sink is exercised by the integration test. */
  static final class Collected implements QuerySink {
    final List<Query> queries = new ArrayList<>();
    final List<DeadLetter> dead = new ArrayList<>();
    final java.util.Map<String, dev.saerl.schemas.avro.SplitPin> pins = new java.util.HashMap<>();

    public dev.saerl.schemas.avro.SplitPin pinnedSplit(String dataset) {
      return pins.get(dataset);
    }

    public void pinSplit(dev.saerl.schemas.avro.SplitPin pin) {
      pins.put(pin.getDataset(), pin);
    }

    public void query(Query q) {
      queries.add(q);
    }

    public void deadLetter(DeadLetter d) {
      dead.add(d);
    }

    public void flush() {}

    public void close() {}
  }

  @Test
  void aDatasetIsPinnedToItsFirstSplitAndAnotherSplitIsRefusedBeforeAnythingIsPublished() throws Exception {
    Path file = tmp.resolve("d.jsonl");
    java.nio.file.Files.writeString(file, "{\"question\": \"What is 2 + 3?\", \"answer\": \"5\"}\n");
    Collected sink = new Collected();
    new Ingestor("pinned", Split.DEFAULT, sink).ingest(file, b -> {});
    assertEquals(17, sink.pins.get("pinned").getSeed());
    new Ingestor("pinned", Split.DEFAULT, sink).ingest(file, b -> {}); // the same split again: fine
    assertEquals(2, sink.queries.size());
    var e = org.junit.jupiter.api.Assertions.assertThrows(Ingestor.SplitMismatchException.class,
        () -> new Ingestor("pinned", new Split(18, 0.3), sink).ingest(file, b -> {}));
    assertTrue(e.getMessage().contains("seed 17") && e.getMessage().contains("seed 18"), e.getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(Ingestor.SplitMismatchException.class,
        () -> new Ingestor("pinned", new Split(17, 0.2), sink).ingest(file, b -> {}));
    assertEquals(2, sink.queries.size(), "a refused ingest publishes nothing");
    new Ingestor("other", new Split(18, 0.2), sink).ingest(file, b -> {}); // another dataset has its own pin
    assertEquals(3, sink.queries.size());
  }

  @Test
  void everyPartOfTheSplitGetsItsShareOfGroupsAndUnknownIsWhatTheTwoWaySplitGave() {
    java.util.Map<dev.saerl.schemas.avro.Split, Integer> counts = new java.util.EnumMap<>(dev.saerl.schemas.avro.Split.class);
    int n = 20000;
    for (int g = 0; g < n; g++) {
      counts.merge(Split.DEFAULT.of("g" + g), 1, Integer::sum);
    }
    assertEquals(0.3, counts.get(dev.saerl.schemas.avro.Split.UNKNOWN) / (double) n, 0.015);
    for (var part : List.of(dev.saerl.schemas.avro.Split.KNOWN_VAL, dev.saerl.schemas.avro.Split.KNOWN_SELECT_A,
        dev.saerl.schemas.avro.Split.KNOWN_SELECT_B)) {
      assertEquals(0.1, counts.get(part) / (double) n, 0.01, part.toString());
    }
    assertEquals(0.4, counts.get(dev.saerl.schemas.avro.Split.KNOWN) / (double) n, 0.015);
    // the UNKNOWN rule is the foundry's (tools/foundry/foundry/task.py split_of): the same groups are held out
    Split twoWay = new Split(17, 0.3, 0, 0, 0);
    for (int g = 0; g < 2000; g++) {
      boolean unknown = Split.DEFAULT.of("g" + g) == dev.saerl.schemas.avro.Split.UNKNOWN;
      assertEquals(unknown, twoWay.of("g" + g) == dev.saerl.schemas.avro.Split.UNKNOWN);
    }
  }

  static Path repo() {
    return Path.of(System.getProperty("saerl.repo.root", ".."));
  }

  @Test
  void gsm8kIngestsWithNoRejectionsAndTheSameIdsEveryTime() {
    Path file = repo().resolve("testdata/gsm8k/gsm8k_test.jsonl");
    Collected a = new Collected();
    IngestSummary s = new Ingestor("gsm8k", Split.DEFAULT, a).ingest(file, b -> {});
    assertEquals(1319, s.rowsRead());
    assertEquals(1319, s.published(), s.toString());
    assertEquals(0, s.rejectedTotal(), s.toString());
    assertEquals(SourceFormat.GSM8K, a.queries.get(0).getFormat());
    assertEquals("18", a.queries.get(0).getReferenceAnswer());
    assertTrue(a.queries.stream().anyMatch(q -> q.getReferenceAnswer().equals("1,450,000") || q.getReferenceAnswer().contains(",")));
    Collected b = new Collected();
    new Ingestor("gsm8k", Split.DEFAULT, b).ingest(file, x -> {});
    assertEquals(a.queries, b.queries);
  }

  @Test
  void theBundledDatasetSplitsByGroupAsTheFoundryDoes() {
    Collected c = new Collected();
    IngestSummary s = new Ingestor("arith", Split.DEFAULT, c).ingest(repo().resolve("datasets/arith.jsonl"), b -> {});
    assertEquals(1200, s.published());
    assertEquals(315, s.unknown(), "the foundry's split_of(seed 17, 0.3) counts 315 UNKNOWN rows");
    Map<String, dev.saerl.schemas.avro.Split> sideOfGroup = new HashMap<>();
    for (Query q : c.queries) {
      assertEquals(sideOfGroup.computeIfAbsent(q.getGroupId(), g -> q.getSplit()), q.getSplit(), q.getGroupId());
    }
  }

  @Test
  void everyBadRowIsDeadLetteredWithItsLineAndTheGoodRowsAroundItGoIn() throws Exception {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    String[] lines = {
        "{\"question\": \"1 + 1?\", \"answer\": \"2\"}",                       // 1 good
        "{\"question\": \"broken\", ",                                          // 2 bad json
        "{\"answer\": \"3\"}",                                                  // 3 missing question
        "{\"question\": \"\", \"answer\": \"3\"}",                              // 4 empty question
        "{\"question\": \"2 + 2?\", \"answer\": \"Sum #### \"}",                // 5 unparseable
        "{\"id\": \"x1\", \"question\": \"3 + 3?\", \"answer\": \"6\"}",        // 6 good
        "{\"id\": \"x1\", \"question\": \"3 + 4?\", \"answer\": \"7\"}",        // 7 duplicate id
        "{\"question\": \"" + "9".repeat(30_000) + "\", \"answer\": \"9\"}",   // 8 too long
        "[1, 2, 3]",                                                            // 9 not an object
    };
    for (String l : lines) {
      f.write(l.getBytes(StandardCharsets.UTF_8));
      f.write('\n');
    }
    f.write(new byte[] {'{', '"', 'q', (byte) 0xff, (byte) 0xfe, '"', '}', '\n'}); // 10 bad UTF-8
    f.write("{\"question\": \"What is \\\\boxed?\", \"solution\": \"so \\\\boxed{\\\\frac{1}{2}}\"}\n".getBytes(StandardCharsets.UTF_8)); // 11 MATH
    Path file = tmp.resolve("bad.jsonl");
    Files.write(file, f.toByteArray());
    Collected c = new Collected();
    IngestSummary s = new Ingestor("mixed", Split.DEFAULT, c).ingest(file, b -> {});
    assertEquals(11, s.rowsRead());
    assertEquals(3, s.published(), s.toString());
    assertEquals(List.of("1 + 1?", "3 + 3?", "What is \\boxed?"), c.queries.stream().map(Query::getQuestion).toList());
    assertEquals("\\frac{1}{2}", c.queries.get(2).getReferenceAnswer());
    Map<String, String> byLine = new HashMap<>();
    c.dead.forEach(d -> byLine.put(d.getLocation(), d.getReasonCode()));
    assertEquals(Map.of("line 2", "bad_json", "line 3", "missing_field", "line 4", "missing_field", "line 5", "unparseable_answer",
        "line 7", "duplicate_id", "line 8", "too_long", "line 9", "bad_json", "line 10", "bad_utf8"), byLine);
    assertTrue(c.dead.stream().allMatch(d -> d.getReason().contains(file.toString())));
  }

  @Test
  void csvWithQuestionAndAnswerColumnsIngests() throws Exception {
    Path file = tmp.resolve("d.csv");
    Files.writeString(file, "id,question,answer,group_id\nq1,\"How many, really?\",12,g\nq2,Twice 6?,12,g\nq3,,5,h\n");
    Collected c = new Collected();
    IngestSummary s = new Ingestor("csv", Split.DEFAULT, c).ingest(file, b -> {});
    assertEquals(2, s.published(), s.toString());
    assertEquals("How many, really?", c.queries.get(0).getQuestion());
    assertEquals(c.queries.get(0).getSplit(), c.queries.get(1).getSplit());
    assertEquals(1, s.rejected().get("missing_field"));
  }

  @Test
  void aBadDatasetNameIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Ingestor("my data", Split.DEFAULT, new Collected()));
  }
}
