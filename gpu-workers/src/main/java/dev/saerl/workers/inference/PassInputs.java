package dev.saerl.workers.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The decoder's fixed inputs (ids, positions, attention mask, steer) in native memory. Pooled, each
 * input keeps one grow-only direct buffer and the tensor over it, remade only when the shape
 * changes (a decode loop at one batch size reuses the same tensors every step; ONNX Runtime reads
 * the buffer when the pass runs); a null steer is a zero buffer that is never written. Fresh, every
 * pass allocates its own buffers and tensors: the reference the pooled inputs are checked against,
 * and how the decoder worked before. Not thread-safe: one pass at a time.
 */
final class PassInputs implements AutoCloseable {
  private final boolean pooled;
  private final Slot ids = new Slot();
  private final Slot positions = new Slot();
  private final Slot mask = new Slot();
  private final Slot steer = new Slot();
  private final Slot zeroSteer = new Slot();
  private final Slot emptyPast = new Slot();
  /** Fresh mode: this pass's tensors, closed by {@link #endPass()}. */
  private final List<OnnxTensor> transients = new ArrayList<>();

  PassInputs(boolean pooled) {
    this.pooled = pooled;
  }

  OnnxTensor ids(long[] v, long[] shape) throws OrtException {
    return longs(ids, v, shape);
  }

  OnnxTensor positions(long[] v, long[] shape) throws OrtException {
    return longs(positions, v, shape);
  }

  OnnxTensor mask(long[] v, long[] shape) throws OrtException {
    return longs(mask, v, shape);
  }

  /** The steer input [B,T,D]; null is zeros. */
  OnnxTensor steer(float[] v, long[] shape) throws OrtException {
    if (v != null) {
      return floats(steer, v, shape, v.length);
    }
    return floats(zeroSteer, null, shape, Math.toIntExact(count(shape)));
  }

  /** An empty past [B, n_kv_head, 0, head_dim]: one tensor serves every layer. */
  OnnxTensor emptyPast(long[] shape) throws OrtException {
    return floats(emptyPast, null, shape, 0);
  }

  /** Closes what this pass made for itself (fresh mode); pooled tensors live on. */
  void endPass() {
    transients.forEach(OnnxTensor::close);
    transients.clear();
  }

  private OnnxTensor longs(Slot slot, long[] v, long[] shape) throws OrtException {
    if (!pooled) {
      LongBuffer b = direct(Math.max(8, v.length * 8)).asLongBuffer();
      b.put(v).flip();
      return fresh(OnnxTensor.createTensor(OrtRuntime.env(), b, shape));
    }
    slot.fit(v.length * 8, shape);
    slot.bytes.asLongBuffer().put(v);
    if (slot.tensor == null) {
      LongBuffer view = slot.bytes.asLongBuffer().limit(v.length);
      slot.tensor = OnnxTensor.createTensor(OrtRuntime.env(), view, shape);
    }
    return slot.tensor;
  }

  /** v null: zeros (the slot's buffer is never written, and direct buffers start zeroed). */
  private OnnxTensor floats(Slot slot, float[] v, long[] shape, int n) throws OrtException {
    if (!pooled) {
      FloatBuffer b = direct(Math.max(4, n * 4)).asFloatBuffer();
      b.put(v == null ? new float[n] : v).flip();
      return fresh(OnnxTensor.createTensor(OrtRuntime.env(), b, shape));
    }
    slot.fit(n * 4, shape);
    if (v != null) {
      slot.bytes.asFloatBuffer().put(v);
    }
    if (slot.tensor == null) {
      FloatBuffer view = slot.bytes.asFloatBuffer().limit(n);
      slot.tensor = OnnxTensor.createTensor(OrtRuntime.env(), view, shape);
    }
    return slot.tensor;
  }

  private OnnxTensor fresh(OnnxTensor t) {
    transients.add(t);
    return t;
  }

  private static ByteBuffer direct(int bytes) {
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  private static long count(long[] shape) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    return n;
  }

  @Override
  public void close() {
    endPass();
    for (Slot s : new Slot[] {ids, positions, mask, steer, zeroSteer, emptyPast}) {
      s.drop();
    }
  }

  /** One input's grow-only buffer and the tensor over its first elements, for the last shape. */
  private static final class Slot {
    ByteBuffer bytes;
    long[] shape;
    OnnxTensor tensor;

    /** Room for {@code need} bytes; the tensor is dropped when the shape changes or the buffer grows. */
    void fit(int need, long[] want) {
      if (bytes == null || bytes.capacity() < need) {
        drop();
        // grow by half again, so a batch that widens step by step does not reallocate every time
        int size = bytes == null ? Math.max(64, need) : Math.max(need, bytes.capacity() + bytes.capacity() / 2);
        bytes = direct(size);
      } else if (!Arrays.equals(shape, want)) {
        dropTensor();
      }
      shape = want.clone();
    }

    void dropTensor() {
      if (tensor != null) {
        tensor.close();
        tensor = null;
      }
    }

    void drop() {
      dropTensor();
      bytes = null;
    }
  }
}
