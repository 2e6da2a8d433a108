/**
 * A one-line progress display on a terminal: done/total, frames per second and time left. Silent when
 * the stream is not a TTY (logs, CI), so machine-readable stdout stays clean either way.
 */
import type { WriteStream } from "node:tty";

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  return h ? `${h}:${mmss}` : mmss;
}

/** The text of one progress line (exported for tests). */
export function progressLine(done: number, total: number | null, elapsedSeconds: number, width = 30): string {
  const fps = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const rate = `${fps.toFixed(1)} fps`;
  if (total === null || total <= 0) return `${done} frames  ${rate}  ${clock(elapsedSeconds)}`;
  const fraction = Math.min(1, done / total);
  const filled = Math.round(fraction * width);
  const eta = fps > 0 ? (total - done) / fps : Number.NaN;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${(fraction * 100).toFixed(0)}%  ${rate}  ETA ${clock(eta)}`;
}

export class ProgressBar {
  readonly #stream: NodeJS.WriteStream | WriteStream;
  readonly #enabled: boolean;
  readonly #start = performance.now();
  #total: number | null;
  #done = 0;
  #lastDraw = 0;

  constructor(total: number | null, stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#enabled = stream.isTTY === true;
    this.#total = total;
  }

  tick(n = 1): void {
    this.#done += n;
    const now = performance.now();
    if (now - this.#lastDraw > 100) this.#draw(now);
  }

  /** Clears the line so messages printed next start on a clean line. */
  clear(): void {
    if (this.#enabled) this.#stream.write("\r\x1b[K");
  }

  /** Draws the final state and moves to the next line. */
  finish(): void {
    if (!this.#enabled) return;
    this.#draw(performance.now());
    this.#stream.write("\n");
  }

  #draw(now: number): void {
    if (!this.#enabled) return;
    this.#lastDraw = now;
    this.#stream.write(`\r\x1b[K${progressLine(this.#done, this.#total, (now - this.#start) / 1000)}`);
  }
}
