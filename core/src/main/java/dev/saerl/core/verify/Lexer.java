package dev.saerl.core.verify;

import dev.saerl.core.verify.Token.Kind;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Splits an answer written in plain text or the LaTeX subset of {@link MathParser} into tokens.
 * Spacing and sizing commands ({@code \left}, {@code \,}, {@code \!}, {@code \displaystyle}, ...),
 * math delimiters and {@code \$} vanish; {@code \dfrac}/{@code \tfrac}/{@code \cfrac} are
 * {@code \frac}; {@code \frac13} and {@code \sqrt8} take single-character arguments as TeX does.
 * Numbers absorb thousands separators ({@code 1,000} outside brackets, {@code 1{,}000},
 * {@code 10,\!000}, {@code 10\,000}), {@code {,}} before other than three digits is a decimal
 * comma, and with {@code decimalComma} so is a plain comma; {@code 0.\overline{3}} repeats,
 * {@code 1.5e3} is scientific, and an ellipsis after a decimal marks it approximate. A run of three
 * or more letters is a word (text), as are two-letter units; shorter runs are variables.
 */
final class Lexer {
  private static final Set<String> IGNORED = Set.of("left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr",
      "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr", "displaystyle", "textstyle", "scriptstyle", "limits",
      "nolimits", "quad", "qquad", "boxed", "fbox", "dollar", "mathdollar", "cr", "strut");
  private static final Set<String> TEXT = Set.of("text", "textbf", "textit", "textrm", "textsf", "texttt", "textnormal",
      "textup", "mbox", "hbox", "emph");
  private static final Set<String> MATH_FONT = Set.of("mathrm", "mathbf", "mathit", "mathsf", "mathtt", "mathnormal",
      "boldsymbol", "bm", "operatorname");
  private static final Set<String> FUNCTIONS = Set.of("sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos",
      "arctan", "sinh", "cosh", "tanh", "log", "ln", "lg", "exp", "max", "min", "gcd");
  private static final Set<String> GREEK = Set.of("alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta",
      "eta", "theta", "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi",
      "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Upsilon", "Phi", "Psi", "Omega");
  private static final Set<String> MATRICES = Set.of("pmatrix", "bmatrix", "Bmatrix", "matrix", "smallmatrix", "array");
  private static final Map<String, String> RELATIONS = Map.ofEntries(Map.entry("le", "<="), Map.entry("leq", "<="),
      Map.entry("leqslant", "<="), Map.entry("ge", ">="), Map.entry("geq", ">="), Map.entry("geqslant", ">="),
      Map.entry("lt", "<"), Map.entry("gt", ">"), Map.entry("ne", "!="), Map.entry("neq", "!="),
      Map.entry("approx", "~"), Map.entry("in", "in"), Map.entry("equiv", "="));
  /** Two-letter words read as units rather than a product of two variables. */
  private static final Set<String> UNITS2 = Set.of("cm", "mm", "km", "kg", "mg", "ml", "mL", "ft", "lb", "oz", "hr",
      "yd", "mi", "mph", "sq", "ms", "cc");
  private static final Map<String, Long> SCALES = Map.of("thousand", 1_000L, "million", 1_000_000L,
      "billion", 1_000_000_000L);

  private static final Pattern LETTER_IN_PARENTHESES = Pattern.compile("\\([A-Za-z]\\)");
  private static final Pattern SPACES = Pattern.compile("\\s+");
  private static final Pattern NUMERAL = Pattern.compile("[-+]?[\\d.,]+");
  private static final Pattern LETTERS = Pattern.compile("[A-Za-z]+");

  private final String s;
  private final Budget budget;
  private final boolean decimalComma;
  private final List<Token> out = new ArrayList<>();
  /** Pending bare arguments of \frac, \sqrt and \binom: {brace depth, arguments still to come}. */
  private final Deque<int[]> pendingArgs = new ArrayDeque<>();
  private int i;
  private int braceDepth;
  private int bracketDepth;

  private Lexer(String s, Budget budget, boolean decimalComma) {
    this.s = s;
    this.budget = budget;
    this.decimalComma = decimalComma;
  }

  static List<Token> tokens(String s, Budget budget, boolean decimalComma) {
    Lexer lexer = new Lexer(s, budget, decimalComma);
    lexer.run();
    return lexer.out;
  }

