// What the Deno and Node backends share: the one table that turns a native
// filesystem failure into a filestore error, and reading Linux process state.
// Both runtimes put the POSIX error name in `code`.
import {
  AlreadyExistsError,
  DirectoryNotEmptyError,
  FileStoreError,
  type FileStoreErrorOptions,
  IOError,
  NoSpaceError,
  NotADirectoryError,
  NotAFileError,
  NotFoundError,
  PermissionDeniedError,
  TooManyOpenFilesError,
} from "./errors.ts";

type ErrorClass = new (
  message: string,
  options?: FileStoreErrorOptions,
) => FileStoreError;

const BY_CODE: Record<string, ErrorClass> = {
  ENOENT: NotFoundError,
  EEXIST: AlreadyExistsError,
  ENOTDIR: NotADirectoryError,
  EISDIR: NotAFileError,
  ELOOP: NotAFileError,
  ENOTEMPTY: DirectoryNotEmptyError,
  EACCES: PermissionDeniedError,
  EPERM: PermissionDeniedError,
  EROFS: PermissionDeniedError,
  ENOSPC: NoSpaceError,
  EDQUOT: NoSpaceError,
  EMFILE: TooManyOpenFilesError,
  ENFILE: TooManyOpenFilesError,
};

/**
 * Translates a native error thrown by a filesystem call into a filestore
 * error whose cause is the native error. Errors that are already filestore
 * errors, and anything that is not an `Error`, pass through untouched.
 */
export function fromNativeError(
  err: unknown,
  operation: string,
  path: string,
): unknown {
  if (err instanceof FileStoreError) return err;
  if (!(err instanceof Error) || !("code" in err)) return err;
  const code = String((err as { code: unknown }).code);
  const Class = BY_CODE[code] ?? IOError;
  return new Class(`${operation} '${path}' failed: ${code}`, { cause: err });
}

/**
 * Reads the state field of a Linux `/proc/<pid>/stat` line: a zombie (`Z`)
 * or dead (`X`) process has ended even if its parent has not reaped it yet.
 */
export function processRuns(stat: string): boolean {
  const state = stat.slice(
    stat.lastIndexOf(")") + 2,
    stat.lastIndexOf(")") + 3,
  );
  return state !== "Z" && state !== "X";
}
