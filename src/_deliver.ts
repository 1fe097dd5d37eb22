// Deliver and Deliver many (PROTOCOL.md, section 4): write under a generated
// name in `tmp`, fsync, publish into `new`, sync `new`. A generated name is
// unique by construction and published with one rename; an explicit name is
// published with a hard link, which never replaces a file of that name.
import { type Context, entryPath } from "./_context.ts";
import { quietly, rethrow } from "./_rethrow.ts";
import { waitingEntryOf } from "./_entry.ts";
import { noteDue } from "./_fail.ts";
import { syncArea } from "./_sync.ts";
import { renameIntoWait, syncBucket } from "./_wait.ts";
import { BATCH_OPEN, syncAll, write } from "./_write.ts";
import {
  AlreadyExistsError,
  FileStoreError,
  NotDurableError,
  NotFoundError,
  PartialDeliveryError,
  TooManyOpenFilesError,
} from "./errors.ts";
import type { FileHandle } from "./file_system.ts";
import type { BatchFile, DeliverData, DeliverManyOptions } from "./options.ts";
import type { Durability } from "./durability.ts";

/**
 * Gives `from` the name `to` without ever replacing a file at `to`: a hard
 * link, then the removal of the old name. Where the backend has no hard
 * links, a check then a rename (which a simultaneous publish of the same
 * name can defeat). Throws `AlreadyExistsError` if `to` exists, with nothing
 * changed. Where `from` is a private temporary, a failure to remove it after
 * the link leaves it for `clean()` and the publish stands (a consumer may
 * have claimed the file already). Where `from` is a visible entry (`move()`),
 * the link is undone and the failure thrown, so the file keeps one name.
 */
export async function publish(
  ctx: Context,
  from: string,
  to: string,
  temporary: boolean,
): Promise<void> {
  const fs = ctx.fs;
  if (!fs.capabilities.hardLinks) {
    let exists = true;
    try {
      await fs.lstat(to);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      exists = false;
    }
    if (exists) throw new AlreadyExistsError(`'${to}' already exists`);
    await fs.rename(from, to);
    return;
  }
  await fs.link(from, to);
  if (temporary) return await quietly(() => fs.unlink(from));
  try {
    await fs.unlink(from);
  } catch (err) {
    await quietly(() => fs.unlink(to));
    throw err;
  }
}

/**
 * Publishes a delivery: one rename for a generated name, else a publish. A
 * delivery held back until `due` is renamed into `wait` under a name with
 * its due time and a token of this process (no other process makes it, so
 * nothing is in the way).
 */
async function publishDelivery(
  ctx: Context,
  temp: string,
  name: string,
  generated: boolean,
  due: number | undefined,
): Promise<void> {
  if (due !== undefined) {
    const entry = waitingEntryOf(name, 0, due, ctx.names.token(ctx.now()));
    await renameIntoWait(ctx, temp, entry, due);
    noteDue(ctx, due);
    return;
  }
  const target = entryPath(ctx, "new", name);
  if (generated) await ctx.fs.rename(temp, target);
  else await publish(ctx, temp, target, true);
}

async function syncNew(
  ctx: Context,
  durability: Durability,
  names: string[],
  due: number | undefined,
): Promise<void> {
  const area = due === undefined ? "new" : "wait";
  try {
    if (due === undefined) await syncArea(ctx, "new", durability);
    else await syncBucket(ctx, due, durability);
  } catch (err) {
    const shown = names.length === 1
      ? `'${names[0]}'`
      : `${names.length} files`;
    throw new NotDurableError(
      `Delivered ${shown} but cannot sync '${area}': ${
        err instanceof FileStoreError ? err.message : String(err)
      }`,
      {
        cause: err instanceof FileStoreError ? err.cause ?? err : err,
        name: names[0]!,
        names,
      },
    );
  }
}

const encoder = new TextEncoder();

/**
 * The common delivery, as {@linkcode deliver} makes it (bytes or text, a
 * generated name, no delay, no fsync: create and write the temporary, one
 * rename into `new`), with no await where the backend's calls answer at
 * once, as the Deno and Node backends' do. A backend that returns promises
 * gets the same steps, awaited.
 */
export function deliverPlain(
  ctx: Context,
  data: string | Uint8Array,
): string | Promise<string> {
  const name = ctx.names.next();
  const temp = entryPath(ctx, "tmp", "." + name);
  let written: unknown;
  try {
    written = ctx.fs.writeNewFile(
      temp,
      typeof data === "string" ? encoder.encode(data) : data,
      ctx.mode.files,
    );
  } catch (err) {
    return plainFailed(ctx, err, name, temp, false);
  }
  return written instanceof Promise
    ? written.then(
      () => publishPlain(ctx, name, temp),
      (err) => plainFailed(ctx, err, name, temp, false),
    )
    : publishPlain(ctx, name, temp);
}

