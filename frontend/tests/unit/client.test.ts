import { describe, expect, it } from 'vitest'

import { createClient, readCookie } from '@/api/client'
import {
  ApiError,
  BadRequestError,
  NetworkError,
  RateLimitedError,
  ServerError,
  UnauthenticatedError,
  ValidationError,
} from '@/api/errors'
import { describeError } from '@/lib/describeError'

interface Call {
  url: string
  init: RequestInit
}

function fakeFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: Call[] = []
  const impl = async (url: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} })
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
    return new Response(text || null, { status, headers: { 'content-type': 'application/json', ...headers } })
  }
  return { calls, impl: impl as typeof fetch }
}

const COOKIES = 'theme=dark; odr_csrf=tok%2Ben-123; other=x'

function header(call: Call, name: string): string | undefined {
  return (call.init.headers as Record<string, string>)[name]
}

describe('CSRF header', () => {
  it('reads the odr_csrf cookie', () => {
    expect(readCookie(COOKIES, 'odr_csrf')).toBe('tok+en-123')
    expect(readCookie('a=1', 'odr_csrf')).toBeNull()
  })

  it('sends X-CSRF-Token with the cookie value on POST, with same-origin credentials and JSON', async () => {
    const f = fakeFetch(200, { ok: true })
    const client = createClient({ fetch: f.impl, cookies: () => COOKIES })
    await client.post('/api/v1/auth/logout', { a: 1 })
    const call = f.calls[0]
    expect(call.init.method).toBe('POST')
    expect(call.init.credentials).toBe('same-origin')
    expect(header(call, 'X-CSRF-Token')).toBe('tok+en-123')
    expect(header(call, 'Content-Type')).toBe('application/json')
    expect(call.init.body).toBe('{"a":1}')
  })

  it('sends no CSRF header on GET, and builds the query string', async () => {
    const f = fakeFetch(200, { items: [] })
    const client = createClient({ fetch: f.impl, cookies: () => COOKIES })
    await client.get('/api/v1/cases', { limit: 20, offset: 0, status: undefined })
    expect(f.calls[0].url).toBe('/api/v1/cases?limit=20&offset=0')
    expect(header(f.calls[0], 'X-CSRF-Token')).toBeUndefined()
  })

  it('sends no CSRF header when there is no cookie (signed out)', async () => {
    const f = fakeFetch(200, {})
    await createClient({ fetch: f.impl, cookies: () => '' }).post('/api/v1/auth/login', {})
    expect(header(f.calls[0], 'X-CSRF-Token')).toBeUndefined()
  })
})

describe('error mapping', () => {
  const client = (status: number, body: unknown, headers?: Record<string, string>) =>
    createClient({ fetch: fakeFetch(status, body, headers).impl, cookies: () => '' })

  it('maps 422 details to field errors', async () => {
    const body = {
      error: {
        code: 'validation_failed',
        message: 'the request body is invalid',
        details: [{ field: 'mobile', message: 'a mainland mobile number is 11 digits', type: 'value_error' }],
      },
    }
    const err = await client(422, body).post('/x', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect(err).toBeInstanceOf(ApiError)
    const v = err as ValidationError
    expect(v.code).toBe('validation_failed')
    expect(v.fields).toEqual([{ field: 'mobile', message: 'a mainland mobile number is 11 digits', type: 'value_error' }])
  })

  it('maps 429 with the retry time from details, or from Retry-After', async () => {
    const body = { error: { code: 'throttled', message: 'slow down', details: { retry_after: 42, scope: 'mobile' } } }
    const err = (await client(429, body).post('/x').catch((e: unknown) => e)) as RateLimitedError
    expect(err).toBeInstanceOf(RateLimitedError)
    expect(err.retryAfterSeconds).toBe(42)
    const viaHeader = (await client(429, { error: { code: 'throttled', message: 'm', details: null } }, { 'retry-after': '7' })
      .post('/x')
      .catch((e: unknown) => e)) as RateLimitedError
    expect(viaHeader.retryAfterSeconds).toBe(7)
  })

  it('maps 400, 401 and 5xx to their classes and keeps code and message', async () => {
    const bad = (await client(400, { error: { code: 'code_wrong', message: 'the code is wrong', details: null } })
      .post('/x')
      .catch((e: unknown) => e)) as BadRequestError
    expect(bad).toBeInstanceOf(BadRequestError)
    expect([bad.status, bad.code, bad.message]).toEqual([400, 'code_wrong', 'the code is wrong'])
    expect(await client(401, { error: { code: 'unauthenticated', message: 'm', details: null } }).get('/me').catch((e: unknown) => e)).toBeInstanceOf(
      UnauthenticatedError,
    )
    const server = await client(502, '<html>bad gateway</html>').get('/x').catch((e: unknown) => e)
    expect(server).toBeInstanceOf(ServerError)
    expect((server as ServerError).code).toBe('http_502')
  })

  it('turns a failed fetch into a NetworkError', async () => {
    const failing = (async () => {
      throw new TypeError('Failed to fetch')
    }) as typeof fetch
    const err = await createClient({ fetch: failing, cookies: () => '' }).get('/x').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
  })
})

describe('describeError', () => {
  const messages: Record<string, string> = {
    'errors.throttled': 'wait {seconds}',
    'errors.code_wrong': 'wrong code',
    'errors.validation': 'check fields',
    'errors.fallback': 'failed: {message}',
    'errors.network': 'offline',
    'errors.server': 'server',
  }
  const t = (key: string, params: Record<string, unknown> = {}) =>
    (messages[key] ?? key).replace(/\{(\w+)\}/g, (_m, k: string) => String(params[k]))
  const tr = { t, te: (key: string) => key in messages }

  it('shows the retry time of a 429', () => {
    expect(describeError(new RateLimitedError(429, 'throttled', 'x', null, 30), tr)).toBe('wait 30')
  })
  it('translates known codes and falls back to the server message', () => {
    expect(describeError(new BadRequestError(400, 'code_wrong', 'the code is wrong'), tr)).toBe('wrong code')
    expect(describeError(new BadRequestError(400, 'something_new', 'server says no'), tr)).toBe('failed: server says no')
    expect(describeError(new NetworkError('x'), tr)).toBe('offline')
  })
})
