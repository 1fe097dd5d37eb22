/**
 * Messages of `filestore` that say what to do: an error about the store
 * names the store, and a store that is missing (or is a file) says so, with
 * the command that makes one.
 *
 * @module
 */

import { FileStoreError } from "../errors.ts";
import type { FileSystem } from "../file_system.ts";

/**
 * The message for a failure of a command on the store at `store` (an
 * absolute path): what the error says, or what is wrong with the store.
 */
export async function explain(
  err: unknown,
  store: string,
  fs: FileSystem,
): Promise<string> {
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof FileStoreError)) return message;
  if (err.code === "NOT_FOUND" || err.code === "NOT_A_DIRECTORY") {
    const problem = await storeProblem(store, fs);
    if (problem !== undefined) return problem;
  }
  return message.includes(store) ? message : `${message} (store '${store}')`;
}

async function storeProblem(
  store: string,
  fs: FileSystem,
): Promise<string | undefined> {
  const prepare = `run 'filestore --store ${store} prepare'`;
  try {
    const info = await fs.stat(store);
    if (!info.isDirectory) {
      return `'${store}' is a file, not a store (a store is a directory with tmp, new and cur)`;
    }
  } catch {
    return `There is no store at '${store}': ${prepare} to make one`;
  }
  for (const area of ["tmp", "new", "cur"]) {
    try {
      if (!(await fs.stat(`${store}/${area}`)).isDirectory) {
        return `'${store}/${area}' is not a directory: '${store}' is not a store`;
      }
    } catch {
      return `'${store}' is not a prepared store (it has no '${area}'): ${prepare}`;
    }
  }
  return undefined;
}
