/**
 * A fixed number of slots handed out first come, first served: the model slots of a run. A photo that has been
 * read and decoded waits here for a free slot, so the slots never wait for a photo's local work.
 */
export class Slots {
  private free: number;
  private readonly waiting: { grant: (release: () => void) => void }[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new TypeError(`Slots: size must be a positive integer (got ${String(size)}, ${typeof size})`);
    this.free = size;
  }

  /** Resolves with the slot's release once one is free; rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason as unknown);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: (release: () => void) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal!.reason as unknown);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** `work` in a slot, given back when it ends (or earlier: `work` gets the release). */
  async run<T>(work: (release: () => void) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await work(release);
    } finally {
      release();
    }
  }

  /** Slots in use. */
  get busy(): number {
    return this.size - this.free;
  }

  /** A release works once: a second call (a finally after a catch) must not free someone else's slot. */
  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant(this.releaser());
      else this.free++;
    };
  }
}
