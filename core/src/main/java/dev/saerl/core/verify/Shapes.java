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
import java.util.ArrayList;
import java.util.List;

/** Rewrites of a parsed answer before comparison, and the class an answer belongs to. */
final class Shapes {
  private static final int MAX_VARIANTS = 8;

  private Shapes() {}

  /** The answer classes reported by the verifier. */
  static String classOf(Node n, Budget b) {
    return switch (n) {
      case Rel r -> "relation";
      case Matrix m -> "matrix";
      case Union u -> "interval";
      case Seq s when s.intervalLike() && (s.open() == '[') != (s.close() == ']') -> "interval";
      case Seq s when s.intervalLike() && s.items().stream().anyMatch(Shapes::infinite) -> "interval";
      case Seq s -> s.unordered() ? "set" : "tuple";
      case Text t -> "text";
      default -> Numeric.scalar(n) && Exact.eval(n, b) != null ? "rational" : "symbolic";
    };
  }

  static boolean infinite(Node n) {
    return (n instanceof Const c && c.name().equals("inf")) || (n instanceof Neg g && infinite(g.x()));
  }

  // ---- units ----

  /** Drops words after a value ("5 \text{ cm}^2", "36 dollars") when what remains is a number; {@code stripped[0]} says whether any went. */
  static Node stripUnits(Node n, boolean[] stripped) {
    return switch (n) {
      case Bin x when (x.op() == '*' || x.op() == '/') && wordy(x.b()) -> {
        Node value = stripUnits(x.a(), stripped);
        if (constant(value)) {
          stripped[0] = true;
          yield value;
        }
        yield n;
      }
      case Neg x -> new Neg(stripUnits(x.x(), stripped));
      case Pct x -> new Pct(stripUnits(x.x(), stripped));
      case Rel r -> new Rel(r.sides().stream().map(s -> stripUnits(s, stripped)).toList(), r.ops());
      case Seq s -> new Seq(s.open(), s.close(), s.items().stream().map(i -> stripUnits(i, stripped)).toList());
      case Union u -> new Union(u.parts().stream().map(p -> stripUnits(p, stripped)).toList());
      default -> n;
    };
  }

  /** A unit: words, a word to a power (cm^2), words over words (m/s). */
  private static boolean wordy(Node n) {
    return switch (n) {
      case Text t -> !t.text().equals("...");
      case Bin x when x.op() == '^' -> wordy(x.a()) && x.b() instanceof Num;
      case Bin x when x.op() == '/' || x.op() == '*' -> wordy(x.a()) && wordy(x.b());
      default -> false;
    };
  }

  /** A scalar with no variables and no words. */
  static boolean constant(Node n) {
    return Numeric.scalar(n) && Numeric.variables(n).isEmpty();
  }

  // ---- plus-minus ----

  /** {@code a \pm b} becomes the bare list {a + b, a - b}; inside a list its variants join the list. */
  static Node expandPlusMinus(Node n) {
    return switch (n) {
      case Seq s -> {
        List<Node> items = new ArrayList<>();
        for (Node item : s.items()) {
          Node e = expandPlusMinus(item);
          if (s.unordered() && e instanceof Seq inner && inner.open() == ' ' && !(item instanceof Seq)) {
            items.addAll(inner.items());
          } else {
            items.add(e);
          }
        }
        yield new Seq(s.open(), s.close(), items);
      }
      case Union u -> new Union(u.parts().stream().map(Shapes::expandPlusMinus).toList());
      case Matrix m -> n;
      default -> {
        if (!hasPlusMinus(n)) {
          yield n;
        }
        List<Node> variants = variants(n);
        yield variants.size() == 1 ? variants.get(0) : new Seq(' ', ' ', variants);
      }
    };
  }

  private static boolean hasPlusMinus(Node n) {
    return switch (n) {
      case PlusMinus x -> true;
      case Neg x -> hasPlusMinus(x.x());
      case Pct x -> hasPlusMinus(x.x());
      case Bin x -> hasPlusMinus(x.a()) || hasPlusMinus(x.b());
      case Fn f -> f.args().stream().anyMatch(Shapes::hasPlusMinus);
      case Rel r -> r.sides().stream().anyMatch(Shapes::hasPlusMinus);
      default -> false;
    };
  }

  private static List<Node> variants(Node n) {
    List<Node> out = switch (n) {
      case PlusMinus x -> {
        List<Node> result = new ArrayList<>();
        for (Node a : x.a() == null ? java.util.Collections.<Node>singletonList(null) : variants(x.a())) {
          for (Node b : variants(x.b())) {
            result.add(a == null ? b : new Bin('+', a, b));
            result.add(a == null ? new Neg(b) : new Bin('-', a, b));
          }
        }
        yield result;
      }
      case Neg x -> variants(x.x()).stream().<Node>map(Neg::new).toList();
      case Pct x -> variants(x.x()).stream().<Node>map(Pct::new).toList();
      case Bin x -> {
        List<Node> result = new ArrayList<>();
        for (Node a : variants(x.a())) {
          for (Node b : variants(x.b())) {
            result.add(new Bin(x.op(), a, b));
          }
        }
        yield result;
      }
      case Fn f -> cartesian(f.args()).stream().<Node>map(args -> new Fn(f.name(), args)).toList();
      case Rel r -> cartesian(r.sides()).stream().<Node>map(sides -> new Rel(sides, r.ops())).toList();
      default -> List.of(n);
    };
    if (out.size() > MAX_VARIANTS) {
      throw new Unparseable("too many \\pm");
    }
    return out;
  }

