package dev.saerl.streams.stats;

import dev.saerl.schemas.avro.Generation;
import dev.saerl.schemas.avro.SampleFeatures;
import dev.saerl.schemas.avro.Split;
import dev.saerl.schemas.avro.Step;
import dev.saerl.schemas.avro.Verdict;
import java.util.List;

/** Something learned about one sample: its SAE features, or its verdict (with its steps' texts). */
public sealed interface SampleEvent {
  String sampleId();

  String dataset();

  /** Whether the sample's query is KNOWN: only those may reach statistics. */
  boolean known();

  SampleObservation applyTo(SampleObservation s);

  record Features(SampleFeatures features) implements SampleEvent {
    public String sampleId() {
      return features.getSampleId();
    }

    public String dataset() {
      return features.getDataset();
    }

    public boolean known() {
      return features.getSplit() == Split.KNOWN;
    }

    public SampleObservation applyTo(SampleObservation s) {
      return s.withFeatures(features);
    }
  }

  record Label(Verdict verdict, List<String> stepTexts) implements SampleEvent {
    public static Label of(Generation g, Verdict v) {
      return new Label(v, g.getSteps().stream().map(Step::getText).toList());
    }

    public String sampleId() {
      return verdict.getSampleId();
    }

    public String dataset() {
      return verdict.getDataset();
    }

    public boolean known() {
      return verdict.getSplit() == Split.KNOWN && !verdict.getEvaluationOnly();
    }

    public SampleObservation applyTo(SampleObservation s) {
      return s.withLabel(verdict.getCorrect(), verdict.getModelVersion(), stepTexts);
    }
  }
}
