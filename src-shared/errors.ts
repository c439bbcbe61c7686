/**
 * The app's one error type and its codes, defined once (issue 17). Every refusal a caller may act
 * on (UI, CLI, RPC peer, test) is an {@link AppError} with a stable snake_case `code` from
 * {@link ERROR_CODES}; the message is one line for the user. Subclasses keep their own `name`
 * (`StoreError`, `ModelManagerError`, `ValidationError`) so callers that tell them apart still can.
 * The RPC layer carries `name`, `message`, `code` and `details` across process boundaries
 * (src-shared/ipc/rpc.ts `serializeError`). Pure TypeScript.
 */

/** Every error code, each with when it is thrown. Keys and values are the same snake_case string. */
export const ERROR_CODES = {
  // ---- general / service layer ----
  /** A thing named by the request does not exist: job, call, voiceprint, embedding, speaker of a live session, running session, upload, file, database, export file. */
  not_found: 'not_found',
  /** Input that breaks a rule: empty or reserved name, missing consent, bad export file, merging a voiceprint into itself, non-finite vector. */
  invalid: 'invalid',
  /** Arguments of an RPC call that fail the contract's zod schema (name `ValidationError`). */
  invalid_arguments: 'invalid_arguments',
  /** A request that is well-formed but cannot be served as asked, e.g. an empty audio range of a call. */
  bad_request: 'bad_request',
  /** Something is already in progress: a live session running, a model being installed, the database locked by another process. */
  busy: 'busy',
  /** A local path the user did not pick or drop in this session (desktop app), or any path reference on the web host. */
  not_allowed: 'not_allowed',
  /** Playback of a call whose audio was not kept ("Keep call audio" off when it was analysed). */
  not_kept: 'not_kept',
  /** Too little clear speech of a speaker to remember the voice (live or from a call). */
  not_enough_speech: 'not_enough_speech',
  /** Enrolling a voice from a file failed for another reason (the message says which). */
  enroll_failed: 'enroll_failed',
  /** An RPC call of a method that the service's contract does not list. */
  unknown_method: 'unknown_method',
  // ---- store (better-sqlite3) ----
  /** The database was written by a newer Callscope (schema version above this build's). */
  schema_too_new: 'schema_too_new',
  /** The database file or its folder is read-only. */
  read_only: 'read_only',
  /** The disk or the database is full. */
  disk_full: 'disk_full',
  /** The database file cannot be opened (permissions, not a file). */
  cannot_open: 'cannot_open',
  /** Not a Callscope database, or a damaged one. */
  corrupt: 'corrupt',
  // ---- model management (install, download, remove, use) ----
  /** A model id (or a role's default) that the manifest does not list. */
  unknown_model: 'unknown_model',
  /** A built-in model (no file) asked to be installed. */
  no_file: 'no_file',
  /** A model under a restrictive license installed without accepting it. */
  license_not_accepted: 'license_not_accepted',
  /** A model without a known sha256 installed without accepting an unverified file. */
  unverified: 'unverified',
  /** An installed or downloaded file whose size differs from the manifest's. */
  size_mismatch: 'size_mismatch',
  /** An installed or downloaded file whose sha256 differs from the manifest's. */
  sha256_mismatch: 'sha256_mismatch',
  /** A download of a model whose manifest entry has no URL. */
  no_url: 'no_url',
  /** A download URL that is not an https URL (or redirects to one that is not). */
  bad_url: 'bad_url',
  /** A download that could not reach the server, was redirected badly, or got an HTTP error. */
  network: 'network',
  /** Removing a model that ships with the app. */
  bundled: 'bundled',
  /** Removing a model that is not installed in the user's model folder. */
  not_installed: 'not_installed',
  /** Using a model that is missing, corrupt or cannot run on the chosen execution providers. */
  not_usable: 'not_usable',
} as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Whether `code` is one of {@link ERROR_CODES}. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/** Extra facts of an {@link AppError} for programs (JSON-serialisable; crosses RPC). */
export type ErrorDetails = Record<string, string | number | boolean | null>;

/**
 * An error with a stable {@link ErrorCode}. `message` is one line for the user; `details` holds
 * facts a program may use (e.g. `{ speechS: 3.2, requiredS: 8 }`).
 */
export class AppError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly details: ErrorDetails | undefined;

  /**
   * @param code one of {@link ERROR_CODES}.
   * @param message one line for the user, naming the problem.
   * @param opts.name the error's `name` (default `AppError`; subclasses set their own).
   * @param opts.details see {@link ErrorDetails}.
   * @param opts.cause the underlying error, kept as `cause`.
   */
  constructor(
    code: C,
    message: string,
    opts: { name?: string; details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = opts.name ?? 'AppError';
    this.code = code;
    this.details = opts.details;
  }
}

/** The {@link ErrorCode} of any thrown value, or undefined when it carries none of ours. */
export function errorCodeOf(err: unknown): ErrorCode | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return isErrorCode(code) ? code : undefined;
}
