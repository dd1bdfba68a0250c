/** The waiting line of a {@link ByteBudget} is full: answer 503 instead of queueing more. */
export class QueueFullError extends Error {
  constructor(readonly waiting: number) {
    super(`${waiting} requests are already waiting for memory`);
    this.name = "QueueFullError";
  }
}

/** A share of a {@link ByteBudget}, held until released. */
export interface Grant {
  /** Bytes currently held. */
  readonly bytes: number;
  /** Gives back the part above `bytes` (never grows: growing could deadlock two holders). */
  shrink(bytes: number): void;
  /** Gives everything back; further calls do nothing. */
  release(): void;
}

interface Waiter {
  readonly bytes: number;
  readonly grant: (grant: Grant) => void;
  readonly fail: (error: unknown) => void;
}

/**
 * A counting semaphore over bytes with a bounded FIFO waiting line. The
 * receiver charges every request what it may hold in memory before it holds
 * it, so the sum of what requests hold never passes `capacity`, however many
 * connections are open; the line is bounded so that waiting requests (each
 * an open connection with a parser) cannot grow without end either.
 *
 * Strict FIFO: a large request at the head is not overtaken by small ones,
 * so it cannot starve. A request larger than the whole budget is charged the
 * whole budget (it runs alone) rather than never.
 */
export class ByteBudget {
  private held = 0;
  private readonly line: Waiter[] = [];

  constructor(
    /** Bytes that may be held at once. */
    readonly capacity: number,
    /** Requests that may wait; one more gets {@link QueueFullError}. Default: unbounded. */
    readonly maxWaiting: number = Number.POSITIVE_INFINITY,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new Error(`ByteBudget capacity must be a positive integer, got ${capacity}`);
    }
    if (!(maxWaiting >= 0)) throw new Error(`ByteBudget maxWaiting must be ≥ 0, got ${maxWaiting}`);
  }

  /** Bytes held now. */
  get used(): number {
    return this.held;
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.line.length;
  }

  /**
   * Resolves with a grant of `bytes` (at most `capacity`) once it fits and
   * every earlier waiter was served.
   * @throws QueueFullError at once when `maxWaiting` requests already wait.
   * @throws the signal's reason when `signal` aborts first (the place in line is given up).
   */
  acquire(bytes: number, signal?: AbortSignal): Promise<Grant> {
    const wanted = Math.min(this.capacity, Math.max(0, Math.ceil(bytes)));
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    if (this.line.length === 0 && this.held + wanted <= this.capacity) {
      return Promise.resolve(this.take(wanted));
    }
    if (this.line.length >= this.maxWaiting) return Promise.reject(new QueueFullError(this.line.length));
    return new Promise<Grant>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.line.indexOf(waiter);
        if (at === -1) return;
        this.line.splice(at, 1);
        reject(signal?.reason as Error);
        // The head may have been what blocked smaller waiters behind it.
        this.serve();
      };
      const waiter: Waiter = {
        bytes: wanted,
        grant: (grant) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(grant);
        },
        fail: reject,
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.line.push(waiter);
    });
  }

  private take(bytes: number): Grant {
    this.held += bytes;
    let current = bytes;
    const give = (amount: number): void => {
      this.held -= amount;
      this.serve();
    };
    return {
      get bytes() {
        return current;
      },
      shrink: (to) => {
        const target = Math.max(0, Math.ceil(to));
        if (target >= current) return;
        const freed = current - target;
        current = target;
        give(freed);
      },
      release: () => {
        if (current === 0) return;
        const freed = current;
        current = 0;
        give(freed);
      },
    };
  }

  private serve(): void {
    for (;;) {
      const head = this.line[0];
      if (head === undefined || this.held + head.bytes > this.capacity) return;
      this.line.shift();
      head.grant(this.take(head.bytes));
    }
  }
}
