package dev.saerl.core.verify;

import java.math.BigInteger;

/** An exact rational number in lowest terms with a positive denominator. */
record Rational(BigInteger num, BigInteger den) implements Comparable<Rational> {
  static final Rational ZERO = new Rational(BigInteger.ZERO, BigInteger.ONE);
  static final Rational ONE = new Rational(BigInteger.ONE, BigInteger.ONE);
  /** Results larger than this many bits are not kept exact (the numeric path decides instead). */
  static final int MAX_BITS = 100_000;

  Rational {
    if (den.signum() == 0) {
      throw new ArithmeticException("zero denominator");
    }
    if (den.signum() < 0) {
      num = num.negate();
      den = den.negate();
    }
    BigInteger g = num.gcd(den);
    if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
      num = num.divide(g);
      den = den.divide(g);
    }
    if (num.signum() == 0) {
      den = BigInteger.ONE;
    }
  }

  static Rational of(long n) {
    return new Rational(BigInteger.valueOf(n), BigInteger.ONE);
  }

  static Rational of(BigInteger n) {
    return new Rational(n, BigInteger.ONE);
  }

  Rational add(Rational o, Budget b) {
    b.tick(cost(o));
    return new Rational(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
  }

  Rational subtract(Rational o, Budget b) {
    return add(o.negate(), b);
  }

  Rational multiply(Rational o, Budget b) {
    b.tick(cost(o));
    return new Rational(num.multiply(o.num), den.multiply(o.den));
  }

  /** Null when dividing by zero. */
  Rational divide(Rational o, Budget b) {
    if (o.num.signum() == 0) {
      return null;
    }
    b.tick(cost(o));
    return new Rational(num.multiply(o.den), den.multiply(o.num));
  }

  Rational negate() {
    return new Rational(num.negate(), den);
  }

  /** This to an integer power; null when the result would be too large to keep exact, or 0^-n. */
  Rational pow(long e, Budget b) {
    if (e < 0) {
      Rational inv = ONE.divide(this, b);
      return inv == null ? null : inv.pow(-e, b);
    }
    long bits = Math.max(num.bitLength(), den.bitLength());
    if (bits > 1 && (e > MAX_BITS || bits * e > MAX_BITS)) {
      return null;
    }
    b.tick(1 + bits * e / 16);
    return new Rational(num.pow((int) e), den.pow((int) e));
  }

  /** The exact k-th root when numerator and denominator are perfect k-th powers, else null. */
  Rational root(int k, Budget b) {
    if (k <= 0 || k > 64) {
      return null;
    }
    if (num.signum() < 0) {
      if (k % 2 == 0) {
        return null;
      }
      Rational r = negate().root(k, b);
      return r == null ? null : r.negate();
    }
    BigInteger n = exactRoot(num, k, b);
    BigInteger d = n == null ? null : exactRoot(den, k, b);
    return d == null ? null : new Rational(n, d);
  }

  private static BigInteger exactRoot(BigInteger x, int k, Budget b) {
    if (x.signum() == 0 || x.equals(BigInteger.ONE)) {
      return x;
    }
    b.tick(1 + (long) x.bitLength() * x.bitLength() / 4096);
    BigInteger r = k == 2 ? x.sqrt() : nthRoot(x, k);
    return r.pow(k).equals(x) ? r : null;
  }

  /** Floor of the k-th root by bisection on bits. */
  private static BigInteger nthRoot(BigInteger x, int k) {
    BigInteger lo = BigInteger.ZERO;
    BigInteger hi = BigInteger.ONE.shiftLeft(x.bitLength() / k + 1);
    while (lo.compareTo(hi) < 0) {
      BigInteger mid = lo.add(hi).add(BigInteger.ONE).shiftRight(1);
      if (mid.pow(k).compareTo(x) <= 0) {
        lo = mid;
      } else {
        hi = mid.subtract(BigInteger.ONE);
      }
    }
    return lo;
  }

  boolean isInteger() {
    return den.equals(BigInteger.ONE);
  }

  /** Whether the decimal expansion ends: the denominator has no prime factors but 2 and 5. */
  boolean terminates() {
    BigInteger d = den.shiftRight(den.getLowestSetBit());
    BigInteger five = BigInteger.valueOf(5);
    while (d.mod(five).signum() == 0) {
      d = d.divide(five);
    }
    return d.equals(BigInteger.ONE);
  }

  double toDouble() {
    if (num.bitLength() < 1000 && den.bitLength() < 1000) {
      return num.doubleValue() / den.doubleValue();
    }
    int shift = Math.max(num.bitLength(), den.bitLength()) - 900;
    int exp = num.bitLength() - den.bitLength();
    if (exp > 1100) {
      return num.signum() * Double.POSITIVE_INFINITY;
    }
    if (exp < -1100) {
      return 0.0;
    }
    return num.shiftRight(Math.max(shift, 0)).doubleValue() / den.shiftRight(Math.max(shift, 0)).doubleValue();
  }

  int signum() {
    return num.signum();
  }

  @Override
  public int compareTo(Rational o) {
    return num.multiply(o.den).compareTo(o.num.multiply(den));
  }

  /** Steps for an operation with o: linear in size, plus the quadratic gcd; beyond 2 MAX_BITS it is refused. */
  private long cost(Rational o) {
    long bits = Math.max(num.bitLength(), den.bitLength()) + (long) Math.max(o.num.bitLength(), o.den.bitLength());
    if (bits > 2L * MAX_BITS) {
      throw new Budget.Exceeded("numbers of " + bits + " bits");
    }
    return 1 + bits / 256 + bits * bits / (1L << 22);
  }

  @Override
  public String toString() {
    return isInteger() ? num.toString() : num + "/" + den;
  }
}
