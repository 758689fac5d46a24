package dev.saerl.streams.stats;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Per query (the input key): joins each sample's features with its verdict in the query's state and
 * forwards, keyed by dataset, the change the event makes to the statistics of the sample's scope
 * (dataset, model version, SAE; two scopes when a sample moves between them). Events of
 * UNKNOWN queries are dropped here too, whatever the upstream filter did.
 */
public final class QueryStatsProcessor implements Processor<String, SampleEvent, String, StatsDelta> {
  private ProcessorContext<String, StatsDelta> context;
  private KeyValueStore<String, QueryState> queries;

  @Override
  public void init(ProcessorContext<String, StatsDelta> context) {
    this.context = context;
    this.queries = context.getStateStore(StatsStores.QUERY_SAMPLES);
  }

  @Override
  public void process(Record<String, SampleEvent> record) {
    SampleEvent event = record.value();
    if (record.key() == null || event == null || !event.known()) {
      return;
    }
    QueryState before = queries.get(record.key());
    if (before == null) {
      before = QueryState.empty(record.key(), event.dataset());
    }
    QueryState after = before.update(event.sampleId(), event::applyTo);
    if (after.equals(before)) {
      return;
    }
    queries.put(record.key(), after);
    for (StatsDelta delta : StatsDelta.between(before, after, after.sample(event.sampleId()))) {
      context.forward(record.withKey(after.dataset()).withValue(delta));
    }
  }
}