  private static List<List<Node>> cartesian(List<Node> parts) {
    List<List<Node>> result = new ArrayList<>(List.of(List.of()));
    for (Node part : parts) {
      List<List<Node>> next = new ArrayList<>();
      for (List<Node> prefix : result) {
        for (Node v : variants(part)) {
          List<Node> l = new ArrayList<>(prefix);
          l.add(v);
          next.add(l);
        }
      }
      if (next.size() > MAX_VARIANTS) {
        throw new Unparseable("too many \\pm");
      }
      result = next;
    }
    return result;
  }

  // ---- relations ----

  /** The variable of "x = ..." (or "... = x"), or null. */
  static String assignedVariable(Rel r) {
    if (r.sides().size() != 2 || !r.equalities()) {
      return null;
    }
    if (r.sides().get(0) instanceof Var v) {
      return v.name();
    }
    if (r.sides().get(1) instanceof Var v && !(r.sides().get(0) instanceof Var)) {
      return v.name();
    }
    return null;
  }

  /**
   * Whether an equation names a quantity on one side with variables alone, no number in it, so the
   * other side is its value: {@code x = 5}, {@code (p, q) = (3, 2)}, {@code NO/BO = 1/\sqrt6}, {@code 5 = x};
   * not {@code a + 3z = 0} or {@code 7 = 11a + c}, which relate unknowns.
   */
  static boolean statesValue(Rel r) {
    List<Node> s = r.sides();
    return onlyVariables(s.get(0)) || (s.size() == 2 && s.get(1) instanceof Var);
  }

  private static boolean onlyVariables(Node n) {
    return switch (n) {
      case Var v -> true;
      case Neg g -> onlyVariables(g.x());
      case Bin b -> onlyVariables(b.a()) && onlyVariables(b.b());
      case Fn f -> !f.args().isEmpty() && f.args().stream().allMatch(Shapes::onlyVariables);
      case Seq q -> !q.items().isEmpty() && q.items().stream().allMatch(Shapes::onlyVariables);
      default -> false;
    };
  }

  /** The value an equation states: "x = 5" and "5 = x" state 5, "5 + 3 = 8" states 8 (its last side). */
  static Node statedValue(Rel r) {
    if (r.ops().size() == 1 && r.ops().get(0).equals("in")) {
      return r.last();
    }
    if (r.sides().size() == 2 && r.last() instanceof Var && !(r.sides().get(0) instanceof Var)) {
      return r.sides().get(0);
    }
    return r.last();
  }

  /** A one-variable inequality (or "x \in I") as an interval, with its variable; null if it is not one. */
  record VariableInterval(String variable, Node interval) {}

  static VariableInterval asInterval(Rel r) {
    List<Node> s = r.sides();
    List<String> ops = r.ops();
    if (ops.size() == 1 && ops.get(0).equals("in") && s.get(0) instanceof Var v) {
      return new VariableInterval(v.name(), s.get(1));
    }
    if (ops.size() == 1 && s.get(0) instanceof Var v && constant(s.get(1))) {
      return bound(v.name(), ops.get(0), s.get(1));
    }
    if (ops.size() == 1 && s.get(1) instanceof Var v && constant(s.get(0))) {
      return bound(v.name(), flip(ops.get(0)), s.get(0));
    }
    if (ops.size() == 2 && s.get(1) instanceof Var v && constant(s.get(0)) && constant(s.get(2))) {
      boolean up = ops.stream().allMatch(o -> o.equals("<") || o.equals("<="));
      boolean down = ops.stream().allMatch(o -> o.equals(">") || o.equals(">="));
      if (up) {
        return new VariableInterval(v.name(), new Seq(ops.get(0).equals("<") ? '(' : '[',
            ops.get(1).equals("<") ? ')' : ']', List.of(s.get(0), s.get(2))));
      }
      if (down) {
        return new VariableInterval(v.name(), new Seq(ops.get(1).equals(">") ? '(' : '[',
            ops.get(0).equals(">") ? ')' : ']', List.of(s.get(2), s.get(0))));
      }
    }
    return null;
  }

  private static VariableInterval bound(String v, String op, Node c) {
    Node inf = new Const("inf");
    Node minusInf = new Neg(inf);
    Node interval = switch (op) {
      case ">" -> new Seq('(', ')', List.of(c, inf));
      case ">=" -> new Seq('[', ')', List.of(c, inf));
      case "<" -> new Seq('(', ')', List.of(minusInf, c));
      case "<=" -> new Seq('(', ']', List.of(minusInf, c));
      default -> null;
    };
    return interval == null ? null : new VariableInterval(v, interval);
  }

  static String flip(String op) {
    return switch (op) {
      case "<" -> ">";
      case ">" -> "<";
      case "<=" -> ">=";
      case ">=" -> "<=";
      default -> op;
    };
  }
}
