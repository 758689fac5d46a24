package dev.saerl.core.verify;

import dev.saerl.core.verify.Node.Bin;
import dev.saerl.core.verify.Node.Matrix;
import dev.saerl.core.verify.Node.Neg;
import dev.saerl.core.verify.Node.Num;
import dev.saerl.core.verify.Node.Pct;
import dev.saerl.core.verify.Node.Rel;
import dev.saerl.core.verify.Node.Seq;
import dev.saerl.core.verify.Node.Text;
import dev.saerl.core.verify.Node.Union;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether two parsed answers are equal, by class. The reference comes first in every call.
 * <ul>
 * <li>Scalars: exact rationals when both sides have one ({@code exact_rational}, with {@code percent}
 * matching "50%" to 50); a decimal against a value with no finite decimal expansion agrees to every
 * digit it writes, rounded or truncated, with at least {@value #MIN_SIGNIFICANT} significant digits
 * ({@code decimal_tolerance}); other constants within a relative {@value #TOLERANCE}
 * ({@code numeric}); expressions with variables at {@value #POINTS} seeded random points
 * ({@code random_points}).
 * <li>Relations: "x = 5" states 5 against a value; two equations are equal when one side minus the
 * other is proportional, or, for "x = 5", when they assign the same value to the same variable;
 * inequalities of one variable compare as intervals, others by positive proportionality.
 * <li>Intervals (and unions) by ends and brackets; sets and bare lists order-free; tuples and
 * bracketed lists in order; matrices by shape and cells; words as normalized text.
 * </ul>
 */
final class Equivalence {
  static final double TOLERANCE = 1e-9;
  static final int POINTS = 8;
  static final int MIN_SIGNIFICANT = 3;
  private static final long SEED = 0x5AE71L;

  /** The outcome of one comparison: equal or not, the class it was judged as, the rule that decided. */
  record Match(boolean equal, String answerClass, String rule) {
    Match prefixed(String step) {
      return new Match(equal, answerClass, step + "+" + rule);
    }
  }

  private final Budget budget;
  private int depth;

  Equivalence(Budget budget) {
    this.budget = budget;
  }

  Match equal(Node a, Node b) {
    budget.tick();
    budget.depth(++depth);
    try {
      return dispatch(a, b);
    } finally {
      depth--;
    }
  }

  private Match dispatch(Node a, Node b) {
    if (a instanceof Rel ra && b instanceof Rel rb) {
      return relations(ra, rb);
    }
    if (a instanceof Rel ra) {
      return relationAndValue(ra, b, true);
    }
    if (b instanceof Rel rb) {
      return relationAndValue(rb, a, false);
    }
    if (a instanceof Matrix || b instanceof Matrix) {
      return matrices(a, b);
    }
    if (intervalish(a) || intervalish(b)) {
      return intervals(a, b);
    }
    if (a instanceof Seq || b instanceof Seq) {
      return sequences(a, b);
    }
    if (a instanceof Text || b instanceof Text) {
      return texts(a, b);
    }
    return scalars(a, b);
  }

  // ---- scalars ----

  private Match scalars(Node a, Node b) {
    if (!Numeric.scalar(a) || !Numeric.scalar(b)) {
      return new Match(false, classOf(a), "not_comparable");
    }
    Rational ea = Exact.eval(a, budget);
    Rational eb = Exact.eval(b, budget);
    if (ea != null && eb != null) {
      if (ea.equals(eb)) {
        return new Match(true, "rational", "exact_rational");
      }
      if (percentOf(a, eb) || percentOf(b, ea)) {
        return new Match(true, "rational", "percent");
      }
      if (decimal(b) != null && !ea.terminates()) {
        return new Match(agrees(decimal(b), ea.toDouble()), "decimal", "decimal_tolerance");
      }
      if (decimal(a) != null && !eb.terminates()) {
        return new Match(agrees(decimal(a), eb.toDouble()), "decimal", "decimal_tolerance");
      }
      return new Match(false, "rational", "exact_rational");
    }
    Set<String> vars = new TreeSet<>(Numeric.variables(a));
    vars.addAll(Numeric.variables(b));
    if (!vars.isEmpty()) {
      return randomPoints(a, b, vars);
    }
    Complex za = Numeric.eval(a, Map.of(), budget);
    Complex zb = Numeric.eval(b, Map.of(), budget);
    if (!za.isFinite() || !zb.isFinite()) {
      if ((!za.isFinite() && !mentionsInfinity(a)) || (!zb.isFinite() && !mentionsInfinity(b))) {
        boolean undefined = Double.isNaN(za.re()) || Double.isNaN(zb.re());
        if (!undefined) {
          throw new Budget.Exceeded("a value too large for doubles"); // 10^{10^{10}}: overflow, not infinity
        }
      }
      boolean sameInfinity = za.isReal() && zb.isReal() && Double.isInfinite(za.re()) && za.re() == zb.re();
      if (sameInfinity) {
        return new Match(true, "symbolic", "infinity");
      }
      if (Double.isNaN(za.re()) || Double.isNaN(zb.re()) || Double.isNaN(za.im()) || Double.isNaN(zb.im())) {
        return new Match(false, "symbolic", "undefined");
      }
      return new Match(false, "symbolic", "infinity");
    }
    if (decimal(b) != null && ea == null) {
      return new Match(zb.isReal() && za.isReal() && agrees(decimal(b), za.re()), "decimal", "decimal_tolerance");
    }
    if (decimal(a) != null && eb == null) {
      return new Match(za.isReal() && zb.isReal() && agrees(decimal(a), zb.re()), "decimal", "decimal_tolerance");
    }
    return new Match(za.closeTo(zb, TOLERANCE), "symbolic", "numeric");
  }

  private static boolean mentionsInfinity(Node n) {
    return switch (n) {
      case Node.Const c -> c.name().equals("inf");
      case Neg x -> mentionsInfinity(x.x());
      case Pct x -> mentionsInfinity(x.x());
      case Bin x -> mentionsInfinity(x.a()) || mentionsInfinity(x.b());
      case Node.Fn f -> f.args().stream().anyMatch(Equivalence::mentionsInfinity);
      default -> false;
    };
  }

  /** "50%" against 50: the number before the percent sign. */
  private boolean percentOf(Node n, Rational other) {
    if (!(n instanceof Pct p)) {
      return false;
    }
    Rational inner = Exact.eval(p.x(), budget);
    return inner != null && inner.equals(other);
  }

  /** A decimal as written, with its sign: {@code 0.0833...}, {@code -1.41}; null otherwise. */
  private static SignedDecimal decimal(Node n) {
    if (n instanceof Num x && x.decimal()) {
      return new SignedDecimal(x, 1);
    }
    if (n instanceof Neg g && g.x() instanceof Num x && x.decimal()) {
      return new SignedDecimal(x, -1);
    }
    return null;
  }

  private record SignedDecimal(Num num, int sign) {
    double value() {
      return sign * num.value().toDouble();
    }
  }

  /** The decimal agrees with v to every digit it writes (rounded, or truncated), and writes enough digits. */
  private static boolean agrees(SignedDecimal d, double v) {
    if (d.num().significant() < MIN_SIGNIFICANT || !Double.isFinite(v)) {
      return false;
    }
    double written = d.value();
    // a digit beyond what a double holds cannot be checked: the unit is at least 1e-14 of the value
    double unit = Math.max(Math.pow(10, -d.num().decimals()), 1e-14 * Math.abs(v));
    double diff = Math.abs(written - v);
    boolean rounded = diff <= unit / 2 * (1 + 1e-9);
    boolean truncated = diff < unit && Math.abs(v) > Math.abs(written) && Math.signum(v) == Math.signum(written);
    return rounded || truncated;
  }

  private Match randomPoints(Node a, Node b, Set<String> vars) {
    int valid = 0;
    for (Map<String, Complex> point : points(vars)) {
      Complex za = Numeric.eval(a, point, budget);
      Complex zb = Numeric.eval(b, point, budget);
      if (!za.isFinite() || !zb.isFinite()) {
        continue;
      }
      valid++;
      if (!za.closeTo(zb, 1e-8)) {
        return new Match(false, "symbolic", "random_points");
      }
    }
    return valid >= 3 ? new Match(true, "symbolic", "random_points") : new Match(false, "symbolic", "undecidable");
  }

  /** Seeded points with values in +-[0.5, 2.5], so a verdict is the same on every run. */
  private List<Map<String, Complex>> points(Set<String> vars) {
    Random random = new Random(SEED);
    List<Map<String, Complex>> points = new ArrayList<>();
    for (int k = 0; k < POINTS; k++) {
      Map<String, Complex> point = new HashMap<>();
      for (String v : vars) {
        double x = 0.5 + 2 * random.nextDouble();
        point.put(v, Complex.real(random.nextBoolean() ? x : -x));
      }
      points.add(point);
    }
    return points;
  }

  // ---- relations ----

  private Match relationAndValue(Rel r, Node value, boolean relationIsReference) {
    if (r.equalities() || (r.ops().size() == 1 && r.ops().get(0).equals("in"))) {
      // a reference equation states a value only when one side names the quantity with variables
      // alone (x = 5, (p, q) = (3, 2), NO/BO = 1/\sqrt6, 5 = x): a + 3z = 0 does not make 0 the
      // answer; a response's 5 + 3 = 8 commits to its last side
      if (relationIsReference && r.equalities() && !Shapes.statesValue(r)) {
        return new Match(false, "relation", "class_mismatch");
      }
      Node side = Shapes.statedValue(r);
      Match m = relationIsReference ? equal(side, value) : equal(value, side);
      return m.prefixed("equation_side");
    }
    Shapes.VariableInterval vi = Shapes.asInterval(r);
    if (vi != null && (intervalish(value) || (value instanceof Seq s && s.intervalLike()))) {
      Match m = relationIsReference ? intervals(vi.interval(), value) : intervals(value, vi.interval());
      return new Match(m.equal(), "interval", "inequality_as_interval");
    }
    return new Match(false, relationIsReference ? "relation" : classOf(value), "class_mismatch");
  }

  private Match relations(Rel a, Rel b) {
    if (a.equalities() && b.equalities()) {
      return new Match(equations(a, b), "relation", "equation");
    }
    Shapes.VariableInterval ia = Shapes.asInterval(a);
    Shapes.VariableInterval ib = Shapes.asInterval(b);
    if (ia != null && ib != null) {
      return new Match(ia.variable().equals(ib.variable()) && intervals(ia.interval(), ib.interval()).equal(),
          "relation", "inequality");
    }
    if (a.ops().size() == 1 && b.ops().size() == 1) {
      return new Match(inequalities(a, b), "relation", "inequality");
    }
    if (a.ops().equals(b.ops())) {
      return new Match(pairwise(a.sides(), b.sides()), "relation", "sides");
    }
    return new Match(false, "relation", "inequality");
  }

  private boolean equations(Rel a, Rel b) {
    String va = Shapes.assignedVariable(a);
    if (va != null && Shapes.constant(Shapes.statedValue(a))) {
      // a solution "x = 5": the candidate must give the same variable the same value
      return va.equals(Shapes.assignedVariable(b)) && equal(Shapes.statedValue(a), Shapes.statedValue(b)).equal();
    }
    if (a.sides().size() == 2 && b.sides().size() == 2) {
      return proportional(difference(a.sides()), difference(b.sides()), false);
    }
    return a.sides().size() == b.sides().size() && pairwise(a.sides(), b.sides());
  }

  private boolean inequalities(Rel a, Rel b) {
    Rel na = upward(a);
    Rel nb = upward(b);
    if (na == null || nb == null || !na.ops().equals(nb.ops())) {
      return false;
    }
    return proportional(difference(na.sides()), difference(nb.sides()), !na.ops().get(0).equals("!="));
  }

  /** "a < b" as "b > a": every inequality as "d > 0" or "d >= 0" with d = left - right. */
  private static Rel upward(Rel r) {
    String op = r.ops().get(0);
    return switch (op) {
      case ">", ">=", "!=" -> r;
      case "<", "<=" -> new Rel(List.of(r.sides().get(1), r.sides().get(0)), List.of(Shapes.flip(op)));
      default -> null;
    };
  }

  private static Node difference(List<Node> sides) {
    return new Bin('-', sides.get(0), sides.get(1));
  }

  /** da = k db at every point for one constant k != 0 (k > 0 when {@code positive}). */
  private boolean proportional(Node da, Node db, boolean positive) {
    if (!Numeric.scalar(da) || !Numeric.scalar(db)) {
      return false;
    }
    Set<String> vars = new TreeSet<>(Numeric.variables(da));
    vars.addAll(Numeric.variables(db));
    Complex k = null;
    int valid = 0;
    for (Map<String, Complex> point : points(vars)) {
      Complex za = Numeric.eval(da, point, budget);
      Complex zb = Numeric.eval(db, point, budget);
      if (!za.isFinite() || !zb.isFinite()) {
        continue;
      }
      valid++;
      boolean zeroA = za.abs() < 1e-12;
      boolean zeroB = zb.abs() < 1e-12;
      if (zeroA != zeroB) {
        return false;
      }
      if (zeroA) {
        continue;
      }
      Complex ratio = za.divide(zb);
      if (k == null) {
        k = ratio;
      } else if (!ratio.closeTo(k, 1e-7)) {
        return false;
      }
    }
    if (valid < 3) {
      return false;
    }
    return k == null || !positive || (k.isReal() && k.re() > 0);
  }

  private boolean pairwise(List<Node> a, List<Node> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!equal(a.get(i), b.get(i)).equal()) {
        return false;
      }
    }
    return true;
  }

  // ---- intervals, sets, tuples, matrices, text ----

  /** A union, or a two-item bracket that can only be an interval: a square end or an infinite end. */
  private static boolean intervalish(Node n) {
    if (n instanceof Union) {
      return true;
    }
    return n instanceof Seq s && s.intervalLike()
        && (s.open() == '[' || s.close() == ']' || s.items().stream().anyMatch(Shapes::infinite));
  }

  private Match intervals(Node a, Node b) {
    List<Node> pa = parts(a);
    List<Node> pb = parts(b);
    if (pa == null || pb == null) {
      return new Match(false, "interval", "class_mismatch");
    }
    if (pa.size() != pb.size()) {
      return new Match(false, "interval", "interval");
    }
    boolean same = pa.stream().allMatch(x -> pb.stream().anyMatch(y -> sameInterval(x, y)))
        && pb.stream().allMatch(y -> pa.stream().anyMatch(x -> sameInterval(x, y)));
    return new Match(same, "interval", "interval");
  }

  /** Two parts of unions: intervals with the same brackets and equal ends, or equal sets. */
  private boolean sameInterval(Node x, Node y) {
    if (x instanceof Seq a && y instanceof Seq b && a.intervalLike() && b.intervalLike()) {
      return a.open() == b.open() && a.close() == b.close() && scalars(a.items().get(0), b.items().get(0)).equal()
          && scalars(a.items().get(1), b.items().get(1)).equal();
    }
    return x instanceof Seq a && y instanceof Seq b && a.open() == '{' && b.open() == '{' && sequences(a, b).equal();
  }

  private static List<Node> parts(Node n) {
    if (n instanceof Union u) {
      List<Node> out = new ArrayList<>();
      for (Node p : u.parts()) {
        if (!(p instanceof Seq s) || !(s.intervalLike() || s.open() == '{')) {
          return null;
        }
        out.add(p);
      }
      return out;
    }
    return n instanceof Seq s && s.intervalLike() ? List.of(n) : null;
  }

  private Match sequences(Node a, Node b) {
    if (a instanceof Seq sa && b instanceof Seq sb) {
      boolean bareAgainstTuple = (sa.open() == ' ' && !sb.unordered()) || (sb.open() == ' ' && !sa.unordered());
      if ((!sa.unordered() && !sb.unordered()) || bareAgainstTuple) {
        boolean sameBrackets = bareAgainstTuple || (sa.open() == sb.open() && sa.close() == sb.close());
        return new Match(sameBrackets && pairwise(sa.items(), sb.items()), "tuple", "tuple");
      }
      if (sa.open() == '{' && sb.open() == '(' || sb.open() == '{' && sa.open() == '(') {
        return new Match(false, "set", "class_mismatch"); // a set is not an ordered pair
      }
      return new Match(unordered(sa.items(), sb.items()), "set", "set");
    }
    if (b instanceof Seq sb && (sb.open() == 'o' || sb.open() == ' ') && sb.items().size() >= 2) {
      return new Match(false, classOf(a), "hedged");
    }
    return new Match(false, classOf(a), "class_mismatch");
  }

  /** Every item of one has an equal in the other, both ways (set semantics: repeats do not count). */
  private boolean unordered(List<Node> a, List<Node> b) {
    return covers(a, b) && covers(b, a);
  }

  private boolean covers(List<Node> from, List<Node> to) {
    outer:
    for (Node x : from) {
      for (Node y : to) {
        if (equal(x, y).equal()) {
          continue outer;
        }
      }
      return false;
    }
    return true;
  }

  private Match matrices(Node a, Node b) {
    if (!(a instanceof Matrix ma) || !(b instanceof Matrix mb)) {
      return new Match(false, classOf(a), "class_mismatch");
    }
    if (ma.rows().size() != mb.rows().size() || ma.rows().get(0).size() != mb.rows().get(0).size()) {
      return new Match(false, "matrix", "matrix_shape");
    }
    for (int r = 0; r < ma.rows().size(); r++) {
      if (!pairwise(ma.rows().get(r), mb.rows().get(r))) {
        return new Match(false, "matrix", "matrix");
      }
    }
    return new Match(true, "matrix", "matrix");
  }

  private Match texts(Node a, Node b) {
    if (a instanceof Text ta && b instanceof Text tb) {
      return new Match(Texts.words(ta.text()).equals(Texts.words(tb.text())), "text", "text");
    }
    return new Match(false, classOf(a), "class_mismatch");
  }

  private String classOf(Node n) {
    return Shapes.classOf(n, budget);
  }
}
