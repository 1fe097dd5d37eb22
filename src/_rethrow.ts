// How a filesystem failure becomes the error a caller sees: the same class,
// a message that names the operation and the file, the native error kept as
// the cause.
import {
  AlreadyExistsError,
  FileStoreError,
  NoSpaceError,
  NotADirectoryError,
  NotAFileError,
  NotFoundError,
  PermissionDeniedError,
  TooManyOpenFilesError,
} from "./errors.ts";
import { type ErrorClass, NATIVE_CLASSES } from "./_error_classes.ts";

function nativeCode(err: FileStoreError): string {
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? ` (${code})` : "";
}

/** Why `err` happened, in words, about `subject` (an area-relative path). */
export function reason(err: FileStoreError, subject: string): string {
  if (err instanceof NotFoundError) return `'${subject}' does not exist`;
  if (err instanceof AlreadyExistsError) return `'${subject}' already exists`;
  if (err instanceof NotADirectoryError) {
    return `'${subject}' is not a directory`;
  }
  if (err instanceof NotAFileError) return `'${subject}' is not a regular file`;
  if (err instanceof PermissionDeniedError) {
    return `permission denied${nativeCode(err)}`;
  }
  if (err instanceof NoSpaceError) {
    return `no space left on the device${nativeCode(err)}`;
  }
  if (err instanceof TooManyOpenFilesError) {
    return `too many open files${nativeCode(err)}`;
  }
  return err.message;
}

/**
 * Rethrows a filesystem failure as the same class with a message that names
 * the operation (`what`) and why, about `subject`. Anything else, and
 * filestore errors that carry more than a message, are rethrown untouched.
 */
export function rethrow(err: unknown, what: string, subject: string): never {
  throw wrap(err, what, subject);
}

/** The error {@linkcode rethrow} throws, returned instead. */
export function wrap(err: unknown, what: string, subject: string): unknown {
  if (err instanceof FileStoreError) {
    const Class = err.constructor as ErrorClass;
    if (NATIVE_CLASSES.has(Class)) {
      return new Class(`${what}: ${reason(err, subject)}`, {
        cause: err.cause ?? err,
      });
    }
  }
  return err;
}

/** Runs a clean-up step whose failure must not hide the error at hand. */
export async function quietly(step: () => unknown): Promise<void> {
  try {
    await step();
  } catch {
    // the caller reports the first failure; clean() removes what is left
  }
}
