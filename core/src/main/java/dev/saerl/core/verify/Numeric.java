package dev.saerl.core.verify;

import dev.saerl.core.verify.Node.Bin;
import dev.saerl.core.verify.Node.Const;
import dev.saerl.core.verify.Node.Fn;
import dev.saerl.core.verify.Node.Neg;
import dev.saerl.core.verify.Node.Num;
import dev.saerl.core.verify.Node.Pct;
import dev.saerl.core.verify.Node.Var;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Evaluation of a scalar in complex doubles with variables bound to values: {@code i} is the
 * imaginary unit, {@code e} Euler's number, {@code \log} the natural logarithm (as in SymPy and
 * Math-Verify), odd roots of negative reals real, degrees ({@code deg}) the number itself except
 * inside a trigonometric function. NaN marks what is undefined or not a scalar.
 */
final class Numeric {
  private static final Complex NAN = new Complex(Double.NaN, Double.NaN);
  private static final Set<String> TRIG = Set.of("sin", "cos", "tan", "sec", "csc", "cot");

  private Numeric() {}

  static Complex eval(Node n, Map<String, Complex> vars, Budget b) {
    b.tick();
    return switch (n) {
      case Num x -> Complex.real(x.value().toDouble());
      case Var x -> vars.getOrDefault(x.name(), NAN);
      case Const x -> switch (x.name()) {
        case "pi" -> Complex.real(Math.PI);
        case "e" -> Complex.real(Math.E);
        case "i" -> Complex.I;
        case "inf" -> Complex.real(Double.POSITIVE_INFINITY);
        default -> NAN;
      };
      case Neg x -> eval(x.x(), vars, b).negate();
      case Pct x -> eval(x.x(), vars, b).multiply(Complex.real(0.01));
      case Bin x -> binary(x.op(), eval(x.a(), vars, b), eval(x.b(), vars, b));
      case Fn f -> function(f, vars, b);
      default -> NAN;
    };
  }

  private static Complex binary(char op, Complex l, Complex r) {
    return switch (op) {
      case '+' -> l.add(r);
      case '-' -> l.subtract(r);
      case '*' -> l.multiply(r);
      case '/' -> l.divide(r);
      case '^' -> l.pow(r);
      default -> NAN;
    };
  }

  private static Complex function(Fn f, Map<String, Complex> vars, Budget b) {
    List<Node> args = f.args();
    if (args.isEmpty()) {
      return NAN;
    }
    Complex x = eval(args.get(0), vars, b);
    Complex y = args.size() > 1 ? eval(args.get(1), vars, b) : null;
    if (TRIG.contains(f.name()) && args.get(0) instanceof Fn d && d.name().equals("deg")) {
      x = x.multiply(Complex.real(Math.PI / 180)); // cos 60^\circ
    }
    return switch (f.name()) {
      case "deg" -> x;
      case "sqrt" -> x.sqrt();
      case "root" -> root(x, y);
      case "sin" -> x.sin();
      case "cos" -> x.cos();
      case "tan" -> x.tan();
      case "sec" -> Complex.ONE.divide(x.cos());
      case "csc" -> Complex.ONE.divide(x.sin());
      case "cot" -> x.cos().divide(x.sin());
      case "arcsin" -> x.asin();
      case "arccos" -> x.acos();
      case "arctan" -> x.atan();
      case "sinh" -> x.sinh();
      case "cosh" -> x.cosh();
      case "tanh" -> x.sinh().divide(x.cosh());
      case "exp" -> x.exp();
      case "ln" -> x.log();
      case "log" -> y == null ? x.log() : x.log().divide(y.log());
      case "log10" -> x.log().divide(Complex.real(Math.log(10)));
      case "abs" -> Complex.real(x.abs());
      case "floor" -> x.isReal() ? Complex.real(Math.floor(x.re())) : NAN;
      case "ceil" -> x.isReal() ? Complex.real(Math.ceil(x.re())) : NAN;
      case "fact" -> factorial(x);
      case "binom" -> y == null ? NAN : factorial(x).divide(factorial(y).multiply(factorial(x.subtract(y))));
      case "max", "min" -> extreme(f, vars, b);
      default -> NAN;
    };
  }

  private static Complex root(Complex x, Complex k) {
    if (k == null || !k.isReal()) {
      return NAN;
    }
    double n = k.re();
    if (x.isReal() && x.re() < 0 && n == Math.rint(n) && Math.abs(n) % 2 == 1) {
      return Complex.real(-Math.pow(-x.re(), 1 / n));
    }
    return x.pow(Complex.real(1 / n));
  }

  private static Complex factorial(Complex x) {
    if (!x.isReal() || x.re() < 0 || x.re() > 170 || x.re() != Math.rint(x.re())) {
      return NAN;
    }
    double r = 1;
    for (int i = 2; i <= (int) x.re(); i++) {
      r *= i;
    }
    return Complex.real(r);
  }

  private static Complex extreme(Fn f, Map<String, Complex> vars, Budget b) {
    double best = f.name().equals("max") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    for (Node a : f.args()) {
      Complex v = eval(a, vars, b);
      if (!v.isReal()) {
        return NAN;
      }
      best = f.name().equals("max") ? Math.max(best, v.re()) : Math.min(best, v.re());
    }
    return Complex.real(best);
  }

  /** The variables of a scalar, sorted. */
  static Set<String> variables(Node n) {
    Set<String> out = new TreeSet<>();
    collect(n, out);
    return out;
  }

  private static void collect(Node n, Set<String> out) {
    switch (n) {
      case Var v -> out.add(v.name());
      case Neg x -> collect(x.x(), out);
      case Pct x -> collect(x.x(), out);
      case Bin x -> {
        collect(x.a(), out);
        collect(x.b(), out);
      }
      case Fn f -> f.args().forEach(a -> collect(a, out));
      default -> { }
    }
  }

  /** Whether n is a scalar expression (no shapes, no words, no unexpanded plus-minus). */
  static boolean scalar(Node n) {
    return switch (n) {
      case Num x -> true;
      case Var x -> true;
      case Const x -> true;
      case Neg x -> scalar(x.x());
      case Pct x -> scalar(x.x());
      case Bin x -> scalar(x.a()) && scalar(x.b());
      case Fn f -> f.args().stream().allMatch(Numeric::scalar);
      default -> false;
    };
  }
}