// The rename of a plain delivery into `new`, answered as the backend does.
function publishPlain(
  ctx: Context,
  name: string,
  temp: string,
): string | Promise<string> {
  let renamed: unknown;
  try {
    renamed = ctx.fs.rename(temp, entryPath(ctx, "new", name));
  } catch (err) {
    return plainFailed(ctx, err, name, temp, true);
  }
  return renamed instanceof Promise
    ? renamed.then(
      () => name,
      (err) => plainFailed(ctx, err, name, temp, true),
    )
    : name;
}

// What write() and deliver() do when a step fails: the temporary goes (a
// temporary that already existed is somebody else's), and the error says
// what failed.
async function plainFailed(
  ctx: Context,
  err: unknown,
  name: string,
  temp: string,
  written: boolean,
): Promise<never> {
  if (written || !(err instanceof AlreadyExistsError)) {
    await quietly(() => ctx.fs.unlink(temp));
  }
  rethrow(err, `Cannot deliver '${name}'`, written ? `new/${name}` : "tmp");
}

export async function deliver(
  ctx: Context,
  data: DeliverData,
  explicit: string | undefined,
  durability: Durability,
  due?: number,
): Promise<string> {
  const generated = ctx.names.next();
  const name = explicit ?? generated;
  const temp = entryPath(ctx, "tmp", "." + generated);
  let written = false;
  try {
    await write(
      ctx.fs,
      temp,
      data,
      durability !== "none",
      false,
      ctx.mode.files,
    );
    written = true;
    await publishDelivery(ctx, temp, name, explicit === undefined, due);
  } catch (err) {
    if (written) await quietly(() => ctx.fs.unlink(temp));
    rethrow(err, `Cannot deliver '${name}'`, written ? `new/${name}` : "tmp");
  }
  if (durability === "full") {
    await syncNew(ctx, durability, [name], due);
  }
  return name;
}

function partial(err: unknown, name: string, delivered: string[]): Error {
  const reason = err instanceof FileStoreError ? err.message : String(err);
  return new PartialDeliveryError(
    `Cannot deliver '${name}' after ${delivered.length} of the batch: ${reason}`,
    {
      cause: err instanceof FileStoreError ? err.cause ?? err : err,
      delivered: [...delivered],
    },
  );
}

export async function deliverMany(
  ctx: Context,
  items: BatchFile[],
  durability: Durability,
  options: DeliverManyOptions,
  due?: number,
): Promise<string[]> {
  const fs = ctx.fs;
  const delivered: string[] = [];
  // Groups bound the number of open files: at most BATCH_OPEN, and fewer
  // after the process ran out of descriptors (EMFILE): a group then ends
  // where the open failed, and the next ones open no more than it did.
  let limit = BATCH_OPEN;
  for (let start = 0; start < items.length;) {
    const group = items.slice(start, start + limit).map((item) => {
      const generated = ctx.names.next();
      return {
        item,
        name: item.name ?? generated,
        temp: entryPath(ctx, "tmp", "." + generated),
      };
    });
    const written: typeof group = [];
    const handles: FileHandle[] = [];
    try {
      for (const entry of group) {
        let handle;
        try {
          handle = await write(
            fs,
            entry.temp,
            entry.item.data,
            false,
            true,
            ctx.mode.files,
          );
        } catch (err) {
          if (!(err instanceof TooManyOpenFilesError) || !written.length) {
            throw err;
          }
          limit = Math.max(1, written.length - 1);
          break;
        }
        written.push(entry);
        handles.push(handle!);
      }
      if (durability !== "none") await syncAll(handles);
      while (handles.length) await handles.pop()!.close();
    } catch (err) {
      for (const h of handles) await quietly(() => h.close());
      for (const entry of written) await quietly(() => fs.unlink(entry.temp));
      const failed = group[written.length] ?? group[group.length - 1]!;
      if (delivered.length === 0) {
        rethrow(err, `Cannot deliver '${failed.name}'`, "tmp");
      }
      throw partial(err, failed.name, delivered);
    }
    for (let i = 0; i < written.length; i++) {
      const entry = written[i]!;
      try {
        await publishDelivery(
          ctx,
          entry.temp,
          entry.name,
          entry.item.name === undefined,
          due,
        );
      } catch (err) {
        for (const rest of written.slice(i)) {
          await quietly(() => fs.unlink(rest.temp));
        }
        if (delivered.length === 0) {
          rethrow(err, `Cannot deliver '${entry.name}'`, `new/${entry.name}`);
        }
        throw partial(err, entry.name, delivered);
      }
      delivered.push(entry.name);
      options.onProgress?.(delivered.length, items.length);
    }
    start += written.length;
  }
  if (delivered.length) {
    await syncNew(ctx, durability, delivered, due);
  }
  return delivered;
}
