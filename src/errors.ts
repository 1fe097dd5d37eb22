/**
 * The error classes of filestore. Every failure of a store operation or of a
 * backend is one of these, so callers can `instanceof` them and scripts can
 * rely on the stable `code` string (the CLI prints it with `--json`). Wrong
 * argument types are plain `TypeError`s.
 *
 * @module
 */

/**
 * Options accepted by every filestore error constructor.
 *
 * @example
 * ```ts
 * import { NotFoundError } from "@filestore/filestore";
 * const cause = new Error("ENOENT");
 * const err = new NotFoundError("Cannot read 'x' from 'new'", { cause });
 * console.log(err.cause === cause); // true
 * ```
 */
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
 * The base class of every error filestore throws on purpose.
 *
 * @example Telling filestore errors apart from bugs
 * ```ts
 * import { FileStore, FileStoreError } from "@filestore/filestore";
 * import { memoryFileSystem } from "@filestore/filestore/memory";
 *
 * const store = new FileStore("/store", { fs: memoryFileSystem() });
 * try {
 *   await store.list("new"); // not prepared yet
 * } catch (err) {
 *   if (!(err instanceof FileStoreError)) throw err;
 *   console.log(err.code); // "NOT_FOUND"
 * }
 * ```
 */
export class FileStoreError extends Error {
  /** A stable, machine-readable identifier of the kind of failure. */
  readonly code: string = "FILESTORE_ERROR";

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
 *
 * @example
 * ```ts
 * import { NotFoundError } from "@filestore/filestore";
 * const err = new NotFoundError("Cannot read 'x' from 'new': 'new/x' does not exist");
 * console.log(err.code); // "NOT_FOUND"
 * ```
 */
export class NotFoundError extends FileStoreError {
  /** Always `"NOT_FOUND"`. */
  override readonly code: string = "NOT_FOUND";
}

/**
 * The target already exists and the operation refuses to replace it.
 *
 * @example
 * ```ts
 * import { AlreadyExistsError } from "@filestore/filestore";
 * const err = new AlreadyExistsError("'new/x' already exists");
 * console.log(err.code); // "ALREADY_EXISTS"
 * ```
 */
export class AlreadyExistsError extends FileStoreError {
  /** Always `"ALREADY_EXISTS"`. */
  override readonly code: string = "ALREADY_EXISTS";
}

/**
 * A file name is not acceptable: empty, `.` or `..`, starting with a dot,
 * containing `/`, `\`, `~` or NUL, or longer than the store allows. Thrown
 * before anything touches the disk.
 *
 * @example
 * ```ts
 * import { InvalidNameError } from "@filestore/filestore";
 * const err = new InvalidNameError("Invalid name '../x': it contains '/'");
 * console.log(err.code); // "INVALID_NAME"
 * ```
 */
export class InvalidNameError extends FileStoreError {
  /** Always `"INVALID_NAME"`. */
  override readonly code: string = "INVALID_NAME";
}

/**
 * An area is not one of the store's areas. Thrown before anything touches the
 * disk.
 *
 * @example
 * ```ts
 * import { InvalidAreaError } from "@filestore/filestore";
 * const err = new InvalidAreaError("Invalid area '..'");
 * console.log(err.code); // "INVALID_AREA"
 * ```
 */
export class InvalidAreaError extends FileStoreError {
  /** Always `"INVALID_AREA"`. */
  override readonly code: string = "INVALID_AREA";
}

/**
 * Something that must be a directory is not one (a regular file or a
 * symbolic link stands where an area should be).
 *
 * @example
 * ```ts
 * import { NotADirectoryError } from "@filestore/filestore";
 * const err = new NotADirectoryError("'/s/new' is not a directory");
 * console.log(err.code); // "NOT_A_DIRECTORY"
 * ```
 */
export class NotADirectoryError extends FileStoreError {
  /** Always `"NOT_A_DIRECTORY"`. */
  override readonly code: string = "NOT_A_DIRECTORY";
}

/**
 * Something that must be a regular file is a directory or another kind of
 * entry (a symbolic link, a socket).
 *
 * @example
 * ```ts
 * import { NotAFileError } from "@filestore/filestore";
 * const err = new NotAFileError("'new/x' is a directory");
 * console.log(err.code); // "NOT_A_FILE"
 * ```
 */
export class NotAFileError extends FileStoreError {
  /** Always `"NOT_A_FILE"`. */
  override readonly code: string = "NOT_A_FILE";
}

/**
 * A directory that must be empty is not.
 *
 * @example
 * ```ts
 * import { DirectoryNotEmptyError } from "@filestore/filestore";
 * console.log(new DirectoryNotEmptyError("'/s' is not empty").code); // "DIRECTORY_NOT_EMPTY"
 * ```
 */
export class DirectoryNotEmptyError extends FileStoreError {
  /** Always `"DIRECTORY_NOT_EMPTY"`. */
  override readonly code: string = "DIRECTORY_NOT_EMPTY";
}

/**
 * The operating system refused access.
 *
 * @example
 * ```ts
 * import { PermissionDeniedError } from "@filestore/filestore";
 * console.log(new PermissionDeniedError("denied").code); // "PERMISSION_DENIED"
 * ```
 */
export class PermissionDeniedError extends FileStoreError {
  /** Always `"PERMISSION_DENIED"`. */
  override readonly code: string = "PERMISSION_DENIED";
}

/**
 * The disk (or the quota) is full.
 *
 * @example
 * ```ts
 * import { NoSpaceError } from "@filestore/filestore";
 * console.log(new NoSpaceError("full").code); // "NO_SPACE"
 * ```
 */
export class NoSpaceError extends FileStoreError {
  /** Always `"NO_SPACE"`. */
  override readonly code: string = "NO_SPACE";
}

/**
 * The process or the system has too many open files.
 *
 * @example
 * ```ts
 * import { TooManyOpenFilesError } from "@filestore/filestore";
 * console.log(new TooManyOpenFilesError("EMFILE").code); // "TOO_MANY_OPEN_FILES"
 * ```
 */
export class TooManyOpenFilesError extends FileStoreError {
  /** Always `"TOO_MANY_OPEN_FILES"`. */
  override readonly code: string = "TOO_MANY_OPEN_FILES";
}

/**
 * Any other failure of the filesystem: an I/O error, a name the filesystem
 * finds too long, a rename across devices.
 *
 * @example
 * ```ts
 * import { IOError } from "@filestore/filestore";
 * console.log(new IOError("EIO").code); // "IO_ERROR"
 * ```
 */
export class IOError extends FileStoreError {
  /** Always `"IO_ERROR"`. */
  override readonly code: string = "IO_ERROR";
}

/**
 * The operation is not possible in this state: writing to a closed file,
 * finishing a claim twice.
 *
 * @example
 * ```ts
 * import { InvalidStateError } from "@filestore/filestore";
 * console.log(new InvalidStateError("closed").code); // "INVALID_STATE"
 * ```
 */
export class InvalidStateError extends FileStoreError {
  /** Always `"INVALID_STATE"`. */
  override readonly code: string = "INVALID_STATE";
}

/**
 * A claim is no longer held: its file left `cur` under it, usually because
 * `recover()` judged it abandoned and returned it to `new`. The file is not
 * lost, but it may be handled again.
 *
 * @example
 * ```ts
 * import { ClaimLostError } from "@filestore/filestore";
 * console.log(new ClaimLostError("gone").code); // "CLAIM_LOST"
 * ```
 */
export class ClaimLostError extends FileStoreError {
  /** Always `"CLAIM_LOST"`. */
  override readonly code: string = "CLAIM_LOST";
}

/**
 * The operation took effect (a delivered file is visible to consumers) but
 * the directory fsync that makes it survive a power cut failed. Do not retry
 * the operation: that would deliver a duplicate.
 *
 * @example
 * ```ts
 * import { NotDurableError } from "@filestore/filestore";
 * const err = new NotDurableError("not durable", { name: "x" });
 * console.log(err.code, err.fileName); // "NOT_DURABLE" "x"
 * ```
 */
export class NotDurableError extends FileStoreError {
  /** Always `"NOT_DURABLE"`. */
  override readonly code: string = "NOT_DURABLE";
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
 *
 * @example
 * ```ts
 * import { PartialDeliveryError } from "@filestore/filestore";
 * const err = new PartialDeliveryError("stopped", { delivered: ["a"] });
 * console.log(err.code, err.delivered); // "PARTIAL_DELIVERY" ["a"]
 * ```
 */
export class PartialDeliveryError extends FileStoreError {
  /** Always `"PARTIAL_DELIVERY"`. */
  override readonly code: string = "PARTIAL_DELIVERY";
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
