package dev.saerl.schemas.serde;

import java.nio.ByteBuffer;
import org.apache.kafka.common.errors.SerializationException;

/** The Confluent framing: magic byte 0, the schema id as a 4-byte big-endian int, then Avro binary. */
public final class WireFormat {
  public static final byte MAGIC = 0;
  public static final int HEADER_SIZE = 5;

  private WireFormat() {}

  /** Reads and checks the header; the buffer is left at the first Avro byte. */
  public static int readSchemaId(String topic, ByteBuffer buffer) {
    if (buffer.remaining() < HEADER_SIZE) {
      throw new SerializationException("record on topic " + topic + " has " + buffer.remaining()
          + " bytes, fewer than the 5-byte Confluent Avro header: not an Avro record");
    }
    byte magic = buffer.get();
    if (magic != MAGIC) {
      throw new SerializationException(String.format(
          "record on topic %s is not in the Confluent Avro wire format: first byte 0x%02x, expected 0x00", topic, magic));
    }
    return buffer.getInt();
  }

  public static void writeHeader(ByteBuffer buffer, int schemaId) {
    buffer.put(MAGIC).putInt(schemaId);
  }
}
