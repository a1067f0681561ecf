/** Element Plus form rules of the case forms, with messages in the current language. */

import type { FormItemRule } from 'element-plus'

import { amountProblem } from './amount'
import { mobileProblem } from './identity'
import type { PartyDraft } from './parties'
import { documentProblemKey, rules as baseRules } from './rules'

type T = (key: string, params?: Record<string, unknown>) => string
type Validator = NonNullable<FormItemRule['validator']>

function check(fn: (value: string) => string | null, t: T, params?: Record<string, unknown>): Validator {
  return (_rule, value, callback) => {
    const key = fn(String(value ?? ''))
    if (key) callback(new Error(t(key, params)))
    else callback()
  }
}

/** The i18n key for what is wrong with a typed claim amount, or null. */
export function amountProblemKey(raw: string): string | null {
  const p = amountProblem(raw)
  return p ? `amount.problems.${p}` : null
}

export function caseRules(t: T) {
  const r = baseRules(t)
  const text = (max: number, required = true): FormItemRule[] => [
    ...(required ? [{ required: true, whitespace: true, message: t('common.required'), trigger: 'blur' }] : []),
    { max, message: t('caseForm.tooLong', { n: max }), trigger: ['change', 'blur'] },
  ]
  return {
    required: r.required,
    text,
    /** Checked as typed: a letter, a third decimal or a minus sign shows at once. */
    amount: [{ required: true, validator: check(amountProblemKey, t), trigger: ['change', 'blur'] }] as FormItemRule[],
    party: (party: () => PartyDraft) => ({
      name: text(200),
      id_doc_type: [r.required('change')],
      id_doc_number: r.document(() => party().id_doc_type),
      mobile: [
        {
          required: true,
          validator: check((v) => {
            const p = mobileProblem(v)
            return p ? `identity.mobile.${p}` : null
          }, t),
          trigger: 'blur',
        },
      ] as FormItemRule[],
      address: text(300),
      legal_representative: party().kind === 'organisation' ? text(100) : [],
    }),
  }
}

export { documentProblemKey }
