// The one table that turns a native filesystem failure of Deno or Node into
// a filestore error. Both runtimes put the POSIX error name in `code`.
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
