/**
 * The error classes of filestore. Every failure of a store operation or of a
 * backend is one of these, so callers can `instanceof` them and scripts can
 * rely on the stable `code` string (the CLI prints it with `--json`). Wrong
 * argument types are plain `TypeError`s.
 *
 * @module
 */

/**
 * The stable `code` of every filestore error, as the CLI prints it with
 * `--json`.
 */
export type FileStoreErrorCode =
  | "FILESTORE_ERROR"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "INVALID_NAME"
  | "INVALID_AREA"
  | "NOT_A_DIRECTORY"
  | "NOT_A_FILE"
  | "DIRECTORY_NOT_EMPTY"
  | "PERMISSION_DENIED"
  | "NO_SPACE"
  | "TOO_MANY_OPEN_FILES"
  | "IO_ERROR"
  | "INVALID_STATE"
  | "CLAIM_LOST"
  | "NOT_DURABLE"
  | "PARTIAL_DELIVERY"
  | "NOT_SUPPORTED";

/** Options accepted by every filestore error constructor. */
export interface FileStoreErrorOptions {
  /**
   * The error that caused this one: for a filesystem failure, the native
   * error of the runtime.
   *
   * @default {undefined}
   */
  cause?: unknown;
}

/**
 * The base class of every error filestore throws on purpose. Each subclass
 * has a stable `code`; the native error of the runtime, where there is one,
 * is the `cause`.
 *
 * @example Telling filestore errors apart from bugs
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   FileStore,
 *   FileStoreError,
 *   InvalidNameError,
 *   NotFoundError,
 * } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/store", { fs: memoryFileSystem() });
 * // Not prepared yet: the area is missing.
 * await assert.rejects(store.list("new"), (err) => {
 *   assert.ok(err instanceof NotFoundError);
 *   assert.ok(err instanceof FileStoreError);
 *   assert.equal(err.code, "NOT_FOUND");
 *   assert.match(err.message, /'new' does not exist/);
 *   return true;
 * });
 * // Refused before anything touches the disk.
 * await assert.rejects(store.deliver("x", { name: "../x" }), InvalidNameError);
 * ```
 */
export class FileStoreError extends Error {
  /** A stable, machine-readable identifier of the kind of failure. */
  readonly code: FileStoreErrorCode = "FILESTORE_ERROR";

