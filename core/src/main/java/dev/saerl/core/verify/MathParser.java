package dev.saerl.core.verify;

import dev.saerl.core.verify.Node.Bin;
import dev.saerl.core.verify.Node.Const;
import dev.saerl.core.verify.Node.Fn;
import dev.saerl.core.verify.Node.Matrix;
import dev.saerl.core.verify.Node.Neg;
import dev.saerl.core.verify.Node.Num;
import dev.saerl.core.verify.Node.Pct;
import dev.saerl.core.verify.Node.PlusMinus;
import dev.saerl.core.verify.Node.Rel;
import dev.saerl.core.verify.Node.Seq;
import dev.saerl.core.verify.Node.Text;
import dev.saerl.core.verify.Node.Union;
import dev.saerl.core.verify.Node.Var;
import dev.saerl.core.verify.Token.Kind;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Recursive descent over {@link Lexer}'s tokens. Grammar, loosest first:
 * <pre>
 * answer   = list ("or" list)*                      alternatives
 * list     = relation ((, | ; | "and") relation)*   bare list
 * relation = union (REL union)*                     = &lt; &gt; \le \ge \ne \approx \in, chains allowed
 * union    = sum (\cup sum)*
 * sum      = product ((+ | - | \pm | \mp) product)*
 * product  = unary ((\cdot | \times | * | / | \div) unary | implicit power)*
 * unary    = (- | + | \pm) unary | power
 * power    = postfix (^ exponent)?
 * postfix  = primary (! | %)*
 * primary  = number | variable(_sub) | \pi | e | i | \infty | word | ( ... ) | [ ... ] | \{ ... \} | { ... }
 *          | \frac a b | \sqrt[n]{a} | \binom a b | function | |a| | \lfloor a \rfloor | \lceil a \rceil | matrix
 * </pre>
 * An integer followed by a proper fraction is a mixed number ({@code 2\frac{1}{2}}, {@code 2 1/2});
 * two numbers side by side are refused rather than multiplied. {@code 60^\circ} is {@code deg(60)}:
 * the number 60, except as the argument of a trigonometric function, where it is 60 pi / 180.
 */
final class MathParser {
  private static final Set<Kind> IMPLICIT = EnumSet.of(Kind.NUM, Kind.VAR, Kind.CONST, Kind.WORD, Kind.FUNC, Kind.SCALE,
      Kind.LPAREN, Kind.LBRACE, Kind.FRAC, Kind.SQRT, Kind.BINOM, Kind.LFLOOR, Kind.LCEIL, Kind.BEGIN_MATRIX);
  private static final Set<String> TRIG = Set.of("sin", "cos", "tan", "sec", "csc", "cot");

  private final List<Token> t;
  private final Budget budget;
  private int p;
  private int depth;

  private MathParser(List<Token> tokens, Budget budget) {
    this.t = tokens;
    this.budget = budget;
  }

  static Node parse(String s, Budget budget, boolean decimalComma) {
    List<Token> tokens = Lexer.tokens(s, budget, decimalComma);
    if (tokens.isEmpty()) {
      throw new Unparseable("empty");
    }
    MathParser parser = new MathParser(tokens, budget);
    Node n = parser.answer();
    if (parser.p < tokens.size()) {
      throw new Unparseable("unexpected '" + tokens.get(parser.p).text() + "'");
    }
    return n;
  }

  private Node answer() {
    List<Node> alternatives = new ArrayList<>(List.of(list()));
    while (accept(Kind.OR)) {
      alternatives.add(list());
    }
    return alternatives.size() == 1 ? alternatives.get(0) : new Seq('o', 'o', alternatives);
  }

  private Node list() {
    List<Node> items = new ArrayList<>(List.of(relation()));
    while (accept(Kind.COMMA) || accept(Kind.SEMI) || accept(Kind.AND)) {
      accept(Kind.AND);
      if (endOfList()) {
        break;
      }
      items.add(relation());
    }
    return items.size() == 1 ? items.get(0) : new Seq(' ', ' ', items);
  }

  private boolean endOfList() {
    return p >= t.size() || peekIs(Kind.OR) || peekIs(Kind.RPAREN) || peekIs(Kind.RBRACK) || peekIs(Kind.RSET)
        || peekIs(Kind.RBRACE);
  }

