/** Who is signed in. Restored from GET /api/v1/auth/me on load; 401 means signed out. */

import { defineStore } from 'pinia'
import { computed, ref } from 'vue'

import { auth } from '@/api/endpoints'
import { UnauthenticatedError } from '@/api/errors'
import type { Me } from '@/api/types'

export const useSession = defineStore('session', () => {
  const user = ref<Me | null>(null)
  const restored = ref(false)
  let pending: Promise<void> | null = null

  const signedIn = computed(() => user.value !== null)
  const mobileVerified = computed(() => {
    const u = user.value
    if (!u) return false
    if (typeof u.mobile_verified === 'boolean') return u.mobile_verified
    if (u.mobile_verified_at !== undefined) return u.mobile_verified_at !== null
    return u.identity_level !== 'none'
  })

  /** Ask the server who we are. Other errors leave the state as it was and are rethrown. */
  async function refresh(): Promise<Me | null> {
    try {
      user.value = await auth.me()
    } catch (err) {
      if (!(err instanceof UnauthenticatedError)) throw err
      user.value = null
    }
    restored.value = true
    return user.value
  }

  /** Restore once per page load; route guards await this. */
  function restore(): Promise<void> {
    if (restored.value) return Promise.resolve()
    pending ??= refresh()
      .then(() => undefined)
      .catch(() => {
        restored.value = true
      })
      .finally(() => {
        pending = null
      })
    return pending
  }

  async function loginWithPassword(username: string, password: string): Promise<Me | null> {
    await auth.login(username, password)
    return refresh()
  }

  async function loginWithCode(mobile: string, code: string): Promise<Me | null> {
    await auth.loginWithCode(mobile, code)
    return refresh()
  }

  async function logout(): Promise<void> {
    try {
      await auth.logout()
    } catch (err) {
      if (!(err instanceof UnauthenticatedError)) throw err
    }
    user.value = null
  }

  /** Forget the user without asking the server (after a 401 elsewhere). */
  function forget(): void {
    user.value = null
  }

  return { user, restored, signedIn, mobileVerified, refresh, restore, loginWithPassword, loginWithCode, logout, forget }
})
