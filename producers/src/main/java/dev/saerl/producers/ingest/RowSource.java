package dev.saerl.producers.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Streams the rows of a JSONL or CSV file (never the whole file in memory). A row that is not
 * valid UTF-8 or not parseable is handed on with its read error, so the rows around it still go in.
 */
public final class RowSource {
  public static final int MAX_LINE_BYTES = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private RowSource() {}

  /** Calls {@code rows} for every row; {@code bytesRead} reports progress. */
  public static void read(Path file, Consumer<RawRow> rows, LongConsumer bytesRead) {
    String name = file.toString();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      if (name.toLowerCase().endsWith(".csv")) {
        readCsv(name, in, rows, bytesRead);
      } else {
        readJsonl(name, in, rows, bytesRead);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static void readJsonl(String file, InputStream in, Consumer<RawRow> rows, LongConsumer progress) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    long lineNo = 0;
    long bytes = 0;
    boolean tooLong = false;
    for (int b; ; ) {
      b = in.read();
      if (b == -1 || b == '\n') {
        if (b != -1 || line.size() > 0 || tooLong) {
          lineNo++;
          rows.accept(jsonRow(file, lineNo, line.toByteArray(), tooLong));
          progress.accept(bytes);
        }
        line.reset();
        tooLong = false;
        if (b == -1) {
          return;
        }
      } else if (line.size() < MAX_LINE_BYTES) {
        line.write(b);
      } else {
        tooLong = true;
      }
      bytes++;
    }
  }

  private static RawRow jsonRow(String file, long lineNo, byte[] bytes, boolean tooLong) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return RawRow.error(file, lineNo, new String(bytes, StandardCharsets.UTF_8), "bad_utf8:line is not valid UTF-8");
    }
    if (tooLong) {
      return RawRow.error(file, lineNo, text, "too_long:line is longer than " + MAX_LINE_BYTES + " bytes");
    }
    if (text.isBlank()) {
      return RawRow.error(file, lineNo, text, "empty_line:blank line");
    }
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (IOException e) {
      return RawRow.error(file, lineNo, text, "bad_json:" + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
    }
    if (!node.isObject()) {
      return RawRow.error(file, lineNo, text, "bad_json:line is JSON but not an object");
    }
    Map<String, String> fields = new HashMap<>();
    node.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
    return new RawRow(file, lineNo, fields, text, null);
  }

  private static void readCsv(String file, InputStream in, Consumer<RawRow> rows, LongConsumer progress) throws IOException {
    var reader = new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE));
    CSVFormat format = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).setIgnoreSurroundingSpaces(true).build();
    long n = 0;
    try (var parser = format.parse(reader)) {
      var it = parser.iterator();
      while (true) {
        CSVRecord rec;
        try {
          if (!it.hasNext()) {
            return;
          }
          rec = it.next();
        } catch (UncheckedIOException | IllegalStateException e) {
          rows.accept(RawRow.error(file, n + 1, "", "bad_csv:" + e.getMessage()));
          return; // the parser cannot resynchronise after a broken quote
        }
        n = rec.getRecordNumber();
        String raw = String.join(",", rec.values());
        if (raw.indexOf('\uFFFD') >= 0) {
          rows.accept(RawRow.error(file, n, raw, "bad_utf8:record is not valid UTF-8"));
        } else if (!rec.isConsistent()) {
          rows.accept(RawRow.error(file, n, raw, "bad_csv:record has " + rec.size() + " fields, header has " + parser.getHeaderNames().size()));
        } else {
          rows.accept(new RawRow(file, n, new HashMap<>(rec.toMap()), raw, null));
        }
        progress.accept(rec.getCharacterPosition());
      }
    }
  }
}
