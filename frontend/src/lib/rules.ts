/**
 * Form rules for Element Plus forms, with messages in the current language.
 * They mirror the server's checks so most mistakes are caught before sending.
 */

import type { FormItemRule } from 'element-plus'

import { documentProblem, mobileProblem, type DocType } from './identity'

type T = (key: string, params?: Record<string, unknown>) => string
type Validator = NonNullable<FormItemRule['validator']>

export const PASSWORD_MIN = 8

/** The first problem with a new password, as an i18n key, or null (same policy as the server). */
export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN) return 'form.passwordShort'
  if (/^\d+$/.test(password) || /^\p{L}+$/u.test(password)) return 'form.passwordWeak'
  return null
}

export function usernameOk(username: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$/.test(username.trim())
}

/** The i18n key describing what is wrong with a document number, or null when it is valid. */
export function documentProblemKey(type: DocType, value: string, today?: Date): string | null {
  const problem = documentProblem(type, value, today)
  if (problem === null) return null
  return problem === 'empty' ? 'identity.problems.empty' : `identity.problems.${type}.${problem}`
}

function check(fn: (value: string) => string | null, t: T): Validator {
  return (_rule, value, callback) => {
    const key = fn(String(value ?? ''))
    if (key) callback(new Error(t(key)))
    else callback()
  }
}

export function rules(t: T) {
  const required = (trigger: string | string[] = 'blur'): FormItemRule => ({
    required: true,
    message: t('common.required'),
    trigger,
  })
  return {
    required,
    username: [
      required(),
      { validator: check((v) => (usernameOk(v) ? null : 'form.usernameFormat'), t), trigger: 'blur' },
    ] as FormItemRule[],
    newPassword: [
      required(),
      { validator: check(passwordProblem, t), trigger: ['blur', 'change'] },
    ] as FormItemRule[],
    mobile: [
      { validator: check((v) => {
        const p = mobileProblem(v)
        return p ? `identity.mobile.${p}` : null
      }, t), trigger: 'blur' },
    ] as FormItemRule[],
    code: [
      { validator: check((v) => (/^\d{6}$/.test(v.trim()) ? null : 'form.codeFormat'), t), trigger: 'blur' },
    ] as FormItemRule[],
    document: (type: () => DocType): FormItemRule[] => [
      // `required` only marks the field; the validator reports an empty number itself.
      { required: true, validator: check((v) => documentProblemKey(type(), v), t), trigger: ['change', 'blur'] },
    ],
  }
}
