// The wait of a watching consumer (PROTOCOL.md, Claim): woken by a change in
// `new`, by the poll interval, or by the stop signal, whichever comes first.
import { areaPath, type Context } from "./_context.ts";

export class Waiter {
  #stop = new AbortController();
  #pending = false;
  #wake: (() => void) | undefined;
  #poll: number;

  #ctx: Context;

  constructor(ctx: Context, poll: number, signal: AbortSignal | undefined) {
    this.#ctx = ctx;
    this.#poll = poll;
    const onAbort = (): void => this.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#stop.signal.addEventListener(
      "abort",
      () => signal?.removeEventListener("abort", onAbort),
      { once: true },
    );
    if (ctx.fs.capabilities.watch && ctx.fs.watch) {
      const events = ctx.fs.watch(areaPath(ctx, "new"), this.#stop.signal);
      (async () => {
        for await (const _ of events) this.#notify();
      })().catch(() => {
        // Watching failed (for example too many watches): polling remains.
      });
    }
  }

  #notify(): void {
    this.#pending = true;
    this.#wake?.();
  }

  async wait(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    if (!this.#pending) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        // Sooner when a file in `wait` is due before the next poll.
        const due = this.#ctx.waiting.nextDue;
        const until = Number.isFinite(due) ? due - this.#ctx.now() : Infinity;
        timer = setTimeout(
          resolve,
          Math.max(0, Math.min(this.#poll, until + 1)),
        );
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
    this.#pending = false;
  }

  close(): void {
    this.#stop.abort();
    this.#wake?.();
  }
}
