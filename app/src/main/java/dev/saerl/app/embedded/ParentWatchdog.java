package dev.saerl.app.embedded;

import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Entry point of the registry child process: exits when the parent JVM dies (even by
 * {@code kill -9}), then runs the real main class named in the arguments.
 * Usage: {@code ParentWatchdog <parent-pid> <main-class> [args...]}.
 */
public final class ParentWatchdog {
  private ParentWatchdog() {}

  public static void main(String[] args) throws Exception {
    long parent = Long.parseLong(args[0]);
    ProcessHandle.of(parent).ifPresentOrElse(
        p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(0)),
        () -> Runtime.getRuntime().halt(0));
    Method main = Class.forName(args[1]).getMethod("main", String[].class);
    main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
  }
}
