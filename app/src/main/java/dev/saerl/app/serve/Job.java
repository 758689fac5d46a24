package dev.saerl.app.serve;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A request waiting for, or in, a batch. The generating thread posts events (text deltas when
 * streaming, then the completion or the failure); the HTTP thread that owns the exchange takes them.
 */
final class Job {
  sealed interface Event {}

  record Delta(String text) implements Event {}

  record Done(Completion completion) implements Event {}

  record Failed(RuntimeException error) implements Event {}

  final CompletionRequest request;
  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();

  Job(CompletionRequest request) {
    this.request = request;
  }

  void delta(String text) {
    if (request.stream() && !text.isEmpty()) {
      events.add(new Delta(text));
    }
  }

  void done(Completion c) {
    events.add(new Done(c));
  }

  void failed(RuntimeException e) {
    events.add(new Failed(e));
  }

  /** The next event, or null when none came within {@code wait}. */
  Event next(Duration wait) throws InterruptedException {
    return events.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
  }
}
