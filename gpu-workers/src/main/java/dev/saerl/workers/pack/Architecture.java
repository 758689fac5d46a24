package dev.saerl.workers.pack;

/** The decoder's shape, as the manifest states it. */
public record Architecture(int vocabSize, int dModel, int nLayer, int nHead, int nKvHead, int headDim, int maxSeqLen) {
  public Architecture {
    if (vocabSize < 1 || dModel < 1 || nLayer < 1 || nHead < 1 || nKvHead < 1 || headDim < 1) {
      throw new IllegalArgumentException("architecture sizes must be positive");
    }
  }
}