  private Node relation() {
    Node first = union();
    if (!peekIs(Kind.REL)) {
      return first;
    }
    List<Node> sides = new ArrayList<>(List.of(first));
    List<String> ops = new ArrayList<>();
    while (peekIs(Kind.REL)) {
      ops.add(t.get(p++).text());
      sides.add(union());
    }
    return new Rel(sides, ops);
  }

  private Node union() {
    List<Node> parts = new ArrayList<>(List.of(sum()));
    while (accept(Kind.CUP)) {
      parts.add(sum());
    }
    return parts.size() == 1 ? parts.get(0) : new Union(parts);
  }

  private Node sum() {
    Node left = product();
    while (true) {
      if (accept(Kind.PLUS)) {
        left = new Bin('+', left, product());
      } else if (accept(Kind.MINUS)) {
        left = new Bin('-', left, product());
      } else if (accept(Kind.PM) || accept(Kind.MP)) {
        left = new PlusMinus(left, product());
      } else {
        return left;
      }
    }
  }

  private Node product() {
    enter();
    Node left = unary();
    boolean first = true;
    while (true) {
      if (accept(Kind.TIMES)) {
        left = new Bin('*', left, unary());
      } else if (accept(Kind.DIVIDE)) {
        left = new Bin('/', left, unary());
      } else if (p < t.size() && IMPLICIT.contains(t.get(p).kind())) {
        Node mixed = first ? mixedNumber(left) : null;
        if (mixed != null) {
          left = mixed;
        } else {
          if (peekIs(Kind.NUM) && t.get(p - 1).is(Kind.NUM)) {
            throw new Unparseable("two numbers side by side");
          }
          left = new Bin('*', left, power());
        }
      } else {
        leave();
        return left;
      }
      first = false;
    }
  }

  /** {@code 2\frac{1}{2}} or {@code 2 1/2} after the integer {@code left}: 5/2; null when what follows is not that. */
  private Node mixedNumber(Node left) {
    boolean negative = left instanceof Neg n && n.x() instanceof Num;
    Node whole = negative ? ((Neg) left).x() : left;
    if (!(whole instanceof Num w) || w.decimal() || !w.value().isInteger() || w.value().signum() < 0) {
      return null;
    }
    int save = p;
    Rational fraction = null;
    if (peekIs(Kind.FRAC)) {
      Node f = power();
      if (f instanceof Bin b && b.op() == '/' && b.a() instanceof Num n && b.b() instanceof Num d) {
        fraction = properFraction(n, d);
      }
    } else if (peekIs(Kind.NUM) && p + 2 < t.size() && t.get(p + 1).is(Kind.DIVIDE) && t.get(p + 2).is(Kind.NUM)) {
      Num n = num(t.get(p));
      Num d = num(t.get(p + 2));
      p += 3;
      fraction = properFraction(n, d);
    }
    if (fraction == null) {
      p = save;
      return null;
    }
    Node mixed = Num.exact(w.value().add(fraction, budget));
    return negative ? new Neg(mixed) : mixed;
  }

  private Rational properFraction(Num n, Num d) {
    if (n.decimal() || d.decimal() || !n.value().isInteger() || !d.value().isInteger() || n.value().signum() <= 0
        || n.value().compareTo(d.value()) >= 0) {
      return null;
    }
    return n.value().divide(d.value(), budget);
  }

  private Node unary() {
    enter();
    Node n;
    if (accept(Kind.MINUS)) {
      n = new Neg(unary());
    } else if (accept(Kind.PLUS)) {
      n = unary();
    } else if (accept(Kind.PM) || accept(Kind.MP)) {
      n = new PlusMinus(null, unary());
    } else {
      n = power();
    }
    leave();
    return n;
  }

