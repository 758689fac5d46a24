package dev.saerl.streams.verify;

import dev.saerl.core.verify.Verifier;
import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.Verdict;
import org.apache.kafka.streams.kstream.ValueJoiner;

/** A generation and its query become a verdict; UNKNOWN and KNOWN_VAL queries' verdicts are marked evaluation-only. */
public final class VerdictJoiner implements ValueJoiner<Generation, Query, Verdict> {
  @Override
  public Verdict apply(Generation g, Query q) {
    Verifier.Result r = Verifier.verify(q.getReferenceAnswer(), g.getCompletion());
    return Verdict.newBuilder().setSampleId(g.getSampleId()).setQueryId(g.getQueryId()).setDataset(q.getDataset())
        .setGroupId(q.getGroupId()).setSplit(q.getSplit()).setEvaluationOnly(q.getSplit() == Split.UNKNOWN || q.getSplit() == Split.KNOWN_VAL)
        .setModelVersion(g.getModelVersion()).setPlanVersion(g.getPlanVersion()).setCorrect(r.correct())
        .setExtractedAnswer(r.extracted()).setReferenceAnswer(q.getReferenceAnswer()).setRule(r.rule()).build();
  }
}
