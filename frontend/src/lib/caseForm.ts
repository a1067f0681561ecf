/**
 * The model of the case forms (application wizard, referral, walk-in) and the
 * mapping of the server's field errors back to the form's fields and steps.
 */

import { ValidationError } from '@/api/errors'
import type { CaseIn } from '@/api/caseTypes'
import { normalizeAmount } from './amount'
import { emptyParty, partyPayload, type PartyDraft } from './parties'

export interface CaseFormModel {
  title: string
  category: string
  claim_amount: string
  claims: string
  facts: string
  applicants: PartyDraft[]
  respondents: PartyDraft[]
}

export function emptyCaseForm(): CaseFormModel {
  return { title: '', category: '', claim_amount: '', claims: '', facts: '', applicants: [emptyParty()], respondents: [emptyParty()] }
}

/** The common body of every channel (evidence hashes added by the caller). */
export function casePayload(form: CaseFormModel, evidence: string[] = []): CaseIn {
  return {
    title: form.title.trim(),
    category: form.category,
    claim_amount: normalizeAmount(form.claim_amount),
    claims: form.claims.trim(),
    facts: form.facts.trim(),
    applicants: form.applicants.map(partyPayload),
    respondents: form.respondents.map(partyPayload),
    evidence_sha256s: evidence,
  }
}

/** Every form-item prop of the parties, for validating one step. */
export function partyProps(form: CaseFormModel, sides: readonly ('applicants' | 'respondents')[] = ['applicants', 'respondents']): string[] {
  const fields = ['name', 'id_doc_type', 'id_doc_number', 'mobile', 'address', 'legal_representative']
  return sides.flatMap((side) =>
    form[side].flatMap((p, i) => fields.filter((f) => f !== 'legal_representative' || p.kind === 'organisation').map((f) => `${side}.${i}.${f}`)),
  )
}

export interface ServerFieldErrors {
  /** Top-level fields: title, claim_amount... */
  fields: Record<string, string>
  /** Party fields by party path ("applicants.0") then field name. */
  parties: Record<string, Record<string, string>>
  /** Messages that name no field of the form (shown above it). */
  other: string[]
}

/** Sort a 422's field errors ("applicants.0.mobile", "claim_amount") onto the form. */
export function serverFieldErrors(err: unknown): ServerFieldErrors {
  const out: ServerFieldErrors = { fields: {}, parties: {}, other: [] }
  if (!(err instanceof ValidationError)) return out
  for (const f of err.fields) {
    const path = f.field.replace(/^body\./, '').split('.')
    const message = f.message.replace(/^Value error, /, '')
    if ((path[0] === 'applicants' || path[0] === 'respondents') && path.length >= 2 && /^\d+$/.test(path[1])) {
      const key = `${path[0]}.${path[1]}`
      const name = path[2] ?? 'name'
      out.parties[key] = { ...out.parties[key], [name]: out.parties[key]?.[name] ?? message }
    } else if (path[0] && path.length === 1) {
      out.fields[path[0]] ??= message
    } else if (message) {
      out.other.push(path.filter(Boolean).length ? `${path.join('.')}: ${message}` : message)
    }
  }
  return out
}
