package dev.saerl.producers.examine;

import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Split;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which queries an examiner may rephrase: KNOWN (KNOWN-train) dataset rows whose whole group is KNOWN. Never
 * UNKNOWN (held out: a rephrasing made from it would carry evaluation text into the loop), never KNOWN_VAL (it
 * accepts versions and must stay as ingested), never KNOWN_SELECT_A/B (they rank and validate features; the
 * gates measure them as ingested), and never a rephrasing itself (no chains away from the dataset's text). A group
 * with any non-KNOWN member is refused whole, so a record that claims KNOWN for an UNKNOWN group's text is not
 * enough to rephrase it.
 */
public final class ExamineEligibility {
  private ExamineEligibility() {}

  /** The eligible queries of {@code dataset}, in the order given. */
  public static List<Query> eligible(Collection<Query> dataset) {
    Set<String> known = knownTrainQueryIds(dataset);
    return dataset.stream().filter(q -> isEligible(q) && known.contains(q.getQueryId())).toList();
  }

  /**
   * The ids of the queries whose samples an examiner may read and annotate (step expansion): KNOWN queries of groups
   * with no member of another split, rephrasings included (their text came from KNOWN-train already).
   */
  public static Set<String> knownTrainQueryIds(Collection<Query> dataset) {
    Set<String> tainted = new HashSet<>();
    for (Query q : dataset) {
      if (q.getSplit() != Split.KNOWN) {
        tainted.add(q.getGroupId());
      }
    }
    Set<String> ids = new HashSet<>();
    for (Query q : dataset) {
      if (q.getSplit() == Split.KNOWN && !tainted.contains(q.getGroupId())) {
        ids.add(q.getQueryId());
      }
    }
    return ids;
  }

  /** The per-query part of the rule, checked again just before anything is published. */
  public static boolean isEligible(Query q) {
    return q.getSplit() == Split.KNOWN && q.getProvenance() == null;
  }
}