  private void run() {
    int n = s.length();
    while (i < n) {
      budget.tick();
      char c = s.charAt(i);
      if (Character.isWhitespace(c) || c == '~' || c == '$') {
        i++;
      } else if (isDigit(c) || (c == '.' && i + 1 < n && isDigit(s.charAt(i + 1)))) {
        number();
      } else if (isLetter(c)) {
        letters();
      } else if (c == '\\') {
        command();
      } else {
        symbol(c);
      }
    }
  }

  private void symbol(char c) {
    i++;
    switch (c) {
      case '+' -> emit(Token.of(Kind.PLUS, "+"));
      case '-' -> emit(Token.of(Kind.MINUS, "-"));
      case '*' -> emit(Token.of(Kind.TIMES, "*"));
      case '/' -> emit(Token.of(Kind.DIVIDE, "/"));
      case '^' -> {
        if (degrees()) {
          emit(Token.of(Kind.DEGREE, "deg"));
        } else {
          emit(Token.of(Kind.CARET, "^"));
        }
      }
      case '_' -> emit(Token.of(Kind.UNDERSCORE, "_"));
      case '%' -> emit(Token.of(Kind.PERCENT, "%"));
      case '&' -> emit(Token.of(Kind.AMP, "&"));
      case '|' -> emit(Token.of(Kind.PIPE, "|"));
      case ',' -> emit(Token.of(Kind.COMMA, ","));
      case ';' -> emit(Token.of(Kind.SEMI, ";"));
      case '(' -> {
        bracketDepth++;
        emit(Token.of(Kind.LPAREN, "("));
      }
      case ')' -> {
        bracketDepth--;
        emit(Token.of(Kind.RPAREN, ")"));
      }
      case '[' -> {
        bracketDepth++;
        emit(Token.of(Kind.LBRACK, "["));
      }
      case ']' -> {
        bracketDepth--;
        emit(Token.of(Kind.RBRACK, "]"));
      }
      case '{' -> {
        emit(Token.of(Kind.LBRACE, "{"));
        braceDepth++;
      }
      case '}' -> {
        braceDepth--;
        emit(Token.of(Kind.RBRACE, "}"));
      }
      case '!' -> emit(next('=') ? Token.of(Kind.REL, "!=") : Token.of(Kind.BANG, "!"));
      case '=' -> emit(next('<') ? Token.of(Kind.REL, "<=") : skipAnd('=', Token.of(Kind.REL, "=")));
      case '<' -> emit(next('=') ? Token.of(Kind.REL, "<=") : Token.of(Kind.REL, "<"));
      case '>' -> emit(next('=') ? Token.of(Kind.REL, ">=") : Token.of(Kind.REL, ">"));
      case '.' -> {
        if (s.startsWith("..", i)) {
          i += 2;
          emit(Token.of(Kind.ELLIPSIS, "..."));
        }
        // otherwise a sentence's full stop
      }
      case '\u2212', '\u2013', '\u2014' -> emit(Token.of(Kind.MINUS, "-"));
      case '\u00d7', '\u00b7', '\u22c5' -> emit(Token.of(Kind.TIMES, "*"));
      case '\u00f7' -> emit(Token.of(Kind.DIVIDE, "/"));
      case '\u00b1' -> emit(Token.of(Kind.PM, "pm"));
      case '\u2264' -> emit(Token.of(Kind.REL, "<="));
      case '\u2265' -> emit(Token.of(Kind.REL, ">="));
      case '\u2260' -> emit(Token.of(Kind.REL, "!="));
      case '\u2248' -> emit(Token.of(Kind.REL, "~"));
      case '\u2208' -> emit(Token.of(Kind.REL, "in"));
      case '\u03c0' -> emit(Token.of(Kind.CONST, "pi"));
      case '\u221e' -> emit(Token.of(Kind.CONST, "inf"));
      case '\u222a' -> emit(Token.of(Kind.CUP, "cup"));
      case '\u2026' -> emit(Token.of(Kind.ELLIPSIS, "..."));
      case '\u221a' -> {
        emit(Token.of(Kind.SQRT, "sqrt"));
        pendingArgs.push(new int[] {braceDepth, 1});
      }
      case '\u00b2', '\u00b3' -> {
        emit(Token.of(Kind.CARET, "^"));
        emit(Token.number(c == '\u00b2' ? "2" : "3", Rational.of(c == '\u00b2' ? 2 : 3), -1, 1, false));
      }
      case '\u00b0' -> emit(Token.of(Kind.DEGREE, "deg"));
      case '\u00a0', '\u2009', '\u202f' -> { } // non-breaking and thin spaces
      default -> throw new Unparseable("character '" + c + "'");
    }
  }

