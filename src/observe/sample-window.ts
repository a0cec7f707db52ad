/**
 * A sliding time window of call outcomes with O(1) record and check: counts of calls, failures and
 * calls slower than a latency limit, over a fixed-capacity ring buffer.
 * @packageDocumentation
 */

/** Window counts at one moment. */
export interface WindowCounts {
  readonly samples: number;
  readonly errors: number;
  /** Calls slower than the latency limit. */
  readonly slow: number;
}

/** Ring buffer of `(time, ok, ms)` samples no older than `windowMs`; the oldest go first when full. */
export class SampleWindow {
  private readonly at: Float64Array;
  private readonly ms: Float64Array;
  private readonly ok: Uint8Array;
  private head = 0;
  private size = 0;
  private errors = 0;
  private slow = 0;

  constructor(
    private readonly windowMs: number,
    private readonly slowMs: number,
    private readonly capacity: number,
  ) {
    this.at = new Float64Array(capacity);
    this.ms = new Float64Array(capacity);
    this.ok = new Uint8Array(capacity);
  }

  /** Adds one sample taken at `now` and drops the ones that left the window. */
  add(now: number, ok: boolean, ms: number): void {
    this.evict(now);
    if (this.size === this.capacity) this.dropOldest();
    const i = (this.head + this.size) % this.capacity;
    this.at[i] = now;
    this.ms[i] = ms;
    this.ok[i] = ok ? 1 : 0;
    this.size++;
    if (!ok) this.errors++;
    if (ms > this.slowMs) this.slow++;
  }

  /** Drops samples older than the window. */
  evict(now: number): void {
    const oldest = now - this.windowMs;
    while (this.size > 0 && this.at[this.head]! <= oldest) this.dropOldest();
  }

  counts(): WindowCounts {
    return { samples: this.size, errors: this.errors, slow: this.slow };
  }

  /** The 99th percentile latency (nearest rank) of the window; sorts a copy, so call it rarely. */
  p99(): number {
    if (this.size === 0) return 0;
    const values: number[] = [];
    for (let k = 0; k < this.size; k++) values.push(this.ms[(this.head + k) % this.capacity]!);
    values.sort((a, b) => a - b);
    return values[p99Rank(values.length) - 1]!;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
    this.errors = 0;
    this.slow = 0;
  }

  private dropOldest(): void {
    if (this.ok[this.head] === 0) this.errors--;
    if (this.ms[this.head]! > this.slowMs) this.slow--;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
  }
}

/**
 * `true` when the nearest-rank p99 of `samples` values exceeds the limit, given how many exceed
 * it: p99 > limit exactly when more than `samples - ceil(0.99 · samples)` values do.
 */
export function p99Exceeds(counts: WindowCounts): boolean {
  return counts.samples > 0 && counts.slow > counts.samples - p99Rank(counts.samples);
}

/** Nearest rank of the 99th percentile among `n` values, `ceil(0.99 · n)`, in integer arithmetic. */
export function p99Rank(n: number): number {
  return Math.floor((99 * n + 99) / 100);
}
