package dev.saerl.core.deadletter;

import dev.saerl.schemas.avro.DeadLetter;
import java.nio.ByteBuffer;

/** Builds dead letters the same way in every role: the raw input kept up to {@link #PAYLOAD_LIMIT} bytes. */
public final class DeadLetters {
  public static final int PAYLOAD_LIMIT = 64 * 1024;

  private DeadLetters() {}

  public static DeadLetter of(String source, String location, String role, String code, String reason, byte[] payload) {
    byte[] raw = payload == null ? new byte[0] : payload;
    int kept = Math.min(raw.length, PAYLOAD_LIMIT);
    return DeadLetter.newBuilder().setSource(source).setLocation(location).setRole(role).setReasonCode(code)
        .setReason(reason).setPayload(ByteBuffer.wrap(raw, 0, kept)).setPayloadTruncated(kept < raw.length)
        .setFailedAtMs(System.currentTimeMillis()).build();
  }
}
