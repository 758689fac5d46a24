package dev.saerl.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;

/** Random but valid instances of any generated record type, for round-trip tests. */
public final class SampleRecords {
  private SampleRecords() {}

  public static <T extends SpecificRecord> List<T> random(Class<T> type, int count, long seed) {
    Schema schema = SpecificData.get().getSchema(type);
    SpecificDatumReader<T> reader = new SpecificDatumReader<>(schema);
    GenericDatumWriter<Object> writer = new GenericDatumWriter<>(schema);
    List<T> out = new ArrayList<>();
    Iterator<Object> it = new RandomData(schema, count, seed).iterator();
    while (it.hasNext()) {
      try {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(bytes, null);
        writer.write(it.next(), enc);
        enc.flush();
        out.add(reader.read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }
}