  /** {@code ^\circ} or {@code ^{\circ}} after the caret at i - 1: degrees, consumed. */
  private boolean degrees() {
    int j = skipSpaces(i);
    for (String deg : new String[] {"\\circ", "{\\circ}", "{ \\circ }", "{\\circ }", "{ \\circ}"}) {
      if (s.startsWith(deg, j) && !(j + deg.length() < s.length() && isLetter(s.charAt(j + deg.length())))) {
        i = j + deg.length();
        return true;
      }
    }
    return false;
  }

  private boolean next(char c) {
    if (i < s.length() && s.charAt(i) == c) {
      i++;
      return true;
    }
    return false;
  }

  private Token skipAnd(char c, Token t) {
    next(c);
    return t;
  }

  // ---- numbers ----

  private void number() {
    int n = s.length();
    if (bareArgumentWanted() && isDigit(s.charAt(i))) {
      String d = s.substring(i, i + 1);
      i++;
      emit(Token.number(d, Rational.of(d.charAt(0) - '0'), -1, d.equals("0") ? 0 : 1, false));
      return;
    }
    int start = i;
    StringBuilder whole = new StringBuilder();
    while (i < n && isDigit(s.charAt(i))) {
      whole.append(s.charAt(i++));
    }
    boolean groupable = whole.length() >= 1 && whole.length() <= 3 && whole.charAt(0) != '0';
    while (groupable) {
      int after = thousandsSeparatorEnd(i);
      if (after < 0 || !threeDigitsThenEnd(after)) {
        break;
      }
      whole.append(s, after, after + 3);
      i = after + 3;
    }
    String frac = null;
    if (i + 1 < n && s.charAt(i) == '.' && isDigit(s.charAt(i + 1))) {
      i++;
      frac = digits();
    } else if (s.startsWith("{,}", i) && i + 3 < n && isDigit(s.charAt(i + 3))) {
      i += 3;
      frac = digits();
    } else if (decimalComma && i + 1 < n && s.charAt(i) == ',' && isDigit(s.charAt(i + 1))) {
      i++;
      frac = digits();
    } else if (s.startsWith(".\\overline", i)) {
      i++;
      frac = "";
    }
    String repeating = null;
    if (frac != null && s.startsWith("\\overline", i)) {
      int open = skipSpaces(i + "\\overline".length());
      if (open < n && s.charAt(open) == '{') {
        int close = s.indexOf('}', open);
        String body = close < 0 ? "" : s.substring(open + 1, close).replace(" ", "");
        if (!body.isEmpty() && body.chars().allMatch(Lexer::isDigit)) {
          repeating = body;
          i = close + 1;
        }
      } else if (open < n && isDigit(s.charAt(open))) {
        repeating = s.substring(open, open + 1);
        i = open + 1;
      }
    }
    int exponent = 0;
    boolean scientific = false;
    if (i + 1 < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      int j = i + 1;
      if (j < n && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
        j++;
      }
      if (j < n && isDigit(s.charAt(j))) {
        int k = j;
        while (k < n && isDigit(s.charAt(k))) {
          k++;
        }
        if (k - j > 3) {
          throw new Unparseable("exponent too long");
        }
        exponent = Integer.parseInt(s.substring(i + 1, k).replace("+", ""));
        scientific = true;
        i = k;
      }
    }
    boolean approximate = false;
    if (frac != null) {
      int j = skipSpaces(i);
      for (String dots : new String[] {"...", "\\ldots", "\\dots", "\\cdots", "…"}) {
        if (s.startsWith(dots, j) && !(j + dots.length() < n && isLetter(s.charAt(j + dots.length())))) {
          approximate = true;
          i = j + dots.length();
          break;
        }
      }
    }
    emit(numberToken(s.substring(start, i), whole.toString(), frac, repeating, exponent, scientific, approximate));
  }

