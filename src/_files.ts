// The original API of gocept.filestore, with its defects fixed: prepare,
// create, list, walk, move, copy, remove, read.
import type { Area } from "./areas.ts";
import {
  areaPath,
  type Context,
  directoryOptions,
  entryPath,
  fileOptions,
} from "./_context.ts";
import { publish } from "./_deliver.ts";
import { compareUtf8, utf16IsUtf8Order } from "./_entry.ts";
import { quietly, rethrow } from "./_rethrow.ts";
import { listed, scanArea } from "./_scan_area.ts";
import { makeArea, syncAfter } from "./_sync.ts";
import { chunksFrom, write } from "./_write.ts";
import {
  AlreadyExistsError,
  NotADirectoryError,
  NotAFileError,
  NotFoundError,
  PermissionDeniedError,
} from "./errors.ts";
import type { DirEntry, FileHandle, FileInfo } from "./file_system.ts";
import type { CreateMode, MoveOptions } from "./options.ts";

export async function prepare(ctx: Context): Promise<void> {
  const fs = ctx.fs;
  const dir = ctx.dir;
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    if (
      err instanceof AlreadyExistsError || err instanceof NotADirectoryError
    ) {
      throw new NotADirectoryError(
        `Cannot prepare '${dir}': '${dir}' is not a directory`,
        { cause: err.cause ?? err },
      );
    }
    // Linux checks the parent's write permission before it looks whether
    // the directory exists: a consumer of a shared spool, which may not
    // write the spool's parent, finds the store made already.
    if (
      !(err instanceof PermissionDeniedError && await isDirectory(ctx, dir))
    ) {
      rethrow(err, `Cannot prepare '${dir}'`, dir);
    }
  }
  for (const area of ["tmp", "new", "cur"] as const) {
    const path = areaPath(ctx, area);
    try {
      await fs.mkdir(path, directoryOptions(ctx));
    } catch (err) {
      const denied = err instanceof PermissionDeniedError;
      if (!(err instanceof AlreadyExistsError) && !denied) {
        rethrow(err, `Cannot prepare '${dir}'`, path);
      }
      // Made by another process (or by the spool's owner, where this user
      // may not write the store's directory), or something else is there.
      let info;
      try {
        info = await fs.lstat(path);
      } catch {
        rethrow(err, `Cannot prepare '${dir}'`, path);
      }
      if (!info.isDirectory) {
        throw new NotADirectoryError(
          `Cannot prepare '${dir}': '${area}' is ${
            info.isSymlink ? "a symbolic link" : "not a directory"
          }`,
        );
      }
    }
  }
  if (ctx.durability === "full" && fs.capabilities.syncDirectory) {
    try {
      await fs.syncDirectory(dir);
    } catch (err) {
      rethrow(err, `Cannot prepare '${dir}'`, dir);
    }
  }
}

