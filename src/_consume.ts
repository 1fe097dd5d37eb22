// The consume loop: claims one file after another (waiting for new ones when
// watching), runs the handler, and settles each claim by what it did.
import type { Context } from "./_context.ts";
import { quietly } from "./_rethrow.ts";
import { Waiter } from "./_waiter.ts";
import type { Claim } from "./claim.ts";
import { ClaimLostError, TooManyOpenFilesError } from "./errors.ts";
import type {
  ClaimsOptions,
  ConsumeOptions,
  ConsumeResult,
} from "./options.ts";

/** How long a consumer out of file descriptors waits before it goes on. */
const BACK_OFF = 50;
/** How many such waits in a row before the failure is reported: 10 s. */
const PATIENCE = 200;

// EMFILE or ENFILE, as the handler's error or anywhere in its causes.
function outOfFiles(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 8; depth++) {
    if (e instanceof TooManyOpenFilesError) return true;
    const code = (e as { code?: unknown }).code;
    if (code === "EMFILE" || code === "ENFILE") return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

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
    let starved = 0;
    while (!signal?.aborted) {
      let next: Claim | null;
      try {
        next = await claim();
        starved = 0;
      } catch (err) {
        // Out of file descriptors: back-pressure, not a failure. Wait for
        // some to be closed, then look again; report it when it lasts.
        if (!(err instanceof TooManyOpenFilesError) || ++starved > PATIENCE) {
          throw err;
        }
        await pause(BACK_OFF, signal);
        continue;
      }
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
        if (failed && claim.held && outOfFiles(failure)) {
          // The handler ran out of file descriptors: no attempt is counted;
          // the file goes back in its place and the worker waits a little.
          await claim.release();
          await pause(BACK_OFF, stop.signal);
        } else if (!claim.held) {
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
