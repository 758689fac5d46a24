package dev.saerl.producers.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.saerl.schemas.avro.DeadLetter;
import dev.saerl.schemas.avro.Query;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The bad-input corpus (testdata/bad-input, growing; expected.json says what each file must give):
 * every bad row becomes a dead letter naming the file and line and a reason, every good row around
 * it is published, and ingest never fails on data.
 */
class BadInputCorpusTest {
  static Path corpus() {
    return Path.of(System.getProperty("saerl.repo.root", "..")).resolve("testdata/bad-input");
  }

  @TestFactory
  java.util.stream.Stream<DynamicTest> everyFileOfTheCorpus() throws Exception {
    JsonNode expected = new ObjectMapper().readTree(corpus().resolve("expected.json").toFile());
    return java.util.stream.StreamSupport.stream(((Iterable<Map.Entry<String, JsonNode>>) expected::fields).spliterator(), false)
        .map(e -> DynamicTest.dynamicTest(e.getKey(), () -> check(e.getKey(), e.getValue())));
  }

  static void check(String name, JsonNode want) {
    Path file = corpus().resolve(name);
    IngestorTest.Collected sink = new IngestorTest.Collected();
    IngestSummary s = new Ingestor("bad", Split.DEFAULT, sink).ingest(file, b -> {});
    Map<String, Long> reasons = new TreeMap<>(s.rejected());
    String got = name + ": read " + s.rowsRead() + ", published " + s.published() + ", rejected " + reasons
        + "\n  dead letters: " + sink.dead.stream().map(d -> d.getLocation() + " " + d.getReasonCode() + " " + d.getReason()).toList()
        + "\n  published: " + sink.queries.stream().map(Query::getQueryId).toList();
    System.out.println(got);
    assertEquals(want.get("published").asLong(), s.published(), got);
    Map<String, Long> wantReasons = new TreeMap<>();
    want.get("rejected").fields().forEachRemaining(r -> wantReasons.put(r.getKey(), r.getValue().asLong()));
    assertEquals(wantReasons, reasons, got);
    assertEquals(s.rejectedTotal(), sink.dead.size(), "one dead letter per rejected row");
    for (DeadLetter d : sink.dead) {
      assertTrue(d.getSource().contains(name) || d.getLocation().contains(name), "dead letter names the file: " + d);
      assertTrue(d.getLocation().matches(".*line \\d+.*"), "dead letter names the line: " + d.getLocation());
      assertTrue(!d.getReason().isBlank(), "dead letter says why: " + d);
    }
  }
}
