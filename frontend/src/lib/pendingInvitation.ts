/**
 * A respondent who opens an SMS link before having an account registers first;
 * the link's token is kept in this tab so the workspace can lead them back.
 */
const KEY = 'odr.pendingInvitation'

export function rememberInvitation(token: string): void {
  try {
    sessionStorage.setItem(KEY, token)
  } catch {
    /* storage off: the person opens the SMS link again */
  }
}

export function pendingInvitation(): string | null {
  try {
    return sessionStorage.getItem(KEY)
  } catch {
    return null
  }
}

export function forgetInvitation(): void {
  try {
    sessionStorage.removeItem(KEY)
  } catch {
    /* nothing to forget */
  }
}
