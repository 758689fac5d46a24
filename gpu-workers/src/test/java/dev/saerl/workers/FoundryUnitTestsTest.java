package dev.saerl.workers;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The foundry's own Python unit tests (tools/foundry/tests), with Debian's python3-torch. */
@Tag("integration")
class FoundryUnitTestsTest {
  @Test
  void theFoundrysPythonTestsPass() throws Exception {
    BundledPack.runPython("unittest", "-m", "unittest", "discover", "-s", "tests", "-v");
  }
}
