// The one table from a native error code to the class a backend throws, and
// the set of those classes (which carry nothing but a message and a cause).
import {
  AlreadyExistsError,
  DirectoryNotEmptyError,
  type FileStoreError,
  type FileStoreErrorOptions,
  IOError,
  NoSpaceError,
  NotADirectoryError,
  NotAFileError,
  NotFoundError,
  PermissionDeniedError,
  TooManyOpenFilesError,
} from "./errors.ts";

export type ErrorClass = new (
  message: string,
  options?: FileStoreErrorOptions,
) => FileStoreError;

export const BY_CODE: Record<string, ErrorClass> = {
  ENOENT: NotFoundError,
  // A network filesystem's "stale file handle": what the name stood for was
  // removed or replaced by another client. For a rename or an unlink that
  // is a lost race, as "not found" is.
  ESTALE: NotFoundError,
  EEXIST: AlreadyExistsError,
  ENOTDIR: NotADirectoryError,
  EISDIR: NotAFileError,
  ELOOP: NotAFileError,
  // A FIFO or a socket opened without blocking, where nothing is at the
  // other end.
  ENXIO: NotAFileError,
  ENOTEMPTY: DirectoryNotEmptyError,
  EACCES: PermissionDeniedError,
  EPERM: PermissionDeniedError,
  EROFS: PermissionDeniedError,
  ENOSPC: NoSpaceError,
  EDQUOT: NoSpaceError,
  EMFILE: TooManyOpenFilesError,
  ENFILE: TooManyOpenFilesError,
};

/** The classes of native failures: a code's class, or IOError for the rest. */
export const NATIVE_CLASSES: ReadonlySet<ErrorClass> = new Set([
  ...Object.values(BY_CODE),
  IOError,
]);
