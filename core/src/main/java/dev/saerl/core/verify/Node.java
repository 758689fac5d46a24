package dev.saerl.core.verify;

import java.util.List;

/** A parsed answer. Scalars are trees of numbers, variables, constants and operations; the rest are shapes around them. */
sealed interface Node {
  /** A number as written: {@code decimals} is -1 unless written as a decimal (or scientific). */
  record Num(Rational value, int decimals, int significant, boolean approximate) implements Node {
    static Num exact(Rational value) {
      return new Num(value, -1, 0, false);
    }

    boolean decimal() {
      return decimals >= 0 || approximate;
    }
  }

  record Var(String name) implements Node {}

  /** {@code pi}, {@code e}, {@code i} (the imaginary unit) or {@code inf}. */
  record Const(String name) implements Node {}

  record Neg(Node x) implements Node {}

  /** A binary operation: {@code + - * / ^}. */
  record Bin(char op, Node a, Node b) implements Node {}

  /** A function: sqrt, root (arg, index), sin..., log (arg[, base]), ln, exp, abs, floor, ceil, fact, binom, max, min, gcd. */
  record Fn(String name, List<Node> args) implements Node {
    public Fn {
      args = List.copyOf(args);
    }
  }

  /** {@code x%}: equal to x/100, and also accepted against x itself. */
  record Pct(Node x) implements Node {}

  /** {@code a \pm b}; {@code a} is null for a leading {@code \pm b}. */
  record PlusMinus(Node a, Node b) implements Node {}

  /** A relation or chain: {@code sides.size() == ops.size() + 1}; ops are {@code = < > <= >= != ~ in}. */
  record Rel(List<Node> sides, List<String> ops) implements Node {
    public Rel {
      sides = List.copyOf(sides);
      ops = List.copyOf(ops);
    }

    Node last() {
      return sides.get(sides.size() - 1);
    }

    boolean equalities() {
      return ops.stream().allMatch(o -> o.equals("=") || o.equals("~"));
    }
  }

  /**
   * Items in brackets: {@code ( )} tuple or open interval, {@code [ ]} list or closed interval, mixed
   * ends an interval, {@code { }} a set; {@code open == ' '} a bare comma list (order-free), {@code 'o'}
   * alternatives joined by "or".
   */
  record Seq(char open, char close, List<Node> items) implements Node {
    public Seq {
      items = List.copyOf(items);
    }

    boolean unordered() {
      return open == '{' || open == ' ' || open == 'o';
    }

    boolean intervalLike() {
      return items.size() == 2 && (open == '(' || open == '[') && (close == ')' || close == ']');
    }
  }

  record Union(List<Node> parts) implements Node {
    public Union {
      parts = List.copyOf(parts);
    }
  }

  record Matrix(List<List<Node>> rows) implements Node {
    public Matrix {
      rows = rows.stream().map(List::copyOf).toList();
    }
  }

  /** Words: a unit, a name, or an answer in words. */
  record Text(String text) implements Node {}
}
