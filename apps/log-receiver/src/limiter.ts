/**
 * A counting semaphore with a FIFO queue: at most `capacity` holders at a
 * time. The receiver holds one slot per request from decompression until the
 * stream acknowledged it, which bounds the decoded bytes held in memory no
 * matter how many connections are open.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`Limiter capacity must be ≥ 1, got ${capacity}`);
  }

  /** Runs `task` once a slot is free and frees the slot when it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.capacity) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
      if (next !== undefined) next();
      else this.active--;
    }
  }
}
