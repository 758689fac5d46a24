package dev.saerl.producers.examine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The examiner client against a stub endpoint on loopback: retries, refusals, the deadline, the rate, the key. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExaminerClientTest {
  static ExaminerClient.Config config(StubExaminer stub, double rate, Duration deadline, int attempts) {
    return new ExaminerClient.Config(stub.url(), "asked-model", "k3y", rate, Duration.ofSeconds(10), deadline, attempts,
        Duration.ofMillis(50));
  }

  @Test
  void a429AndA503AreRetriedWithBackoffAndThenTheAnswerComes() throws Exception {
    AtomicInteger n = new AtomicInteger();
    try (StubExaminer stub = new StubExaminer(s -> switch (n.getAndIncrement()) {
          case 0 -> StubExaminer.Answer.status(429);
          case 1 -> StubExaminer.Answer.status(503);
          default -> StubExaminer.Answer.ok("fine");
        });
         ExaminerClient client = new ExaminerClient(config(stub, 100, Duration.ofSeconds(30), 5))) {
      ExaminerClient.Reply r = client.chat("hello", 0, 8, 1);
      assertEquals("fine", r.text());
      assertEquals(3, r.attempts());
      assertEquals(3, stub.seen().size());
      long firstGap = stub.seen().get(1).nanos() - stub.seen().get(0).nanos();
      long secondGap = stub.seen().get(2).nanos() - stub.seen().get(1).nanos();
      assertTrue(firstGap >= TimeUnit.MILLISECONDS.toNanos(50), "backoff 50 ms before the second attempt: " + firstGap);
      assertTrue(secondGap >= TimeUnit.MILLISECONDS.toNanos(100), "doubled to 100 ms before the third: " + secondGap);
    }
  }

  @Test
  void aBadRequestIsNotRetried() throws Exception {
    try (StubExaminer stub = new StubExaminer(s -> StubExaminer.Answer.status(400));
         ExaminerClient client = new ExaminerClient(config(stub, 100, Duration.ofSeconds(30), 5))) {
      var e = assertThrows(ExaminerClient.ExaminerException.class, () -> client.chat("hello", 0, 8, 1));
      assertFalse(e.deadline());
      assertTrue(e.getMessage().contains("HTTP 400"), e.getMessage());
      assertEquals(1, stub.seen().size(), "a 400 is the caller's fault: asking again cannot help");
    }
  }

  @Test
  void anEndpointThatKeepsAnswering429IsGivenUpAtTheDeadline() throws Exception {
    try (StubExaminer stub = new StubExaminer(s -> StubExaminer.Answer.status(429));
         ExaminerClient client = new ExaminerClient(config(stub, 100, Duration.ofSeconds(1), 1000))) {
      long start = System.nanoTime();
      var e = assertThrows(ExaminerClient.ExaminerException.class, () -> client.chat("hello", 0, 8, 1));
      long took = System.nanoTime() - start;
      assertTrue(e.deadline(), e.getMessage());
      assertTrue(took < TimeUnit.MILLISECONDS.toNanos(1500), "bounded by the 1 s deadline, took " + took / 1_000_000 + " ms");
      assertTrue(stub.seen().size() > 1 && stub.seen().size() < 20, "backoff, not a busy loop: " + stub.seen().size() + " attempts");
      assertTrue(client.pastDeadline() || stub.seen().size() > 1);
    }
  }

  @Test
  void retryAfterIsHonouredWhenLongerThanTheBackoff() throws Exception {
    AtomicInteger n = new AtomicInteger();
    try (StubExaminer stub = new StubExaminer(s -> n.getAndIncrement() == 0 ? new StubExaminer.Answer(429, null, "1")
            : StubExaminer.Answer.ok("fine"));
         ExaminerClient client = new ExaminerClient(config(stub, 100, Duration.ofSeconds(30), 5))) {
      client.chat("hello", 0, 8, 1);
      long gap = stub.seen().get(1).nanos() - stub.seen().get(0).nanos();
      assertTrue(gap >= TimeUnit.MILLISECONDS.toNanos(950), "Retry-After: 1 waits a second, waited " + gap / 1_000_000 + " ms");
    }
  }

  @Test
  void requestsAreSpacedByTheRateLimit() throws Exception {
    try (StubExaminer stub = new StubExaminer(s -> StubExaminer.Answer.ok("x"));
         ExaminerClient client = new ExaminerClient(config(stub, 10, Duration.ofSeconds(30), 1))) {
      for (int i = 0; i < 4; i++) {
        client.chat("hello", 0, 8, i);
      }
      long span = stub.seen().getLast().nanos() - stub.seen().getFirst().nanos();
      assertTrue(span >= TimeUnit.MILLISECONDS.toNanos(290), "4 requests at 10/s span >= 300 ms, spanned " + span / 1_000_000 + " ms");
    }
  }

  @Test
  void theKeyIsSentAndTheReplyNamesTheEndpointAndTheModelThatAnswered() throws Exception {
    try (StubExaminer stub = new StubExaminer(s -> StubExaminer.Answer.ok("x"));
         ExaminerClient client = new ExaminerClient(config(stub, 100, Duration.ofSeconds(30), 1))) {
      ExaminerClient.Reply r = client.chat("hello", 0, 8, 1);
      assertEquals("Bearer k3y", stub.seen().getFirst().authorization());
      assertEquals("hello", stub.seen().getFirst().user());
      assertEquals(stub.url().toString(), r.endpoint());
      assertEquals("stub-model", r.model(), "the model the endpoint says answered, not the one asked for");
    }
  }
}
