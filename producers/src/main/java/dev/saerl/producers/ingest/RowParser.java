package dev.saerl.producers.ingest;

import dev.saerl.core.ids.Sha256;
import dev.saerl.core.verify.AnswerExtractor;
import dev.saerl.schemas.avro.Query;
import dev.saerl.schemas.avro.SourceFormat;
import java.util.Map;

/**
 * Turns a row into a {@link Query} or a {@link Rejection}. Formats: GSM8K ({@code answer} ending
 * in {@code #### N}), MATH ({@code solution} or {@code answer} with {@code \boxed{}}), and generic
 * {@code {question, answer}} with optional {@code solution}, {@code group_id} and {@code id}.
 */
public final class RowParser {
  public static final int MAX_QUESTION_CHARS = 20_000;
  public static final int MAX_ANSWER_CHARS = 20_000;
  public static final int MAX_ID_CHARS = 200;

  private final String dataset;
  private final Split split;

  public RowParser(String dataset, Split split) {
    this.dataset = dataset;
    this.split = split;
  }

  /** Either a query (left) or a rejection (right). */
  public record Parsed(Query query, Rejection rejection) {}

  public Parsed parse(RawRow row) {
    if (row.readError() != null) {
      return reject(row.readError());
    }
    Map<String, String> f = row.fields();
    String question = text(f, "question", "problem");
    if (question == null) {
      return reject("missing_field:field 'question' (or 'problem') is missing or empty");
    }
    if (question.length() > MAX_QUESTION_CHARS) {
      return reject("too_long:field 'question' has " + question.length() + " characters, more than " + MAX_QUESTION_CHARS);
    }
    String answerField = text(f, "answer");
    String solution = text(f, "solution");
    if (answerField == null && solution == null) {
      return reject("missing_field:field 'answer' is missing or empty");
    }
    if ((answerField != null && answerField.length() > MAX_ANSWER_CHARS) || (solution != null && solution.length() > MAX_ANSWER_CHARS)) {
      return reject("too_long:field 'answer' or 'solution' is longer than " + MAX_ANSWER_CHARS + " characters");
    }
    SourceFormat format;
    String reference;
    String referenceSolution = solution;
    if (answerField != null && answerField.contains("####")) {
      format = SourceFormat.GSM8K;
      reference = AnswerExtractor.extract(answerField.substring(answerField.lastIndexOf("####"))).answer();
      referenceSolution = answerField;
      if (reference == null || !reference.matches(".*\\d.*")) {
        return reject("unparseable_answer:field 'answer' has '####' but no number after it");
      }
    } else if (boxed(answerField) != null || (answerField == null && boxed(solution) != null)) {
      format = SourceFormat.MATH;
      String from = boxed(answerField) != null ? answerField : solution;
      reference = boxed(from);
      referenceSolution = solution != null ? solution : answerField;
      if (reference == null || reference.isBlank()) {
        return reject("unparseable_answer:\\boxed{} is empty");
      }
    } else if (answerField != null && answerField.contains("\\boxed")) {
      return reject("unparseable_answer:field 'answer' has \\boxed{ without its closing brace");
    } else if (answerField != null) {
      format = SourceFormat.GENERIC;
      reference = answerField.trim();
    } else {
      return reject("unparseable_answer:field 'solution' has no \\boxed{} answer and there is no 'answer' field");
    }
    String id = text(f, "id");
    if (id != null && id.length() > MAX_ID_CHARS) {
      return reject("too_long:field 'id' is longer than " + MAX_ID_CHARS + " characters");
    }
    String queryId = id != null ? id : contentId(dataset, question, reference);
    String group = text(f, "group_id");
    String groupId = group != null ? group : queryId;
    return new Parsed(Query.newBuilder().setQueryId(queryId).setDataset(dataset).setGroupId(groupId)
        .setQuestion(question).setReferenceAnswer(reference).setReferenceSolution(referenceSolution)
        .setSplit(split.of(groupId)).setFormat(format).setSourceFile(row.file()).setSourceLine(row.line()).build(), null);
  }

  /** A stable id from content: the same row in the same dataset always gets the same id. */
  public static String contentId(String dataset, String question, String reference) {
    return "q-" + Sha256.of(dataset + "\n" + question + "\n" + reference).substring(0, 24);
  }


  private static String boxed(String s) {
    if (s == null) {
      return null;
    }
    var e = AnswerExtractor.extract(s);
    return e.rule().equals("boxed") ? e.answer() : null;
  }

  private static String text(Map<String, String> f, String... names) {
    for (String n : names) {
      String v = f.get(n);
      if (v != null && !v.isBlank() && !v.equals("null")) {
        return v;
      }
    }
    return null;
  }

  private static Parsed reject(String codeAndReason) {
    return new Parsed(null, Rejection.of(codeAndReason));
  }
}
