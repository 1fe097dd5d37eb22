// The consume loop: claims one file after another (waiting for new ones when
// watching), runs the handler, and settles each claim by what it did.
import type { Context } from "./_context.ts";
import { quietly } from "./_rethrow.ts";
import { Heartbeat } from "./_heartbeat.ts";
import { removeAt } from "./_running.ts";
import { Waiter } from "./_waiter.ts";
import { retryDelay } from "./_backoff.ts";
import {
  abortClaim,
  abortReason,
  type Claim,
  type FailResult,
} from "./claim.ts";
import { describeFailure } from "./report.ts";
import { ClaimLostError, TooManyOpenFilesError } from "./errors.ts";
import type {
  Backoff,
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

/** What consume() needs of its store beyond the claims. */
export interface ConsumeEnv {
  readonly claims: (signal: AbortSignal) => AsyncIterable<Claim>;
  /** recover() and clean(), for housekeeping. */
  readonly housekeep: (lease: number) => Promise<unknown>;
  /** The store's lease and backoff, where consume() sets none. */
  readonly lease: number;
  readonly backoff: Backoff;
}

/** The reason a claim's signal aborts when its handler ran out of time. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** The reason a claim's signal aborts when consume() stops. */
class StoppingError extends Error {
  override name = "AbortError";
}

const OK = Symbol("ok");
const TIMED_OUT = Symbol("timed out");
const ABANDONED = Symbol("abandoned");

/** Runs `handler` for each claim, `concurrency` at a time. */
export async function consume(
  env: ConsumeEnv,
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
  // Every error is seen: by the caller's onError, else on the console.
  const report = options.onError ??
    ((err: unknown, claim?: Claim, outcome?: FailResult) =>
      console.error(`filestore: ${describeFailure(err, claim, outcome)}`));
  const lease = options.lease ?? env.lease;
  const beats = new Heartbeat(lease);
  const backoff = options.backoff ?? env.backoff;
  const grace = options.grace ?? 10_000;
  const stop = new AbortController();
  const outer = options.signal;
  const onAbort = (): void => stop.abort();
  outer?.addEventListener("abort", onAbort, { once: true });
  if (outer?.aborted) stop.abort();
  let error: unknown;

  // Housekeeping: recover() and clean() now and every interval, so that a
  // consumer alone keeps the store healthy. Its failures go to onError.
  const housekeeping = options.housekeeping ?? {};
  let sweeping: Promise<unknown> = Promise.resolve();
  let sweeper: ReturnType<typeof setInterval> | undefined;
  if (housekeeping !== false) {
    const sweep = (): void => {
      sweeping = sweeping.then(() =>
        env.housekeep(lease).catch((err) => report(err, undefined))
      );
    };
    sweep();
    sweeper = setInterval(sweep, housekeeping.interval ?? 60_000);
  }

  // What each running handler does when consume() stops: one listener on
  // the stop signal for them all (a listener added and removed for every
  // claim costs Node tens of MiB of resident memory over a long drain).
  // (An array, not a Set: see _running.ts.)
  const onStops: (() => void)[] = [];
  stop.signal.addEventListener("abort", () => {
    for (const onStop of onStops.slice()) onStop();
  }, { once: true });

  // Runs the handler, bounded by the timeout and, after a stop, by the grace
  // period: a handler that outlives them is not waited for.
  const run = async (
    claim: Claim,
  ): Promise<
    typeof OK | typeof TIMED_OUT | typeof ABANDONED | { err: unknown }
  > => {
    const timers: ReturnType<typeof setTimeout>[] = [];
    let onStop: (() => void) | undefined;
    beats.add(claim);
    try {
      // One promise, settled by whichever comes first: the handler, its
      // timeout, or the end of the grace period after a stop.
      return await new Promise((settle) => {
        (async () => await handler(claim))().then(
          () => settle(OK),
          (err: unknown) => settle({ err }),
        );
        if (options.timeout !== undefined) {
          const ms = options.timeout;
          timers.push(setTimeout(() => {
            abortClaim(claim, new TimeoutError(`Timed out after ${ms} ms`));
            settle(TIMED_OUT);
          }, ms));
        }
        onStop = () =>
          timers.push(setTimeout(() => {
            abortClaim(claim, new StoppingError("The consumer is stopping"));
            timers.push(setTimeout(() => settle(ABANDONED), 1000));
          }, grace));
        if (stop.signal.aborted) onStop();
        else onStops.push(onStop);
      });
    } finally {
      beats.remove(claim);
      for (const t of timers) clearTimeout(t);
      if (onStop) removeAt(onStops, onStops.lastIndexOf(onStop));
    }
  };

  const worker = async (): Promise<void> => {
    for await (const claim of env.claims(stop.signal)) {
      try {
        const outcome = await run(claim);
        if (outcome === ABANDONED) {
          // Still running after the stop and its grace: not failed, put back.
          if (claim.held) await claim.release();
          continue;
        }
        const failed = outcome !== OK;
        const failure = outcome === TIMED_OUT
          ? abortReason(claim)
          : outcome === OK
          ? undefined
          : outcome.err;
        const stopping = abortReason(claim) instanceof StoppingError;
        if (failed && !stopping && !claim.held) report(failure, claim);
        if (failed && claim.held && stopping) {
          // The handler gave up because the consumer stops: not its fault,
          // no attempt counted; the file goes back in its place.
          await claim.release();
        } else if (failed && claim.held && outOfFiles(failure)) {
          // The handler ran out of file descriptors: no attempt is counted;
          // the file goes back in its place and the worker waits a little.
          report(failure, claim);
          await claim.release();
          await pause(BACK_OFF, stop.signal);
        } else if (!claim.held) {
          // The handler settled its claim itself (for example released it).
          result.settled++;
        } else if (failed) {
          const outcome = await claim.fail(failure, {
            delay: retryDelay(backoff, claim.attempts + 1),
          });
          result.failed++;
          if (outcome.dead) result.dead++;
          report(failure, claim, outcome);
        } else {
          await claim.done();
          result.handled++;
        }
      } catch (err) {
        if (err instanceof ClaimLostError) {
          result.lost++;
          report(err, claim);
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
    clearInterval(sweeper);
    beats.close();
    await sweeping;
  }
  if (error !== undefined) throw error;
  return result;
}
