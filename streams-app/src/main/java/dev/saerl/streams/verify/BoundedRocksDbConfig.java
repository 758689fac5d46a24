package dev.saerl.streams.verify;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the off-heap memory of every RocksDB store in the JVM: one block cache shared by all
 * stores, with memtables charged against it, so the total stays at {@link #TOTAL_BYTES_CONFIG}
 * (default 64 MiB) however many stores and partitions an instance holds.
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {
  /** Streams property: total bytes for block cache plus memtables. */
  public static final String TOTAL_BYTES_CONFIG = "saerl.rocksdb.total.bytes";
  static final long DEFAULT_TOTAL_BYTES = 64L << 20;

  private static Cache cache;
  private static WriteBufferManager writeBuffers;

  private static synchronized void initShared(Map<String, Object> configs) {
    if (cache == null) {
      Object v = configs.get(TOTAL_BYTES_CONFIG);
      long total = v == null ? DEFAULT_TOTAL_BYTES : Long.parseLong(v.toString());
      // A quarter of the budget for memtables, counted inside the cache; 10% reserved for index and filter blocks.
      cache = new LRUCache(total, -1, false, 0.1);
      writeBuffers = new WriteBufferManager(total / 4, cache);
    }
  }

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    initShared(configs);
    BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
    table.setBlockCache(cache);
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    options.setWriteBufferManager(writeBuffers);
    options.setWriteBufferSize(4L << 20);
    options.setMaxWriteBufferNumber(2);
    options.setTableFormatConfig(table);
  }

  @Override
  public void close(String storeName, Options options) {
    // The cache and write buffer manager are shared by every store of the JVM: never closed here.
  }
}
