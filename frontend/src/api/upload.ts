/**
 * File uploads with progress. `fetch` cannot report upload progress, so this
 * one request goes through XMLHttpRequest, with the same cookie, CSRF header
 * and typed errors as `client.ts`.
 */

import { CSRF_COOKIE, CSRF_HEADER, readCookie } from './client'
import { errorFromResponse, NetworkError } from './errors'

export interface UploadedBlob {
  sha256: string
  size: number
  content_type: string
}

export interface UploadOptions {
  /** 0..1 as bytes leave the browser. */
  onProgress?: (fraction: number) => void
  signal?: AbortSignal
  /** Extra multipart fields sent before the file (e.g. a document's title and visibility). */
  fields?: Record<string, string>
  /** Where to send it; defaults to the plain blob upload. */
  url?: string
}

export const UPLOAD_URL = '/api/v1/files'

/** Parse the raw response headers of an XHR into a `Headers`. */
function headersOf(xhr: XMLHttpRequest): Headers {
  const out = new Headers()
  for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
    const i = line.indexOf(':')
    if (i > 0) out.append(line.slice(0, i).trim(), line.slice(i + 1).trim())
  }
  return out
}

/** POST one file as multipart (field `file`); resolves with the server's JSON answer. */
export function uploadFile<T = UploadedBlob>(file: File, options: UploadOptions = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', options.url ?? UPLOAD_URL)
    xhr.withCredentials = true
    xhr.setRequestHeader('Accept', 'application/json')
    const token = readCookie(document.cookie, CSRF_COOKIE)
    if (token) xhr.setRequestHeader(CSRF_HEADER, token)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) options.onProgress?.(Math.min(1, e.loaded / e.total))
    }
    xhr.onload = () => {
      let data: unknown = null
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null
      } catch {
        data = null
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        options.onProgress?.(1)
        resolve(data as T)
      } else {
        reject(errorFromResponse(xhr.status, headersOf(xhr), data))
      }
    }
    xhr.onerror = () => reject(new NetworkError('upload failed'))
    xhr.onabort = () => reject(new DOMException('upload cancelled', 'AbortError'))
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true })
    const form = new FormData()
    for (const [k, v] of Object.entries(options.fields ?? {})) form.append(k, v)
    form.append('file', file, file.name)
    xhr.send(form)
  })
}
