package dev.saerl.workers.pack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
      ByteBuffer body = ch.map(FileChannel.MapMode.READ_ONLY, 8 + headerLen, ch.size() - 8 - headerLen).order(ByteOrder.LITTLE_ENDIAN);
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
        var e = it.next();
        if (!e.getKey().equals("__metadata__")) {
          out.put(e.getKey(), tensor(file, e.getKey(), e.getValue(), body));
        }
      }
      return out;
    } catch (IOException e) {
      throw new ModelPackException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
    }
  }

  private static Tensor tensor(Path file, String name, JsonNode info, ByteBuffer body) {
    long[] shape = new long[info.path("shape").size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = info.path("shape").get(i).asLong();
      count *= shape[i];
    }
    int start = info.path("data_offsets").get(0).asInt();
    String dtype = info.path("dtype").asText();
    float[] data = new float[Math.toIntExact(count)];
    for (int i = 0; i < data.length; i++) {
      data[i] = switch (dtype) {
        case "F32" -> body.getFloat(start + 4 * i);
        case "F16" -> Float.float16ToFloat(body.getShort(start + 2 * i));
        case "BF16" -> Float.intBitsToFloat((body.getShort(start + 2 * i) & 0xffff) << 16);
        default -> throw new ModelPackException(file + ": tensor " + name + " has unsupported dtype " + dtype);
      };
    }
    return new Tensor(shape, data);
  }
}
