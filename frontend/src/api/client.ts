/**
 * The one way the page talks to the server: same-origin fetch with JSON bodies,
 * the session cookie, and the CSRF header on unsafe methods.
 *
 * The server gives each session a CSRF token in the `odr_csrf` cookie (readable
 * by script) and requires it back in `X-CSRF-Token` on POST/PUT/PATCH/DELETE.
 */

import { errorFromResponse, NetworkError } from './errors'

export const CSRF_COOKIE = 'odr_csrf'
export const CSRF_HEADER = 'X-CSRF-Token'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
export type Query = Record<string, string | number | boolean | null | undefined>

/** The value of one cookie in a `document.cookie`-style string, or null. */
export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return null
}

export interface ClientOptions {
  fetch?: typeof fetch
  /** Returns the current cookie string; defaults to `document.cookie`. */
  cookies?: () => string
  baseUrl?: string
}

export interface RequestOptions {
  body?: unknown
  query?: Query
  /** Extra headers, e.g. `Idempotency-Key` on a create. */
  headers?: Record<string, string>
}

export interface ApiClient {
  request<T>(method: Method, path: string, options?: RequestOptions): Promise<T>
  get<T>(path: string, query?: Query): Promise<T>
  post<T>(path: string, body?: unknown): Promise<T>
  put<T>(path: string, body?: unknown): Promise<T>
}

function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

export function createClient(options: ClientOptions = {}): ApiClient {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  const cookies = options.cookies ?? (() => (typeof document === 'undefined' ? '' : document.cookie))
  const base = options.baseUrl ?? ''

  async function request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers }
    const init: RequestInit = { method, headers, credentials: 'same-origin' }
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(opts.body)
    }
    if (!SAFE_METHODS.has(method)) {
      const token = readCookie(cookies(), CSRF_COOKIE)
      if (token) headers[CSRF_HEADER] = token
    }
    let response: Response
    try {
      response = await doFetch(base + withQuery(path, opts.query), init)
    } catch (err) {
      throw new NetworkError(err instanceof Error ? err.message : String(err))
    }
    const text = await response.text()
    let data: unknown = null
    if (text) {
      try {
        data = JSON.parse(text)
      } catch {
        data = null
      }
    }
    if (!response.ok) throw errorFromResponse(response.status, response.headers, data)
    return data as T
  }

  return {
    request,
    get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
    post: <T>(path: string, body?: unknown) => request<T>('POST', path, { body: body ?? {} }),
    put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body: body ?? {} }),
  }
}

/** The client the app uses. */
export const api = createClient()
