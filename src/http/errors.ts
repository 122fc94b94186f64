/**
 * The one error catalog (DESIGN §4): every error a handler raises on purpose has a code here,
 * mapped to its HTTP status. Anything else becomes 500 and is logged with the request id.
 */
export const ERRORS = {
  bad_request: 400,
  invalid_query: 400,
  invalid_uid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  not_acceptable: 406,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** A well-formed request whose content fails a check (a federation delta's hash or signature). */
  unprocessable: 422,
  storage_full: 503,
  not_ready: 503,
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class HttpError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra fields of the JSON body, e.g. `issues` naming each invalid rule and field. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = ERRORS[code];
  }
}

export const httpError = (code: ErrorCode, message: string, headers?: Record<string, string>, details?: Record<string, unknown>): HttpError => new HttpError(code, message, headers, details);
