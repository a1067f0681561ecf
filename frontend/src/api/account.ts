/** Changes a signed-in user makes to their own account. */

import { api } from './client'
import type { Me } from './types'

export const account = {
  changePassword: (oldPassword: string, newPassword: string) =>
    api.post<unknown>('/api/v1/auth/password/change', { old_password: oldPassword, new_password: newPassword }),
  changeMobile: async (newMobile: string, code: string, password: string): Promise<Me> => {
    const data = await api.post<{ user: Me }>('/api/v1/auth/mobile/change', {
      new_mobile: newMobile,
      code,
      password,
    })
    return data.user
  },
}
