package dev.saerl.core.verify;

import dev.saerl.core.verify.Node.Bin;
import dev.saerl.core.verify.Node.Fn;
import dev.saerl.core.verify.Node.Neg;
import dev.saerl.core.verify.Node.Num;
import dev.saerl.core.verify.Node.Pct;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;

/**
 * Exact evaluation of a scalar as a rational: numbers, + - * /, integer powers, roots of perfect
 * powers, percent, |x|, floor, ceiling, factorial and binomials of integers. Null when the value is
 * not a rational this can prove (a variable, pi, an irrational root) or would be too large.
 */
final class Exact {
  private static final int MAX_FACTORIAL = 1_000;

  private Exact() {}

  static Rational eval(Node n, Budget b) {
    b.tick();
    return switch (n) {
      case Num x -> x.value();
      case Neg x -> negate(eval(x.x(), b));
      case Pct x -> {
        Rational v = eval(x.x(), b);
        yield v == null ? null : v.divide(Rational.of(100), b);
      }
      case Bin x -> binary(x, b);
      case Fn f -> function(f, b);
      default -> null;
    };
  }

  private static Rational negate(Rational r) {
    return r == null ? null : r.negate();
  }

  private static Rational binary(Bin x, Budget b) {
    Rational l = eval(x.a(), b);
    if (l == null) {
      return null;
    }
    Rational r = eval(x.b(), b);
    if (r == null) {
      return null;
    }
    return switch (x.op()) {
      case '+' -> l.add(r, b);
      case '-' -> l.subtract(r, b);
      case '*' -> l.multiply(r, b);
      case '/' -> l.divide(r, b);
      case '^' -> power(l, r, b);
      default -> null;
    };
  }

  /** l^r for rational r = p/q: the q-th root when exact, then the p-th power. */
  static Rational power(Rational l, Rational r, Budget b) {
    if (r.num().bitLength() > 31 || r.den().bitLength() > 7) {
      return null;
    }
    long p = r.num().longValue();
    int q = r.den().intValue();
    if (l.signum() == 0 && p <= 0) {
      return null;
    }
    Rational base = q == 1 ? l : l.root(q, b);
    return base == null ? null : base.pow(p, b);
  }

  private static Rational function(Fn f, Budget b) {
    List<Node> args = f.args();
    Rational x = args.isEmpty() ? null : eval(args.get(0), b);
    if (x == null) {
      return null;
    }
    return switch (f.name()) {
      case "sqrt" -> args.size() == 1 ? x.root(2, b) : null;
      case "root" -> {
        Rational k = args.size() == 2 ? eval(args.get(1), b) : null;
        yield k != null && k.isInteger() && k.num().bitLength() < 8 ? x.root(k.num().intValue(), b) : null;
      }
      case "deg" -> x;
      case "abs" -> x.signum() < 0 ? x.negate() : x;
      case "floor" -> Rational.of(new java.math.BigDecimal(x.num()).divide(new java.math.BigDecimal(x.den()), 0,
          RoundingMode.FLOOR).toBigInteger());
      case "ceil" -> Rational.of(new java.math.BigDecimal(x.num()).divide(new java.math.BigDecimal(x.den()), 0,
          RoundingMode.CEILING).toBigInteger());
      case "fact" -> factorial(x, b);
      case "binom" -> {
        Rational k = args.size() == 2 ? eval(args.get(1), b) : null;
        yield k == null ? null : binomial(x, k, b);
      }
      default -> null;
    };
  }

  private static Rational factorial(Rational x, Budget b) {
    if (!x.isInteger() || x.signum() < 0 || x.num().compareTo(BigInteger.valueOf(MAX_FACTORIAL)) > 0) {
      return null;
    }
    BigInteger r = BigInteger.ONE;
    for (int i = 2; i <= x.num().intValue(); i++) {
      b.tick(1 + r.bitLength() / 512);
      r = r.multiply(BigInteger.valueOf(i));
    }
    return Rational.of(r);
  }

  private static Rational binomial(Rational n, Rational k, Budget b) {
    if (!n.isInteger() || !k.isInteger() || n.signum() < 0 || n.num().bitLength() > 20) {
      return null;
    }
    int nn = n.num().intValue();
    long kk = k.num().longValue();
    if (kk < 0 || kk > nn) {
      return Rational.ZERO;
    }
    kk = Math.min(kk, nn - kk);
    BigInteger r = BigInteger.ONE;
    for (int i = 1; i <= kk; i++) {
      b.tick(1 + r.bitLength() / 512);
      r = r.multiply(BigInteger.valueOf(nn - kk + i)).divide(BigInteger.valueOf(i));
    }
    return Rational.of(r);
  }
}
