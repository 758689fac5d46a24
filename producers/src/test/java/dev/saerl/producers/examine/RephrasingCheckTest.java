package dev.saerl.producers.examine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RephrasingCheckTest {
  static final String Q = "Sam has 3 apples. He buys 22 more. He buys 9 more. How many apples does Sam have now?";

  @Test
  void aRephrasingWithTheSameNumbersIsAcceptedAndItsLabelAndQuotesGo() {
    var d = RephrasingCheck.check(Q, "Rephrased question: \"Sam owns 3 apples, then gets 22 and later 9 more. How many apples now?\"");
    assertTrue(d.accepted(), d.toString());
    assertEquals("Sam owns 3 apples, then gets 22 and later 9 more. How many apples now?", d.text());
  }

  @Test
  void aChangedDroppedOrAddedNumberIsRejected() {
    assertEquals("numbers-changed", RephrasingCheck.check(Q, "Sam has 3 apples, buys 23 and then 9 more. How many now?").rejection());
    assertEquals("numbers-changed", RephrasingCheck.check(Q, "Sam has 3 apples and buys 22 more. How many now?").rejection());
    assertEquals("numbers-changed", RephrasingCheck.check(Q, "Sam has 3 apples, buys 22 and 9 more: 34 in all. How many now?").rejection(),
        "a rephrasing that states the answer gives it away");
    assertEquals("numbers-changed", RephrasingCheck.check(Q, "3 + 22 = 25. 25 + 9 = 34. The answer is 34.").rejection(),
        "a solution is not a rephrasing");
  }

  @Test
  void anUnchangedEmptyOrRunawayReplyIsRejected() {
    assertEquals("unchanged", RephrasingCheck.check(Q, "  sam has 3 apples; he buys 22 more he buys 9 more how many apples does sam have now ").rejection());
    assertEquals("empty", RephrasingCheck.check(Q, " \n ").rejection());
    assertEquals("too-long", RephrasingCheck.check(Q, Q.repeat(4)).rejection());
  }

  @Test
  void numbersAreComparedAsValues() {
    assertTrue(RephrasingCheck.check("A box holds 1000 coins and 2.5 kg. How many?", "There are 1,000 coins and 2.50 kg in a box. How many?").accepted());
  }
}
