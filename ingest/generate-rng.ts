import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";

const TWO_32 = 4_294_967_296;

/**
 * A seeded random source for the synthetic shop (xoroshiro128+ from pure-rand): the same seed gives
 * the same sequence on every machine. `fork()` gives an independent stream (a jump of 2^64 draws), so
 * entities and events can be drawn separately without one shifting the other.
 *
 * @example const rng = new Rng(42); rng.int(6) // 0..5
 */
export class Rng {
  readonly #gen: JumpableRandomGenerator;

  constructor(seedOrGen: number | JumpableRandomGenerator) {
    this.#gen = typeof seedOrGen === "number" ? xoroshiro128plus(seedOrGen | 0) : seedOrGen;
  }

  /** An independent stream; this one is advanced past it. */
  fork(): Rng {
    const child = this.#gen.clone();
    this.#gen.jump();
    return new Rng(child);
  }

  /** A copy that will draw the same sequence as this one. */
  clone(): Rng {
    return new Rng(this.#gen.clone());
  }

  /** Uniform in [0, 1), 32 bits of randomness (plenty for a simulation, and fast). */
  float(): number {
    return (this.#gen.next() >>> 0) / TWO_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Log-uniform in [lo, hi): many short gaps, a few long ones. */
  logUniform(lo: number, hi: number): number {
    return lo * (hi / lo) ** this.float();
  }

  /** Geometric count ≥ 0 with the given mean. */
  geometric(mean: number): number {
    const p = 1 / (mean + 1);
    return Math.floor(Math.log(1 - this.float()) / Math.log(1 - p));
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }
}

/**
 * Draws indexes with fixed weights by binary search over the cumulative weights (O(log n) a draw).
 *
 * @example const s = new WeightedSampler(zipfWeights(100, 1.1)); s.draw(rng) // mostly small indexes
 */
export class WeightedSampler {
  readonly #cum: Float64Array;
  readonly size: number;

  constructor(weights: ArrayLike<number>) {
    this.size = weights.length;
    this.#cum = new Float64Array(weights.length);
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      total += weights[i]!;
      this.#cum[i] = total;
    }
  }

  get total(): number {
    return this.size === 0 ? 0 : this.#cum[this.size - 1]!;
  }

  draw(rng: Rng): number {
    return this.locate(rng.float() * this.total);
  }

  /** The index whose cumulative range holds `x` (0 ≤ x < total). */
  locate(x: number): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** The cumulative weight before index `i`. */
  before(i: number): number {
    return i === 0 ? 0 : this.#cum[i - 1]!;
  }
}

/** Zipf weights 1/rank^s for ranks 1..n. */
export function zipfWeights(n: number, s: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 1 / (i + 1) ** s;
  return w;
}