  /**
   * Creates an error.
   *
   * @param message What failed, then why.
   * @param options The cause, usually the runtime's native error.
   */
  constructor(message: string, options?: FileStoreErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A file or directory that the operation needs does not exist.
 */
export class NotFoundError extends FileStoreError {
  /** Always `"NOT_FOUND"`. */
  override readonly code: "NOT_FOUND" = "NOT_FOUND";
}

/**
 * The target already exists and the operation refuses to replace it.
 */
export class AlreadyExistsError extends FileStoreError {
  /** Always `"ALREADY_EXISTS"`. */
  override readonly code: "ALREADY_EXISTS" = "ALREADY_EXISTS";
}

/**
 * A file name is not acceptable: empty, `.` or `..`, starting with a dot,
 * containing `/`, `\`, `~` or NUL, or longer than the store allows. Thrown
 * before anything touches the disk.
 */
export class InvalidNameError extends FileStoreError {
  /** Always `"INVALID_NAME"`. */
  override readonly code: "INVALID_NAME" = "INVALID_NAME";
}

/**
 * An area is not one of the store's areas. Thrown before anything touches the
 * disk.
 */
export class InvalidAreaError extends FileStoreError {
  /** Always `"INVALID_AREA"`. */
  override readonly code: "INVALID_AREA" = "INVALID_AREA";
}

/**
 * Something that must be a directory is not one (a regular file or a
 * symbolic link stands where an area should be).
 */
export class NotADirectoryError extends FileStoreError {
  /** Always `"NOT_A_DIRECTORY"`. */
  override readonly code: "NOT_A_DIRECTORY" = "NOT_A_DIRECTORY";
}

/**
 * Something that must be a regular file is a directory or another kind of
 * entry (a symbolic link, a socket).
 */
export class NotAFileError extends FileStoreError {
  /** Always `"NOT_A_FILE"`. */
  override readonly code: "NOT_A_FILE" = "NOT_A_FILE";
}

/**
 * A directory that must be empty is not.
 */
export class DirectoryNotEmptyError extends FileStoreError {
  /** Always `"DIRECTORY_NOT_EMPTY"`. */
  override readonly code: "DIRECTORY_NOT_EMPTY" = "DIRECTORY_NOT_EMPTY";
}

/**
 * The operating system refused access.
 */
export class PermissionDeniedError extends FileStoreError {
  /** Always `"PERMISSION_DENIED"`. */
  override readonly code: "PERMISSION_DENIED" = "PERMISSION_DENIED";
}

/**
 * The disk (or the quota) is full.
 */
export class NoSpaceError extends FileStoreError {
  /** Always `"NO_SPACE"`. */
  override readonly code: "NO_SPACE" = "NO_SPACE";
}

/**
 * The process or the system has too many open files.
 */
export class TooManyOpenFilesError extends FileStoreError {
  /** Always `"TOO_MANY_OPEN_FILES"`. */
  override readonly code: "TOO_MANY_OPEN_FILES" = "TOO_MANY_OPEN_FILES";
}

/**
 * Any other failure of the filesystem: an I/O error, a name the filesystem
 * finds too long, a rename across devices.
 */
export class IOError extends FileStoreError {
  /** Always `"IO_ERROR"`. */
  override readonly code: "IO_ERROR" = "IO_ERROR";
}

/**
 * The operation is not possible in this state: writing to a closed file,
 * finishing a claim twice.
 */
export class InvalidStateError extends FileStoreError {
  /** Always `"INVALID_STATE"`. */
  override readonly code: "INVALID_STATE" = "INVALID_STATE";
}

/**
 * A claim is no longer held: its file left `cur` under it, usually because
 * `recover()` judged it abandoned and returned it to `new`. The file is not
 * lost, but it may be handled again.
 */
export class ClaimLostError extends FileStoreError {
  /** Always `"CLAIM_LOST"`. */
  override readonly code: "CLAIM_LOST" = "CLAIM_LOST";
}

/**
 * The operation took effect (a delivered file is visible to consumers) but
 * the directory fsync that makes it survive a power cut failed. Do not retry
 * the operation: that would deliver a duplicate.
 */
export class NotDurableError extends FileStoreError {
  /** Always `"NOT_DURABLE"`. */
  override readonly code: "NOT_DURABLE" = "NOT_DURABLE";
  /** The name under which the file was committed (the first, for a batch). */
  readonly fileName: string;
  /** Every name committed (one, except for a batch). */
  readonly fileNames: readonly string[];
  /**
   * Creates an error.
   *
   * @param message What failed, then why.
   * @param options The cause, and the names under which the files were
   * committed.
   */
  constructor(
    message: string,
    options: FileStoreErrorOptions & { name: string; names?: string[] },
  ) {
    super(message, options);
    this.fileName = options.name;
    this.fileNames = options.names ?? [options.name];
  }
}

/**
 * A batch delivery failed after some of its files were delivered: those stay
 * in `new` (and are named here), the others were not delivered.
 */
export class PartialDeliveryError extends FileStoreError {
  /** Always `"PARTIAL_DELIVERY"`. */
  override readonly code: "PARTIAL_DELIVERY" = "PARTIAL_DELIVERY";
  /** The names delivered before the failure, in order. */
  readonly delivered: readonly string[];
  /**
   * Creates an error.
   *
   * @param message What failed, then why.
   * @param options The cause, and the names already delivered.
   */
  constructor(
    message: string,
    options: FileStoreErrorOptions & { delivered: string[] },
  ) {
    super(message, options);
    this.delivered = options.delivered;
  }
}

/**
 * The store was opened for a filesystem that cannot do what the operation
 * needs: with `shared: { exclusiveNames: false }`, a delivery or a move to a
 * name the caller chose (such a filesystem could accept two files under it).
 * Thrown before anything touches the disk.
 */
export class NotSupportedError extends FileStoreError {
  /** Always `"NOT_SUPPORTED"`. */
  override readonly code: "NOT_SUPPORTED" = "NOT_SUPPORTED";
}