  private Token numberToken(String text, String whole, String frac, String repeating, int exponent, boolean scientific,
      boolean approximate) {
    String digits = whole + (frac == null ? "" : frac);
    if (digits.length() > 2_000) {
      throw new Budget.Exceeded("a number with " + digits.length() + " digits");
    }
    budget.tick(1 + digits.length() / 16);
    String plain = digits.isEmpty() ? "0" : digits;
    int fracDigits = frac == null ? 0 : frac.length();
    Rational value = new Rational(new BigInteger(plain), BigInteger.TEN.pow(fracDigits));
    if (repeating != null) {
      BigInteger period = BigInteger.TEN.pow(repeating.length()).subtract(BigInteger.ONE);
      value = value.add(new Rational(new BigInteger(repeating), period.multiply(BigInteger.TEN.pow(fracDigits))), budget);
    }
    if (exponent != 0) {
      BigInteger scale = BigInteger.TEN.pow(Math.abs(exponent));
      value = value.multiply(exponent > 0 ? Rational.of(scale) : new Rational(BigInteger.ONE, scale), budget);
    }
    int leadingZeros = 0;
    while (leadingZeros < plain.length() && plain.charAt(leadingZeros) == '0') {
      leadingZeros++;
    }
    int significant = Math.max(1, plain.length() - leadingZeros);
    boolean decimal = (frac != null && repeating == null) || scientific;
    int decimals = decimal ? fracDigits - exponent : -1;
    return Token.number(text, value, decimals, significant, approximate);
  }

  /** The index after a thousands separator at {@code at}, or -1. */
  private int thousandsSeparatorEnd(int at) {
    for (String sep : new String[] {"{,}\\!", "{,}", ",\\!", "\\!", "\\,", "\\ "}) {
      if (s.startsWith(sep, at)) {
        int end = at + sep.length();
        while (end < s.length() && s.charAt(end) == ' ') { // LaTeX ignores the spaces after 11,\! 111
          end++;
        }
        return end;
      }
    }
    if (at < s.length() && s.charAt(at) == ',' && bracketDepth == 0 && !decimalComma) {
      return at + 1;
    }
    return -1;
  }

  private boolean threeDigitsThenEnd(int at) {
    int n = s.length();
    return at + 3 <= n && isDigit(s.charAt(at)) && isDigit(s.charAt(at + 1)) && isDigit(s.charAt(at + 2))
        && (at + 3 == n || !isDigit(s.charAt(at + 3)));
  }

  private String digits() {
    int start = i;
    while (i < s.length() && isDigit(s.charAt(i))) {
      i++;
    }
    return s.substring(start, i);
  }

  // ---- letters and words ----

  private void letters() {
    int j = i;
    while (j < s.length() && isLetter(s.charAt(j))) {
      j++;
    }
    if (bareArgumentWanted()) {
      emit(letter(s.charAt(i)));
      i++;
      return;
    }
    String run = s.substring(i, j);
    i = j;
    word(run, false);
  }

  /** A run of letters: a known word, a text word, or single-letter variables. */
  private void word(String run, boolean inText) {
    String lower = run.toLowerCase(Locale.ROOT);
    if (FUNCTIONS.contains(lower) && !inText) {
      emit(Token.of(Kind.FUNC, lower));
      return;
    }
    switch (lower) {
      case "pi" -> emit(Token.of(Kind.CONST, "pi"));
      case "inf", "infinity", "infty" -> emit(Token.of(Kind.CONST, "inf"));
      case "sqrt" -> emit(Token.of(Kind.SQRT, "sqrt"));
      case "or" -> emit(Token.of(Kind.OR, "or"));
      case "and" -> emit(Token.of(Kind.AND, "and"));
      case "percent", "pct" -> emit(Token.of(Kind.PERCENT, "%"));
      case "degrees", "degree", "deg" -> { }
      default -> {
        if (SCALES.containsKey(lower)) {
          emit(new Token(Kind.SCALE, lower, Rational.of(SCALES.get(lower)), -1, 1, false));
        } else if (inText || run.length() >= 3 || UNITS2.contains(run)) {
          emit(Token.of(Kind.WORD, run));
        } else {
          for (char c : run.toCharArray()) {
            emit(letter(c));
          }
        }
      }
    }
  }

