package dev.saerl.producers.ingest;

/** Why a row was not published: a stable code and a message naming the field. */
public record Rejection(String code, String reason) {
  static Rejection of(String codeAndReason) {
    int colon = codeAndReason.indexOf(':');
    return colon < 0 ? new Rejection("invalid", codeAndReason)
        : new Rejection(codeAndReason.substring(0, colon), codeAndReason.substring(colon + 1));
  }
}
