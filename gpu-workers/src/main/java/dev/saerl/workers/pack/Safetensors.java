package dev.saerl.workers.pack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the safetensors format: 8-byte little-endian header length, a JSON header giving each
 * tensor's dtype, shape and byte range, then the raw little-endian data. F32, F16 and BF16 are
 * widened to float.
 */
public final class Safetensors {
  /** A tensor's shape and values, row-major. */
  public record Tensor(long[] shape, float[] data) {}

  private Safetensors() {}

  public static Map<String, Tensor> read(Path file) {
    return read(file, null);
  }

  /**
   * Reads only the named tensors (all when {@code names} is null); a name the file lacks is absent
   * from the result. Each tensor is mapped on its own, so files over 2 GiB read.
   */
  public static Map<String, Tensor> read(Path file, Collection<String> names) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(len, 0);
      long headerLen = len.flip().getLong();
      if (headerLen <= 0 || headerLen > Math.min(ch.size() - 8, 100_000_000)) {
        throw new ModelPackException(file + ": not a safetensors file (header length " + headerLen + ")");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      ch.read(header, 8);
      JsonNode json = new ObjectMapper().readTree(header.array());
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
        var e = it.next();
        if (!e.getKey().equals("__metadata__") && (names == null || names.contains(e.getKey()))) {
          out.put(e.getKey(), tensor(file, e.getKey(), e.getValue(), ch, 8 + headerLen));
        }
      }
      return out;
    } catch (IOException e) {
      throw new ModelPackException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
    }
  }

  private static Tensor tensor(Path file, String name, JsonNode info, FileChannel ch, long base) throws IOException {
    long[] shape = new long[info.path("shape").size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = info.path("shape").get(i).asLong();
      count *= shape[i];
    }
    long from = info.path("data_offsets").get(0).asLong();
    long to = info.path("data_offsets").get(1).asLong();
    String dtype = info.path("dtype").asText();
    int width = switch (dtype) {
      case "F32" -> 4;
      case "F16", "BF16" -> 2;
      default -> throw new ModelPackException(file + ": tensor " + name + " has unsupported dtype " + dtype);
    };
    if (to - from != count * width || base + to > ch.size()) {
      throw new ModelPackException(file + ": tensor " + name + " has bytes " + from + ".." + to + ", which do not hold "
          + count + " " + dtype + " values inside the file");
    }
    if (count > Integer.MAX_VALUE - 8) {
      throw new ModelPackException(file + ": tensor " + name + " has " + count + " values, more than one Java array holds");
    }
    ByteBuffer body = ch.map(FileChannel.MapMode.READ_ONLY, base + from, to - from).order(ByteOrder.LITTLE_ENDIAN);
    float[] data = new float[(int) count];
    switch (dtype) {
      case "F32" -> body.asFloatBuffer().get(data);
      case "F16" -> {
        for (int i = 0; i < data.length; i++) {
          data[i] = Float.float16ToFloat(body.getShort(2 * i));
        }
      }
      default -> {
        for (int i = 0; i < data.length; i++) {
          data[i] = Float.intBitsToFloat((body.getShort(2 * i) & 0xffff) << 16);
        }
      }
    }
    return new Tensor(shape, data);
  }
}
