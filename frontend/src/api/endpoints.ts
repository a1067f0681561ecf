/** Every API call the page makes, one small function each. */

import { api } from './client'
import type { CaseSummary, Court, Institution, Me, OtpPurpose, Page, RegisterInput } from './types'

/** Some answers wrap the user as `{user: {...}}`; accept both shapes. */
function unwrapUser(data: unknown): Me {
  const obj = data as { user?: Me } & Me
  return obj && typeof obj === 'object' && obj.user ? obj.user : obj
}

export const auth = {
  me: async () => unwrapUser(await api.get<unknown>('/api/v1/auth/me')),
  login: (username: string, password: string) => api.post<unknown>('/api/v1/auth/login', { username, password }),
  loginWithCode: (mobile: string, code: string) => api.post<unknown>('/api/v1/auth/login/otp', { mobile, code }),
  sendCode: (mobile: string, purpose: OtpPurpose) => api.post<unknown>('/api/v1/auth/otp', { mobile, purpose }),
  register: (input: RegisterInput) => api.post<unknown>('/api/v1/auth/register', input),
  verifyMobile: (code: string) => api.post<unknown>('/api/v1/auth/verify-mobile', { code }),
  resetPassword: (mobile: string, code: string, newPassword: string) =>
    api.post<unknown>('/api/v1/auth/password/reset', { mobile, code, new_password: newPassword }),
  logout: () => api.post<unknown>('/api/v1/auth/logout'),
}

export const orgs = {
  institutions: () => api.get<Page<Institution>>('/api/v1/institutions'),
  courts: () => api.get<Page<Court>>('/api/v1/courts'),
}

export const cases = {
  mine: (query: { status?: string; limit?: number; offset?: number } = {}) =>
    api.get<Page<CaseSummary>>('/api/v1/cases', query),
}
