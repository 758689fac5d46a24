package dev.saerl.streams.stats;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serdes of the statistics' internal state (stores, their changelogs and the repartition topic).
 * These records never leave the Streams application, so they use a small versioned binary layout
 * rather than registered Avro: the public results are FeatureStats and SteeringPlan records.
 */
public final class InternalSerdes {
  private static final byte FORMAT = 1;

  private InternalSerdes() {}

  interface Writer<T> {
    void write(DataOutputStream out, T value) throws IOException;
  }

  interface Reader<T> {
    T read(DataInputStream in) throws IOException;
  }

  static <T> Serde<T> of(String what, Writer<T> writer, Reader<T> reader) {
    Serializer<T> ser = (topic, value) -> {
      if (value == null) {
        return null;
      }
      try {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(FORMAT);
        writer.write(out, value);
        out.flush();
        return bytes.toByteArray();
      } catch (IOException e) {
        throw new SerializationException("cannot write " + what, e);
      }
    };
    Deserializer<T> de = (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
        byte format = in.readByte();
        if (format != FORMAT) {
          throw new SerializationException(what + ": unknown format " + format + " in " + topic);
        }
        return reader.read(in);
      } catch (IOException e) {
        throw new SerializationException("cannot read " + what + " from " + topic, e);
      }
    };
    return Serdes.serdeFrom(ser, de);
  }

  public static Serde<FeatureSums> featureSums() {
    return of("feature sums", (out, v) -> writeDoubles(out, v.values()), in -> new FeatureSums(readDoubles(in)));
  }

  public static Serde<DatasetTotals> datasetTotals() {
    return of("dataset totals", (out, t) -> {
      out.writeLong(t.samplesCorrect());
      out.writeLong(t.samplesIncorrect());
      out.writeLong(t.pairedQueries());
      out.writeUTF(t.modelVersion());
      out.writeUTF(t.saeId());
      out.writeInt(t.hookLayer());
    }, in -> new DatasetTotals(in.readLong(), in.readLong(), in.readLong(), in.readUTF(), in.readUTF(), in.readInt()));
  }

  public static Serde<DatasetVersions> datasetVersions() {
    return of("dataset versions", (out, v) -> {
      out.writeInt(v.versions().size());
      for (DatasetVersions.Version x : v.versions()) {
        writeString(out, x.modelVersion());
        writeString(out, x.saeId());
        out.writeLong(x.firstSeenMs());
      }
    }, in -> {
      int n = in.readInt();
      List<DatasetVersions.Version> list = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        list.add(new DatasetVersions.Version(readString(in), readString(in), in.readLong()));
      }
      return new DatasetVersions(list);
    });
  }

  public static Serde<List<FeatureExample>> examples() {
    return of("feature examples", (out, list) -> {
      out.writeInt(list.size());
      for (FeatureExample e : list) {
        out.writeFloat(e.activation());
        out.writeUTF(e.queryId());
        out.writeUTF(e.sampleId());
        out.writeInt(e.stepIndex());
        writeString(out, e.text());
        out.writeBoolean(e.correct());
      }
    }, in -> {
      int n = in.readInt();
      List<FeatureExample> list = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        list.add(new FeatureExample(in.readFloat(), in.readUTF(), in.readUTF(), in.readInt(), readString(in), in.readBoolean()));
      }
      return list;
    });
  }

  public static Serde<QueryState> queryState() {
    return of("query state", (out, q) -> {
      out.writeUTF(q.queryId());
      out.writeUTF(q.dataset());
      out.writeInt(q.samples().size());
      for (SampleObservation s : q.samples()) {
        out.writeUTF(s.sampleId());
        out.writeByte(s.correct() == null ? -1 : s.correct() ? 1 : 0);
        out.writeUTF(s.modelVersion());
        out.writeUTF(s.saeId());
        out.writeInt(s.hookLayer());
        out.writeBoolean(s.hasFeatures());
        writeInts(out, s.featureIds());
        writeFloats(out, s.maxActivations());
        writeInts(out, s.bestSteps());
        writeStrings(out, s.stepTexts());
      }
    }, in -> {
      String queryId = in.readUTF();
      String dataset = in.readUTF();
      int n = in.readInt();
      List<SampleObservation> samples = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String id = in.readUTF();
        byte c = in.readByte();
        samples.add(new SampleObservation(id, c < 0 ? null : c == 1, in.readUTF(), in.readUTF(), in.readInt(),
            in.readBoolean(), readInts(in), readFloats(in), readInts(in), readStrings(in)));
      }
      return new QueryState(queryId, dataset, List.copyOf(samples));
    });
  }

  public static Serde<StatsDelta> statsDelta() {
    return of("statistics delta", (out, d) -> {
      out.writeUTF(d.dataset());
      out.writeUTF(d.modelVersion());
      out.writeUTF(d.saeId());
      out.writeInt(d.hookLayer());
      out.writeLong(d.correct());
      out.writeLong(d.incorrect());
      out.writeLong(d.paired());
      writeInts(out, d.featureIds());
      writeDoubles(out, d.values());
      out.writeUTF(d.queryId());
      out.writeUTF(d.sampleId());
      out.writeBoolean(d.sampleCorrect());
      writeStrings(out, d.stepTexts());
      writeInts(out, d.exampleFeatures());
      writeFloats(out, d.exampleActivations());
      writeInts(out, d.exampleSteps());
    }, in -> new StatsDelta(in.readUTF(), in.readUTF(), in.readUTF(), in.readInt(), in.readLong(), in.readLong(),
        in.readLong(), readInts(in), readDoubles(in), in.readUTF(), in.readUTF(), in.readBoolean(), readStrings(in),
        readInts(in), readFloats(in), readInts(in)));
  }

  public static Serde<dev.saerl.streams.fix.FixRates> fixRates() {
    return of("fix rates", (out, r) -> {
      out.writeInt(r.cells().size());
      for (var e : r.cells().entrySet()) {
        out.writeUTF(e.getKey());
        for (long x : e.getValue()) {
          out.writeLong(x);
        }
      }
    }, in -> {
      int n = in.readInt();
      java.util.TreeMap<String, long[]> cells = new java.util.TreeMap<>();
      for (int i = 0; i < n; i++) {
        cells.put(in.readUTF(), new long[] {in.readLong(), in.readLong(), in.readLong(), in.readLong()});
      }
      return new dev.saerl.streams.fix.FixRates(cells);
    });
  }

  public static Serde<dev.saerl.streams.fix.SampleFixes> sampleFixes() {
    return of("sample fixes", (out, s) -> {
      out.writeUTF(s.dataset());
      out.writeUTF(s.modelVersion());
      out.writeInt(s.outcomes().size());
      for (var e : s.outcomes().entrySet()) {
        out.writeUTF(e.getKey());
        out.writeBoolean(e.getValue());
      }
    }, in -> {
      String dataset = in.readUTF();
      String model = in.readUTF();
      int n = in.readInt();
      java.util.TreeMap<String, Boolean> outcomes = new java.util.TreeMap<>();
      for (int i = 0; i < n; i++) {
        outcomes.put(in.readUTF(), in.readBoolean());
      }
      return new dev.saerl.streams.fix.SampleFixes(dataset, model, outcomes);
    });
  }

  // writeUTF is limited to 64 KiB; step texts are written as length-prefixed UTF-8 instead.
  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    return new String(in.readNBytes(in.readInt()), java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void writeStrings(DataOutputStream out, List<String> list) throws IOException {
    out.writeInt(list.size());
    for (String s : list) {
      writeString(out, s);
    }
  }

  private static List<String> readStrings(DataInputStream in) throws IOException {
    int n = in.readInt();
    List<String> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(readString(in));
    }
    return List.copyOf(list);
  }

  private static void writeInts(DataOutputStream out, int[] a) throws IOException {
    out.writeInt(a.length);
    for (int x : a) {
      out.writeInt(x);
    }
  }

  private static int[] readInts(DataInputStream in) throws IOException {
    int[] a = new int[in.readInt()];
    for (int i = 0; i < a.length; i++) {
      a[i] = in.readInt();
    }
    return a;
  }

  private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
    out.writeInt(a.length);
    for (float x : a) {
      out.writeFloat(x);
    }
  }

  private static float[] readFloats(DataInputStream in) throws IOException {
    float[] a = new float[in.readInt()];
    for (int i = 0; i < a.length; i++) {
      a[i] = in.readFloat();
    }
    return a;
  }

  private static void writeDoubles(DataOutputStream out, double[] a) throws IOException {
    out.writeInt(a.length);
    for (double x : a) {
      out.writeDouble(x);
    }
  }

  private static double[] readDoubles(DataInputStream in) throws IOException {
    double[] a = new double[in.readInt()];
    for (int i = 0; i < a.length; i++) {
      a[i] = in.readDouble();
    }
    return a;
  }
}