  private static Token letter(char c) {
    return switch (c) {
      case 'e' -> Token.of(Kind.CONST, "e");
      case 'i' -> Token.of(Kind.CONST, "i");
      default -> Token.of(Kind.VAR, String.valueOf(c));
    };
  }

  // ---- commands ----

  private void command() {
    int n = s.length();
    i++;
    if (i >= n) {
      return;
    }
    char c = s.charAt(i);
    if (!isLetter(c)) {
      i++;
      switch (c) {
        case ',', ';', ':', '!', ' ', '$', '>' -> { }
        case '{' -> emit(Token.of(Kind.LSET, "{"));
        case '}' -> emit(Token.of(Kind.RSET, "}"));
        case '%' -> emit(Token.of(Kind.PERCENT, "%"));
        case '|' -> emit(Token.of(Kind.PIPE, "|"));
        case '\\' -> emit(Token.of(Kind.ROW, "\\\\"));
        case '(', ')', '[', ']' -> { } // inline and display math delimiters
        default -> throw new Unparseable("command \\" + c);
      }
      return;
    }
    int start = i;
    while (i < n && isLetter(s.charAt(i))) {
      i++;
    }
    String name = s.substring(start, i);
    if (IGNORED.contains(name)) {
      if ((name.equals("left") || name.equals("right")) && i < n && s.charAt(i) == '.') {
        i++;
      }
      return;
    }
    if (TEXT.contains(name) || MATH_FONT.contains(name)) {
      text(braced(), MATH_FONT.contains(name));
      return;
    }
    String relation = RELATIONS.get(name);
    if (relation != null) {
      emit(Token.of(Kind.REL, relation));
      return;
    }
    if (FUNCTIONS.contains(name)) {
      emit(Token.of(Kind.FUNC, name));
      return;
    }
    if (GREEK.contains(name)) {
      emit(Token.of(Kind.VAR, name));
      return;
    }
    switch (name) {
      case "frac", "dfrac", "tfrac", "cfrac" -> {
        emit(Token.of(Kind.FRAC, "frac"));
        pendingArgs.push(new int[] {braceDepth, 2});
      }
      case "binom", "dbinom", "tbinom" -> {
        emit(Token.of(Kind.BINOM, "binom"));
        pendingArgs.push(new int[] {braceDepth, 2});
      }
      case "sqrt" -> sqrt();
      case "pi" -> emit(Token.of(Kind.CONST, "pi"));
      case "infty", "infinity" -> emit(Token.of(Kind.CONST, "inf"));
      case "cdot", "times", "ast" -> emit(Token.of(Kind.TIMES, "*"));
      case "div" -> emit(Token.of(Kind.DIVIDE, "/"));
      case "pm" -> emit(Token.of(Kind.PM, "pm"));
      case "mp" -> emit(Token.of(Kind.MP, "mp"));
      case "cup" -> emit(Token.of(Kind.CUP, "cup"));
      case "emptyset", "varnothing" -> emit(Token.of(Kind.EMPTY_SET, "{}"));
      case "lfloor" -> emit(Token.of(Kind.LFLOOR, "lfloor"));
      case "rfloor" -> emit(Token.of(Kind.RFLOOR, "rfloor"));
      case "lceil" -> emit(Token.of(Kind.LCEIL, "lceil"));
      case "rceil" -> emit(Token.of(Kind.RCEIL, "rceil"));
      case "lvert", "rvert", "vert" -> emit(Token.of(Kind.PIPE, "|"));
      case "langle" -> emit(Token.of(Kind.LPAREN, "("));
      case "rangle" -> emit(Token.of(Kind.RPAREN, ")"));
      case "lbrace" -> emit(Token.of(Kind.LSET, "{"));
      case "rbrace" -> emit(Token.of(Kind.RSET, "}"));
      case "ldots", "dots", "cdots" -> emit(Token.of(Kind.ELLIPSIS, "..."));
      case "mathbb" -> {
        String set = braced().trim();
        emit(set.equals("R") ? Token.of(Kind.REALS, "R") : Token.of(Kind.WORD, "\\mathbb{" + set + "}"));
      }
      case "begin" -> {
        String env = braced().trim();
        if (!MATRICES.contains(env)) {
          throw new Unparseable("environment " + env);
        }
        if (env.equals("array")) {
          braced();
        }
        emit(Token.of(Kind.BEGIN_MATRIX, env));
      }
      case "end" -> {
        braced();
        emit(Token.of(Kind.END_MATRIX, "end"));
      }
      case "hspace", "vspace", "phantom", "hphantom", "vphantom" -> braced();
      case "circ", "degree" -> emit(Token.of(Kind.DEGREE, "deg"));
      default -> emit(Token.of(Kind.WORD, "\\" + name));
    }
  }