async function isDirectory(ctx: Context, path: string): Promise<boolean> {
  try {
    return (await ctx.fs.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

export async function create(
  ctx: Context,
  name: string,
  mode: CreateMode,
): Promise<FileHandle> {
  const path = entryPath(ctx, "tmp", name);
  try {
    // Never through a link planted at tmp/<name>, never into a FIFO.
    return await ctx.fs.open(path, {
      ...(mode === "w"
        ? { write: true, create: true, truncate: true }
        : mode === "a"
        ? { append: true, create: true }
        : { write: true, createNew: true }),
      regularOnly: true,
      ...fileOptions(ctx),
    });
  } catch (err) {
    rethrow(
      err,
      `Cannot create '${name}' in 'tmp'`,
      err instanceof NotFoundError ? "tmp" : `tmp/${name}`,
    );
  }
}

// A name with U+FFFD may be a name that is not UTF-8, listed under a decoded
// form that does not exist: such a name is never listed.
async function exists(
  ctx: Context,
  area: Area,
  name: string,
): Promise<boolean> {
  try {
    await ctx.fs.lstat(entryPath(ctx, area, name));
    return true;
  } catch {
    return false;
  }
}

// The listed files of one batch of a listing, as full paths.
async function visible(
  ctx: Context,
  area: Area,
  batch: DirEntry[],
): Promise<string[]> {
  const paths: string[] = [];
  for (const e of batch) {
    if (!listed(e)) continue;
    if (e.name.includes("\ufffd") && !(await exists(ctx, area, e.name))) {
      continue;
    }
    paths.push(entryPath(ctx, area, e.name));
  }
  return paths;
}

/** The full paths of an area's files, in directory order. */
export async function* walk(ctx: Context, area: Area): AsyncIterable<string> {
  for await (const batch of scanArea(ctx, area, `Cannot walk '${area}'`)) {
    yield* await visible(ctx, area, batch);
  }
}

/** The full paths of an area's files, sorted. */
export async function list(ctx: Context, area: Area): Promise<string[]> {
  // visible(), inlined: this is the listing a consumer of a large queue
  // makes. One look at each name says whether it needs the slow order and
  // whether it may be a name that is not UTF-8.
  const names: string[] = [];
  let plain = true;
  const what = `Cannot list '${area}'`;
  for await (const batch of scanArea(ctx, area, what, true)) {
    for (const e of batch) {
      if (!listed(e)) continue;
      const name = e.name;
      if (!utf16IsUtf8Order(name)) {
        plain = false;
        if (name.includes("\ufffd") && !(await exists(ctx, area, name))) {
          continue;
        }
      }
      names.push(name);
    }
  }
  // In UTF-8 byte order, as claims take them. Outside `wait` every path is
  // the area's directory and the name: the names are sorted, not the
  // longer paths.
  if (area === "wait") {
    const paths = names.map((name) => entryPath(ctx, area, name));
    return plain ? paths.sort() : paths.sort(compareUtf8);
  }
  if (plain) names.sort();
  else names.sort(compareUtf8);
  const prefix = `${areaPath(ctx, area)}/`;
  for (let i = 0; i < names.length; i++) names[i] = prefix + names[i];
  return names;
}

// Checks, without following a symbolic link, that an entry is what the
// operation accepts; else NotAFileError.
async function expect(
  ctx: Context,
  area: Area,
  entry: string,
  what: string,
  accept: (info: FileInfo) => boolean,
): Promise<void> {
  let info;
  try {
    info = await ctx.fs.lstat(entryPath(ctx, area, entry));
  } catch (err) {
    rethrow(err, what, `${area}/${entry}`);
  }
  if (!accept(info)) {
    throw new NotAFileError(
      `${what}: '${area}/${entry}' is not a regular file`,
    );
  }
}

export async function move(
  ctx: Context,
  entry: string,
  from: Area,
  to: Area,
  options: MoveOptions,
): Promise<void> {
  const what = `Cannot move '${entry}' from '${from}' to '${to}'`;
  const source = entryPath(ctx, from, entry);
  const target = entryPath(ctx, to, entry);
  try {
    if (from === to) {
      await ctx.fs.lstat(source);
      return;
    }
    if (to === "dead" || to === "wait") await makeArea(ctx, to);
    if (to === "wait") await makeParent(ctx, target);
    if (options.overwrite) await ctx.fs.rename(source, target);
    else await publish(ctx, source, target, false);
  } catch (err) {
    rethrow(
      err,
      what,
      err instanceof AlreadyExistsError ? `${to}/${entry}` : `${from}/${entry}`,
    );
  }
  await syncAfter(
    ctx,
    to,
    () => `Moved '${entry}'`,
    ctx.durability,
    target.slice(0, target.lastIndexOf("/")),
  );
  await syncAfter(ctx, from, () => `Moved '${entry}'`);
}

export async function copy(
  ctx: Context,
  entry: string,
  from: Area,
  to: Area,
  options: MoveOptions,
): Promise<void> {
  const fs = ctx.fs;
  const what = `Cannot copy '${entry}' from '${from}' to '${to}'`;
  const target = entryPath(ctx, to, entry);
  const temp = entryPath(ctx, "tmp", "." + ctx.names.next());
  let input: FileHandle;
  try {
    // Opened once and checked for what it is: a regular file, not a link.
    input = await fs.open(entryPath(ctx, from, entry), {
      read: true,
      regularOnly: true,
    });
  } catch (err) {
    rethrow(err, what, `${from}/${entry}`);
  }
  try {
    // Like a delivery: written in full under a temporary name first.
    await write(
      fs,
      temp,
      chunksFrom(input),
      ctx.durability !== "none",
      false,
      ctx.mode.files,
    );
  } catch (err) {
    rethrow(err, what, "tmp");
  } finally {
    await quietly(() => input.close());
  }
  try {
    if (to === "dead" || to === "wait") await makeArea(ctx, to);
    if (to === "wait") await makeParent(ctx, target);
    if (options.overwrite) await fs.rename(temp, target);
    else await publish(ctx, temp, target, true);
  } catch (err) {
    await quietly(() => fs.unlink(temp));
    rethrow(err, what, `${to}/${entry}`);
  }
  await syncAfter(
    ctx,
    to,
    () => `Copied '${entry}'`,
    ctx.durability,
    target.slice(0, target.lastIndexOf("/")),
  );
}

/**
 * Makes the directory of `wait` that `target` is in (a waiting entry's,
 * `wait/HI/LO`), one level at a time, when it is not `wait` itself.
 */
async function makeParent(ctx: Context, target: string): Promise<void> {
  const dir = target.slice(0, target.lastIndexOf("/"));
  const wait = `${ctx.dir}/wait`;
  if (dir === wait) return;
  for (const path of [dir.slice(0, dir.lastIndexOf("/")), dir]) {
    try {
      await ctx.fs.mkdir(path, directoryOptions(ctx));
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }
}

export async function remove(
  ctx: Context,
  entry: string,
  area: Area,
): Promise<void> {
  const what = `Cannot remove '${entry}' from '${area}'`;
  await expect(ctx, area, entry, what, (info) => !info.isDirectory);
  try {
    await ctx.fs.unlink(entryPath(ctx, area, entry));
  } catch (err) {
    rethrow(err, what, `${area}/${entry}`);
  }
  await syncAfter(ctx, area, () => `Removed '${entry}'`);
}

export async function read(
  ctx: Context,
  entry: string,
  area: Area,
): Promise<Uint8Array> {
  const what = `Cannot read '${entry}' from '${area}'`;
  try {
    // One open that refuses links and anything but a regular file.
    return await ctx.fs.readFile(entryPath(ctx, area, entry));
  } catch (err) {
    rethrow(err, what, `${area}/${entry}`);
  }
}
