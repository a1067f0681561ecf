/** Turn any failure of an API call into one sentence in the user's language. */

import { ApiError, NetworkError, RateLimitedError, ServerError, ValidationError } from '@/api/errors'

export interface Translator {
  t: (key: string, params?: Record<string, unknown>) => string
  te: (key: string) => boolean
}

export function describeError(err: unknown, { t, te }: Translator): string {
  if (err instanceof NetworkError) return t('errors.network')
  if (err instanceof RateLimitedError) {
    return err.retryAfterSeconds !== null
      ? t('errors.throttled', { seconds: err.retryAfterSeconds })
      : t('errors.throttledNoTime')
  }
  if (err instanceof ServerError) return t('errors.server')
  if (err instanceof ApiError) {
    const key = `errors.${err.code}`
    if (te(key)) return t(key)
    if (err instanceof ValidationError) return t('errors.validation')
    return t('errors.fallback', { message: err.message })
  }
  return t('errors.fallback', { message: err instanceof Error ? err.message : String(err) })
}

/**
 * Field messages from a 422 answer, keyed by the form's field names.
 * The server names fields by path (`body.mobile` or `mobile`); the last part is the field.
 */
export function fieldErrorsOf(err: unknown, fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  if (!(err instanceof ValidationError)) return out
  for (const f of err.fields) {
    const name = f.field.split('.').pop() ?? ''
    if (fields.includes(name) && !out[name]) out[name] = f.message
  }
  return out
}
