/**
 * Typed errors for every way an API call can fail.
 *
 * The server answers every 4xx/5xx with `{"error": {"code", "message", "details"}}`;
 * `errorFromResponse` turns that into one of the classes below so a page can
 * `instanceof` on the case it handles (field errors, rate limits, sign-in).
 */

export interface FieldError {
  field: string
  message: string
  type: string
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown

  constructor(status: number, code: string, message: string, details: unknown = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

/** 400: the request was understood but refused (wrong code, bad credentials...). */
export class BadRequestError extends ApiError {}
/** 401: not signed in, or the session has ended. */
export class UnauthenticatedError extends ApiError {}
/** 403: signed in but not allowed (including a failed CSRF check). */
export class ForbiddenError extends ApiError {}
export class NotFoundError extends ApiError {}
export class ConflictError extends ApiError {}

/** 422: the body failed validation; `fields` says which field and why. */
export class ValidationError extends ApiError {
  readonly fields: FieldError[]
  constructor(status: number, code: string, message: string, details: unknown) {
    super(status, code, message, details)
    this.fields = parseFieldErrors(details)
  }
}

/** 429: throttled; `retryAfterSeconds` says when to try again (null if the server did not say). */
export class RateLimitedError extends ApiError {
  readonly retryAfterSeconds: number | null
  constructor(status: number, code: string, message: string, details: unknown, retryAfter: number | null) {
    super(status, code, message, details)
    this.retryAfterSeconds = retryAfter
  }
}

/** 5xx or an answer that is not our error body. */
export class ServerError extends ApiError {}

/** The request never got an answer (offline, server down). */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NetworkError'
  }
}

function parseFieldErrors(details: unknown): FieldError[] {
  if (!Array.isArray(details)) return []
  return details
    .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null)
    .map((d) => ({
      field: String(d.field ?? ''),
      message: String(d.message ?? ''),
      type: String(d.type ?? ''),
    }))
}

function retryAfterOf(headers: Headers, details: unknown): number | null {
  if (details && typeof details === 'object' && !Array.isArray(details)) {
    const value = (details as Record<string, unknown>).retry_after
    if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.ceil(value))
  }
  const header = headers.get('retry-after')
  if (header && /^\d+$/.test(header.trim())) return Number(header.trim())
  return null
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown }
}

/** Build the typed error for a non-2xx response whose body (if JSON) is already parsed. */
export function errorFromResponse(status: number, headers: Headers, body: unknown): ApiError {
  const err = (body as ErrorBody | null)?.error
  const hasBody = !!err && typeof err === 'object'
  const code = hasBody && typeof err.code === 'string' ? err.code : `http_${status}`
  const message = hasBody && typeof err.message === 'string' ? err.message : `HTTP ${status}`
  const details = hasBody ? (err.details ?? null) : null
  switch (status) {
    case 400:
      return new BadRequestError(status, code, message, details)
    case 401:
      return new UnauthenticatedError(status, code, message, details)
    case 403:
      return new ForbiddenError(status, code, message, details)
    case 404:
      return new NotFoundError(status, code, message, details)
    case 409:
      return new ConflictError(status, code, message, details)
    case 422:
      return new ValidationError(status, code, message, details)
    case 429:
      return new RateLimitedError(status, code, message, details, retryAfterOf(headers, details))
    default:
      return status >= 500 ? new ServerError(status, code, message, details) : new ApiError(status, code, message, details)
  }
}
