// The consume loop: claims one file after another (waiting for new ones when
// watching), runs the handler, and settles each claim by what it did.
import type { Context } from "./_context.ts";
import { quietly } from "./_rethrow.ts";
import { Waiter } from "./_waiter.ts";
import type { Claim } from "./claim.ts";
import { ClaimLostError } from "./errors.ts";
import type {
  ClaimsOptions,
  ConsumeOptions,
  ConsumeResult,
} from "./options.ts";

/** Claims files one after another until none is left (or, watching, a stop). */
export async function* claims(
  ctx: Context,
  claim: () => Promise<Claim | null>,
  options: ClaimsOptions,
  poll: number,
): AsyncIterable<Claim> {
  const { signal, watch = false } = options;
  let waiter: Waiter | undefined;
  try {
    while (!signal?.aborted) {
      const next = await claim();
      if (next) {
        yield next;
        continue;
      }
      if (!watch) return;
      if (waiter === undefined) {
        // Watch first, then look again, so nothing slips in between.
        waiter = new Waiter(ctx, poll, signal);
        continue;
      }
      await waiter.wait();
    }
  } finally {
    waiter?.close();
  }
}

/** Runs `handler` for each claim, `concurrency` at a time. */
export async function consume(
  each: (signal: AbortSignal) => AsyncIterable<Claim>,
  handler: (claim: Claim) => unknown,
  options: ConsumeOptions,
  concurrency: number,
): Promise<ConsumeResult> {
  const result: ConsumeResult = {
    handled: 0,
    failed: 0,
    dead: 0,
    lost: 0,
    settled: 0,
  };
  const stop = new AbortController();
  const outer = options.signal;
  const onAbort = (): void => stop.abort();
  outer?.addEventListener("abort", onAbort, { once: true });
  if (outer?.aborted) stop.abort();
  let error: unknown;
  const worker = async (): Promise<void> => {
    for await (const claim of each(stop.signal)) {
      try {
        let failure: unknown;
        let failed = false;
        try {
          await handler(claim);
        } catch (err) {
          failed = true;
          failure = err;
        }
        if (failed) options.onError?.(failure, claim);
        if (!claim.held) {
          // The handler settled its claim itself (for example released it).
          result.settled++;
        } else if (failed) {
          const outcome = await claim.fail(failure);
          result.failed++;
          if (outcome.dead) result.dead++;
        } else {
          await claim.done();
          result.handled++;
        }
      } catch (err) {
        if (err instanceof ClaimLostError) {
          result.lost++;
          continue;
        }
        // Finishing or failing did not work: put the file back for another
        // try (it may be handled again), then stop.
        if (claim.held) await quietly(() => claim.release());
        error ??= err;
        stop.abort();
      }
    }
  };
  try {
    await Promise.all(
      Array.from({ length: concurrency }, () =>
        worker().catch((err) => {
          error ??= err;
          stop.abort();
        })),
    );
  } finally {
    outer?.removeEventListener("abort", onAbort);
  }
  if (error !== undefined) throw error;
  return result;
}
