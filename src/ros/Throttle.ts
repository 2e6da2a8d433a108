/** Lets a message through once per period per key (ROS's *_THROTTLE logging), counting what it held back. */
export class Throttle {
  readonly #periodMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(periodMs: number, now: () => number = () => performance.now()) {
    this.#periodMs = periodMs;
    this.#now = now;
  }

  /** The number of messages suppressed since the last one let through, or null to stay quiet now. */
  take(key: string): number | null {
    const now = this.#now();
    const entry = this.#last.get(key);
    if (entry !== undefined && now - entry.at < this.#periodMs) {
      entry.suppressed++;
      return null;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.#last.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }
}