  private Node power() {
    Node base = postfix();
    if (accept(Kind.CARET)) {
      if (peekIs(Kind.LBRACE) && p + 2 < t.size() && t.get(p + 1).is(Kind.DEGREE) && t.get(p + 2).is(Kind.RBRACE)) {
        p += 3; // ^{ \circ } spaced in a way the lexer did not catch
        return new Fn("deg", List.of(base));
      }
      base = new Bin('^', base, exponent());
      while (accept(Kind.BANG)) {
        base = new Fn("fact", List.of(base));
      }
    }
    if (accept(Kind.DEGREE)) {
      base = new Fn("deg", List.of(base));
    }
    return base;
  }

  private Node exponent() {
    enter();
    Node e;
    if (accept(Kind.MINUS)) {
      e = new Neg(exponent());
    } else if (accept(Kind.PLUS)) {
      e = exponent();
    } else {
      e = postfix();
      if (accept(Kind.CARET)) {
        e = new Bin('^', e, exponent());
      }
    }
    leave();
    return e;
  }

  private Node postfix() {
    Node x = primary();
    while (true) {
      if (accept(Kind.BANG)) {
        x = new Fn("fact", List.of(x));
      } else if (accept(Kind.DEGREE)) {
        x = new Fn("deg", List.of(x));
      } else if (accept(Kind.PERCENT)) {
        x = new Pct(x);
      } else {
        return x;
      }
    }
  }

  private Node primary() {
    enter();
    budget.tick();
    if (p >= t.size()) {
      throw new Unparseable("unexpected end");
    }
    Token tok = t.get(p++);
    Node n = switch (tok.kind()) {
      case NUM -> numberWithBase(num(tok));
      case SCALE -> Num.exact(tok.value());
      case VAR -> variable(tok.text());
      case CONST -> new Const(tok.text());
      case WORD -> new Text(tok.text());
      case LPAREN -> bracketed('(');
      case LBRACK -> bracketed('[');
      case LSET -> set();
      case EMPTY_SET -> new Seq('{', '}', List.of());
      case REALS -> new Seq('(', ')', List.of(new Neg(new Const("inf")), new Const("inf")));
      case LBRACE -> {
        Node inner = answer();
        expect(Kind.RBRACE);
        yield inner;
      }
      case FRAC -> new Bin('/', primary(), primary());
      case BINOM -> new Fn("binom", List.of(primary(), primary()));
      case SQRT -> sqrt();
      case FUNC -> function(tok.text());
      case PIPE -> closedBy(Kind.PIPE, "abs");
      case LFLOOR -> closedBy(Kind.RFLOOR, "floor");
      case LCEIL -> closedBy(Kind.RCEIL, "ceil");
      case BEGIN_MATRIX -> matrix();
      case ELLIPSIS -> new Text("...");
      default -> throw new Unparseable("unexpected '" + tok.text() + "'");
    };
    leave();
    return n;
  }

  private static Num num(Token tok) {
    return new Num(tok.value(), tok.decimals(), tok.significant(), tok.approximate());
  }

  /** {@code 1011_2}: digits in another base. */
  private Node numberWithBase(Num n) {
    if (!peekIs(Kind.UNDERSCORE)) {
      return n;
    }
    p++;
    String base = subscript();
    if (!base.matches("\\d{1,2}") || n.decimal() || !n.value().isInteger()) {
      throw new Unparseable("number with subscript " + base);
    }
    int radix = Integer.parseInt(base);
    String digits = n.value().num().toString();
    if (radix < 2 || radix > 10 || digits.chars().anyMatch(c -> c - '0' >= radix)) {
      throw new Unparseable("digits not in base " + radix);
    }
    return Num.exact(Rational.of(new BigInteger(digits, radix)));
  }

  private Node variable(String name) {
    if (accept(Kind.UNDERSCORE)) {
      return new Var(name + "_" + subscript());
    }
    return new Var(name);
  }

  /** The text of a subscript: one token, or the tokens of a braced group. */
  private String subscript() {
    StringBuilder sb = new StringBuilder();
    if (accept(Kind.LBRACE)) {
      int level = 1;
      while (p < t.size()) {
        Token x = t.get(p++);
        if (x.is(Kind.LBRACE)) {
          level++;
        } else if (x.is(Kind.RBRACE) && --level == 0) {
          return sb.toString();
        }
        sb.append(x.text());
      }
      throw new Unparseable("unclosed subscript");
    }
    if (p >= t.size()) {
      throw new Unparseable("empty subscript");
    }
    return t.get(p++).text();
  }

