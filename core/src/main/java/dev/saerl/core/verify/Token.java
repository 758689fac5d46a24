package dev.saerl.core.verify;

/**
 * One lexeme of an answer. {@code NUM} carries its exact value and how it was written
 * ({@code decimals}: digits after the point, or -1 when not written as a decimal;
 * {@code significant}: significant digits written; {@code approximate}: followed by an ellipsis).
 * {@code REL} carries its operator in {@code text}: {@code = < > <= >= != ~ in}.
 */
record Token(Kind kind, String text, Rational value, int decimals, int significant, boolean approximate) {
  enum Kind {
    NUM, VAR, CONST, WORD, FUNC, SCALE,
    PLUS, MINUS, PM, MP, TIMES, DIVIDE, CARET, UNDERSCORE, BANG, PERCENT,
    LPAREN, RPAREN, LBRACK, RBRACK, LSET, RSET, LBRACE, RBRACE, PIPE, LFLOOR, RFLOOR, LCEIL, RCEIL,
    COMMA, SEMI, REL, OR, AND, CUP, FRAC, SQRT, BINOM,
    BEGIN_MATRIX, END_MATRIX, AMP, ROW, ELLIPSIS, EMPTY_SET, REALS, DEGREE
  }

  static Token of(Kind kind, String text) {
    return new Token(kind, text, null, -1, 0, false);
  }

  static Token number(String text, Rational value, int decimals, int significant, boolean approximate) {
    return new Token(Kind.NUM, text, value, decimals, significant, approximate);
  }

  boolean is(Kind k) {
    return kind == k;
  }
}
