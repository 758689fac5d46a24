package dev.saerl.app.cli;

import java.util.concurrent.CountDownLatch;

/** Runs a role's loop in this thread until it ends or Ctrl-C; on Ctrl-C asks it to stop and waits for it. */
final class Roles {
  private Roles() {}

  static <R extends Runnable & AutoCloseable> void runUntilShutdown(R role) {
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        role.close();
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        System.err.println("stopping failed: " + e);
      }
    }));
    try {
      role.run();
    } finally {
      done.countDown();
    }
  }
}