  private Node bracketed(char open) {
    List<Node> items = new ArrayList<>();
    do {
      items.add(relation());
    } while (accept(Kind.COMMA) || accept(Kind.SEMI));
    Token close = p < t.size() ? t.get(p++) : null;
    if (close == null || !(close.is(Kind.RPAREN) || close.is(Kind.RBRACK))) {
      throw new Unparseable("unclosed " + open);
    }
    char c = close.is(Kind.RPAREN) ? ')' : ']';
    if (items.size() == 1) {
      if ((open == '(') != (c == ')')) {
        throw new Unparseable("one item in " + open + c);
      }
      return items.get(0);
    }
    return new Seq(open, c, items);
  }

  private Node set() {
    List<Node> items = new ArrayList<>();
    if (accept(Kind.RSET)) {
      return new Seq('{', '}', items);
    }
    do {
      items.add(relation());
    } while (accept(Kind.COMMA) || accept(Kind.SEMI));
    expect(Kind.RSET);
    return new Seq('{', '}', items);
  }

  private Node sqrt() {
    if (accept(Kind.LBRACK)) {
      Node index = sum();
      expect(Kind.RBRACK);
      return new Fn("root", List.of(primary(), index));
    }
    return new Fn("sqrt", List.of(primary()));
  }

  /** {@code \sin x}, {@code \sin^2 x}, {@code \sin^{-1}(x)}, {@code \log_2 8}, {@code \max(a, b)}. */
  private Node function(String name) {
    Node power = null;
    Node base = null;
    while (true) {
      if (accept(Kind.CARET)) {
        power = exponent();
      } else if (accept(Kind.UNDERSCORE)) {
        base = primary();
      } else {
        break;
      }
    }
    List<Node> args = new ArrayList<>();
    if (accept(Kind.LPAREN)) {
      do {
        args.add(relation());
      } while (accept(Kind.COMMA));
      expect(Kind.RPAREN);
    } else {
      // an argument without parentheses: the product of what follows, up to the next function or operator
      Node arg = power();
      while (peekIs(Kind.NUM) || peekIs(Kind.VAR) || peekIs(Kind.CONST)) {
        arg = new Bin('*', arg, power());
      }
      args.add(arg);
    }
    String fn = name.equals("lg") ? "log10" : name;
    boolean inverse = power instanceof Neg neg && neg.x() instanceof Num one && one.value().equals(Rational.ONE)
        && TRIG.contains(fn);
    if (inverse) {
      fn = "arc" + fn;
      power = null;
    }
    if (base != null) {
      args.add(base);
    }
    Node f = new Fn(fn, args);
    return power == null ? f : new Bin('^', f, power);
  }

  private Node closedBy(Kind close, String fn) {
    Node inner = sum();
    expect(close);
    return new Fn(fn, List.of(inner));
  }

  private Node matrix() {
    List<List<Node>> rows = new ArrayList<>();
    List<Node> row = new ArrayList<>();
    while (true) {
      if (accept(Kind.END_MATRIX)) {
        if (!row.isEmpty()) {
          rows.add(row);
        }
        break;
      }
      row.add(relation());
      if (accept(Kind.AMP)) {
        continue;
      }
      if (accept(Kind.ROW)) {
        rows.add(row);
        row = new ArrayList<>();
        continue;
      }
      if (!peekIs(Kind.END_MATRIX)) {
        throw new Unparseable("matrix cell");
      }
    }
    if (rows.isEmpty() || rows.stream().anyMatch(r -> r.size() != rows.get(0).size())) {
      throw new Unparseable("ragged or empty matrix");
    }
    return new Matrix(rows);
  }

  private boolean peekIs(Kind k) {
    return p < t.size() && t.get(p).is(k);
  }

  private boolean accept(Kind k) {
    if (peekIs(k)) {
      p++;
      return true;
    }
    return false;
  }

  private void expect(Kind k) {
    if (!accept(k)) {
      throw new Unparseable("expected " + k);
    }
  }

  private void enter() {
    budget.depth(++depth);
  }

  private void leave() {
    depth--;
  }
}
