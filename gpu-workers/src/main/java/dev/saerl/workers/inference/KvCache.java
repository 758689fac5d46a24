package dev.saerl.workers.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.saerl.workers.pack.Architecture;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * The KV cache of a batch, owned by the runtime: per layer a key and a value buffer
 * [B, n_kv_head, capacity, head_dim] in native memory, handed to ONNX Runtime as the pass's past
 * without copying, and a slot mask [B, capacity] (1 where a row has a real token). A pass attends to
 * all {@code capacity} slots (empty ones are masked), so a cache should not be much larger than what
 * is filled: it grows by an eighth, at least {@link #GROWTH} slots, when it runs out. Rows fill
 * their slots in order, so a real slot's position is the count of real slots before it.
 */
public final class KvCache implements AutoCloseable {
  /** The fewest slots a growing cache adds. */
  public static final int GROWTH = 32;

  private final Architecture arch;
  private final FloatBuffer[] slots;
  private final OnnxTensor[] tensors;
  private int batch;
  private int capacity;
  private int length;
  private long[] mask;

  KvCache(Architecture arch, int batch, int capacity) {
    this.arch = arch;
    this.batch = batch;
    this.capacity = Math.max(1, capacity);
    this.slots = new FloatBuffer[2 * arch.nLayer()];
    this.tensors = new OnnxTensor[slots.length];
    for (int i = 0; i < slots.length; i++) {
      slots[i] = allocate(batch * rowSize());
    }
    this.mask = new long[batch * this.capacity];
  }

  private int rowSize() {
    return arch.nKvHead() * capacity * arch.headDim();
  }

  private static FloatBuffer allocate(int floats) {
    return ByteBuffer.allocateDirect(Math.max(4, floats * 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  public int batch() {
    return batch;
  }

  /** Slots filled so far (the same for every row; padding and finished rows hold masked slots). */
  public int length() {
    return length;
  }

  public int capacity() {
    return capacity;
  }

  /** The graph's attention_mask [B, capacity + seq]: the slot mask, then the new tokens' mask [B, seq]. */
  long[] attentionMask(long[] newMask, int seq) {
    long[] out = new long[batch * (capacity + seq)];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(mask, b * capacity, out, b * (capacity + seq), capacity);
      System.arraycopy(newMask, b * seq, out, b * (capacity + seq) + capacity, seq);
    }
    return out;
  }

  /** The past tensor for index 2*layer (keys) or 2*layer+1 (values): a view of the buffer, made once per shape. */
  OnnxTensor tensor(int index) throws OrtException {
    if (tensors[index] == null) {
      FloatBuffer view = slots[index].duplicate().clear().limit(batch * rowSize());
      tensors[index] = OnnxTensor.createTensor(OrtRuntime.env(), view,
          new long[] {batch, arch.nKvHead(), capacity, arch.headDim()});
    }
    return tensors[index];
  }

  /** Makes room for {@code seq} more slots (before a pass builds its mask and reads the views). */
  void ensureRoom(int seq) {
    if (length + seq <= capacity) {
      return;
    }
    int grown = Math.max(capacity + Math.max(GROWTH, capacity / 8), length + seq);
    int hd = arch.headDim();
    for (int i = 0; i < slots.length; i++) {
      FloatBuffer next = allocate(batch * arch.nKvHead() * grown * hd);
      for (int bh = 0; bh < batch * arch.nKvHead(); bh++) {
        next.put(bh * grown * hd, slots[i], bh * capacity * hd, length * hd);
      }
      slots[i] = next;
    }
    long[] nextMask = new long[batch * grown];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(mask, b * capacity, nextMask, b * grown, length);
    }
    mask = nextMask;
    capacity = grown;
    dropViews();
  }

  /** Writes a pass's keys and values [B, n_kv_head, seq, head_dim] into the next slots. */
  void append(OrtSession.Result result, List<String> newNames, long[] newMask, int seq) {
    int hd = arch.headDim();
    for (int i = 0; i < slots.length; i++) {
      FloatBuffer fresh = ((OnnxTensor) result.get(newNames.get(i)).orElseThrow()).getFloatBuffer();
      for (int bh = 0; bh < batch * arch.nKvHead(); bh++) {
        slots[i].put((bh * capacity + length) * hd, fresh, bh * seq * hd, seq * hd);
      }
    }
    for (int b = 0; b < batch; b++) {
      System.arraycopy(newMask, b * seq, mask, b * capacity + length, seq);
    }
    length += seq;
  }

  /**
   * Copies {@code count} slots of row {@code fromRow} of another cache, from slot {@code fromSlot},
   * into row {@code toRow} at {@code toSlot}, with their mask: prompts prefilled apart join the batch.
   */
  void copyRow(KvCache from, int fromRow, int fromSlot, int toRow, int toSlot, int count) {
    int hd = arch.headDim();
    int heads = arch.nKvHead();
    for (int i = 0; i < slots.length; i++) {
      for (int h = 0; h < heads; h++) {
        slots[i].put(((toRow * heads + h) * capacity + toSlot) * hd, from.slots[i],
            ((fromRow * heads + h) * from.capacity + fromSlot) * hd, count * hd);
      }
    }
    System.arraycopy(from.mask, fromRow * from.capacity + fromSlot, mask, toRow * capacity + toSlot, count);
  }

  /** Declares the first {@code n} slots written (by {@link #copyRow}); their mask says which are real. */
  void filled(int n) {
    if (n > capacity) {
      throw new IllegalArgumentException(n + " slots filled in a cache of " + capacity);
    }
    length = n;
  }

  /** Keeps only the given rows (ascending), in that order: a batch shrinks as rows finish. */
  public void keep(int[] rows) {
    int row = rowSize();
    for (int k = 0; k < rows.length; k++) {
      if (k > 0 && rows[k] <= rows[k - 1]) {
        throw new IllegalArgumentException("rows must ascend: " + Arrays.toString(rows));
      }
      if (rows[k] != k) {
        for (FloatBuffer s : slots) {
          s.put(k * row, s, rows[k] * row, row);
        }
        System.arraycopy(mask, rows[k] * capacity, mask, k * capacity, capacity);
      }
    }
    batch = rows.length;
    dropViews();
  }

  private void dropViews() {
    for (int i = 0; i < tensors.length; i++) {
      if (tensors[i] != null) {
        tensors[i].close();
        tensors[i] = null;
      }
    }
  }

  @Override
  public void close() {
    dropViews();
  }
}
