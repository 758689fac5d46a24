package dev.saerl.workers.pack;

/** The pack's SAE: its kind (topk), sizes, files and identity. */
public record SaeSpec(String kind, int dIn, int features, int k, String encodeFile, String decodeFile, String weightsFile, String id) {}