  /** {@code \sqrt}, its optional {@code [n]} index lexed in place, then one pending argument. */
  private void sqrt() {
    emit(Token.of(Kind.SQRT, "sqrt"));
    int j = skipSpaces(i);
    if (j < s.length() && s.charAt(j) == '[') {
      int close = matching(j, '[', ']');
      if (close < 0) {
        throw new Unparseable("\\sqrt[ without ]");
      }
      emit(Token.of(Kind.LBRACK, "["));
      out.addAll(tokens(s.substring(j + 1, close), budget, decimalComma));
      emit(Token.of(Kind.RBRACK, "]"));
      i = close + 1;
    }
    pendingArgs.push(new int[] {braceDepth, 1});
  }

  /** \text{...} content: "or" and "and" stay words that join answers, numbers stay numbers, the rest is text. */
  private void text(String content, boolean mathFont) {
    String t = content.trim();
    if (t.isEmpty()) {
      return;
    }
    if (mathFont && t.length() == 1 && isLetter(t.charAt(0))) {
      emit(letter(t.charAt(0)));
      return;
    }
    if (LETTER_IN_PARENTHESES.matcher(t).matches()) {
      out.addAll(tokens(t, budget, decimalComma));
      return;
    }
    for (String w : SPACES.split(t)) {
      budget.tick();
      if (NUMERAL.matcher(w).matches()) {
        out.addAll(tokens(w, budget, decimalComma));
      } else if (LETTERS.matcher(w).matches()) {
        word(w, true);
      } else if (!w.isEmpty()) {
        emit(Token.of(Kind.WORD, w));
      }
    }
  }

  /** The content of the braces at the cursor (after spaces), or the next character if no brace. */
  private String braced() {
    int j = skipSpaces(i);
    if (j >= s.length()) {
      i = j;
      return "";
    }
    if (s.charAt(j) != '{') {
      i = j + 1;
      return s.substring(j, j + 1);
    }
    int close = matching(j, '{', '}');
    if (close < 0) {
      throw new Unparseable("unbalanced braces");
    }
    i = close + 1;
    return s.substring(j + 1, close);
  }

  private int matching(int open, char o, char c) {
    int depth = 0;
    for (int j = open; j < s.length(); j++) {
      char x = s.charAt(j);
      if (x == o) {
        depth++;
      } else if (x == c && --depth == 0) {
        return j;
      }
    }
    return -1;
  }

  private int skipSpaces(int j) {
    while (j < s.length() && s.charAt(j) == ' ') {
      j++;
    }
    return j;
  }

  // ---- emitting, with bare-argument bookkeeping ----

  private boolean bareArgumentWanted() {
    int[] top = pendingArgs.peek();
    return top != null && top[0] == braceDepth && top[1] > 0;
  }

  private void emit(Token t) {
    int[] top = pendingArgs.peek();
    if (top != null && top[0] == braceDepth && t.kind() != Kind.RBRACE && !isPrefix(t)) {
      if (--top[1] == 0) {
        pendingArgs.pop();
      }
    } else if (top != null && braceDepth < top[0]) {
      pendingArgs.pop();
    }
    out.add(t);
  }

  /** Tokens that start an argument rather than being one: \frac's own token, a sign. */
  private static boolean isPrefix(Token t) {
    return t.is(Kind.FRAC) || t.is(Kind.SQRT) || t.is(Kind.BINOM) || t.is(Kind.MINUS) || t.is(Kind.LBRACK)
        || t.is(Kind.RBRACK);
  }

  static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  static boolean isLetter(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
}
