package dev.saerl.core.verify;

/** A complex double for evaluating expressions at points; principal branches throughout. */
record Complex(double re, double im) {
  static final Complex ZERO = new Complex(0, 0);
  static final Complex ONE = new Complex(1, 0);
  static final Complex I = new Complex(0, 1);

  static Complex real(double x) {
    return new Complex(x, 0);
  }

  Complex add(Complex o) {
    return new Complex(re + o.re, im + o.im);
  }

  Complex subtract(Complex o) {
    return new Complex(re - o.re, im - o.im);
  }

  Complex negate() {
    return new Complex(-re, -im);
  }

  Complex multiply(Complex o) {
    return new Complex(re * o.re - im * o.im, re * o.im + im * o.re);
  }

  Complex divide(Complex o) {
    double d = o.re * o.re + o.im * o.im;
    if (d == 0) {
      return new Complex(Double.NaN, Double.NaN);
    }
    return new Complex((re * o.re + im * o.im) / d, (im * o.re - re * o.im) / d);
  }

  double abs() {
    return Math.hypot(re, im);
  }

  double arg() {
    return Math.atan2(im, re);
  }

  boolean isReal() {
    return Math.abs(im) <= 1e-12 * Math.max(1, Math.abs(re));
  }

  boolean isFinite() {
    return Double.isFinite(re) && Double.isFinite(im);
  }

  Complex exp() {
    double m = Math.exp(re);
    return im == 0 ? real(m) : new Complex(m * Math.cos(im), m * Math.sin(im));
  }

  Complex log() {
    return new Complex(Math.log(abs()), arg());
  }

  Complex sqrt() {
    if (im == 0 && re >= 0) {
      return real(Math.sqrt(re));
    }
    double m = abs();
    double r = Math.sqrt((m + re) / 2);
    double i = Math.copySign(Math.sqrt((m - re) / 2), im == 0 ? 1 : im);
    return new Complex(r, i);
  }

  Complex pow(Complex e) {
    if (e.im == 0 && im == 0) {
      double p = e.re;
      if (re >= 0 || p == Math.rint(p)) {
        return real(Math.pow(re, p));
      }
    }
    if (re == 0 && im == 0) {
      return e.re > 0 ? ZERO : new Complex(Double.NaN, Double.NaN);
    }
    return e.multiply(log()).exp();
  }

  Complex sin() {
    return new Complex(Math.sin(re) * Math.cosh(im), Math.cos(re) * Math.sinh(im));
  }

  Complex cos() {
    return new Complex(Math.cos(re) * Math.cosh(im), -Math.sin(re) * Math.sinh(im));
  }

  Complex tan() {
    return sin().divide(cos());
  }

  Complex sinh() {
    return exp().subtract(negate().exp()).multiply(real(0.5));
  }

  Complex cosh() {
    return exp().add(negate().exp()).multiply(real(0.5));
  }

  /** asin z = -i log(iz + sqrt(1 - z^2)). */
  Complex asin() {
    if (im == 0 && Math.abs(re) <= 1) {
      return real(Math.asin(re));
    }
    return I.negate().multiply(I.multiply(this).add(ONE.subtract(multiply(this)).sqrt()).log());
  }

  Complex acos() {
    if (im == 0 && Math.abs(re) <= 1) {
      return real(Math.acos(re));
    }
    return real(Math.PI / 2).subtract(asin());
  }

  /** atan z = (i/2) log((i + z) / (i - z)). */
  Complex atan() {
    if (im == 0) {
      return real(Math.atan(re));
    }
    return new Complex(0, 0.5).multiply(I.add(this).divide(I.subtract(this)).log());
  }

  /** Equal within a relative tolerance; below 1e-12 (rounding noise such as sin(pi)) counts as zero. */
  boolean closeTo(Complex o, double tolerance) {
    double diff = subtract(o).abs();
    return diff <= 1e-12 || diff <= tolerance * Math.max(abs(), o.abs());
  }
}
