package dev.saerl.app.serve;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generating thread behind a bounded queue. It takes the first waiting job, collects whatever
 * else arrives within {@code window} (and whatever queued up while the last batch ran), up to
 * {@code maxBatch} jobs, and hands them to the runner as one batch. A full queue refuses the job
 * ({@link #offer} false: the server answers 429).
 */
public final class BatchScheduler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BatchScheduler.class);

  /** Runs a batch; posts each job's events itself. */
  @FunctionalInterface
  interface Runner {
    void run(List<Job> jobs);
  }

  private final ArrayBlockingQueue<Job> queue;
  private final Runner runner;
  private final int maxBatch;
  private final long windowNanos;
  private final Thread worker;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong rows = new AtomicLong();
  private volatile boolean running = true;

  BatchScheduler(Runner runner, int queueSize, int maxBatch, Duration window) {
    if (queueSize < 1 || maxBatch < 1) {
      throw new IllegalArgumentException("queue size and max batch must be at least 1, got " + queueSize + ", " + maxBatch);
    }
    this.queue = new ArrayBlockingQueue<>(queueSize);
    this.runner = runner;
    this.maxBatch = maxBatch;
    this.windowNanos = window.toNanos();
    this.worker = Thread.ofPlatform().name("serve-batches").daemon().start(this::loop);
  }

  /** Queues a job; false when the queue is full. */
  boolean offer(Job job) {
    return running && queue.offer(job);
  }

  /** Batches run so far. */
  public long batches() {
    return batches.get();
  }

  /** Requests run so far, over all batches. */
  public long rows() {
    return rows.get();
  }

  private void loop() {
    while (running) {
      List<Job> batch = new ArrayList<>();
      try {
        Job first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        long deadline = System.nanoTime() + windowNanos;
        while (batch.size() < maxBatch) {
          long left = deadline - System.nanoTime();
          Job next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) {
            break;
          }
          batch.add(next);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        batch.forEach(j -> j.failed(new IllegalStateException("the server is shutting down")));
        return;
      }
      batches.incrementAndGet();
      rows.addAndGet(batch.size());
      try {
        runner.run(batch);
      } catch (RuntimeException e) {
        LOG.warn("a batch of {} requests failed", batch.size(), e);
        batch.forEach(j -> j.failed(e));
      }
    }
  }

  @Override
  public void close() {
    running = false;
    worker.interrupt();
    try {
      worker.join(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Job j; (j = queue.poll()) != null; ) {
      j.failed(new IllegalStateException("the server is shutting down"));
    }
  }
}
