/**
 * A party as the application form holds it, and the checks run as it is typed.
 * A natural person is identified by a resident ID or passport; an organisation
 * by its unified social credit code (GB 32100), with its legal representative.
 */

import { documentProblem, mobileProblem, normalizeDocument, normalizeMobile, type DocType } from './identity'

export type PartyKind = 'person' | 'organisation'
export type Side = 'applicant' | 'respondent'

export const DOC_TYPES_BY_KIND: Record<PartyKind, readonly DocType[]> = {
  person: ['resident_id', 'passport'],
  organisation: ['uscc'],
}

export interface PartyDraft {
  kind: PartyKind
  name: string
  id_doc_type: DocType
  id_doc_number: string
  mobile: string
  address: string
  legal_representative: string
}

export function emptyParty(kind: PartyKind = 'person'): PartyDraft {
  return {
    kind,
    name: '',
    id_doc_type: DOC_TYPES_BY_KIND[kind][0],
    id_doc_number: '',
    mobile: '',
    address: '',
    legal_representative: '',
  }
}

/** Switching the kind keeps the name and contacts but resets a document type that no longer fits. */
export function withKind(party: PartyDraft, kind: PartyKind): PartyDraft {
  const types = DOC_TYPES_BY_KIND[kind]
  return { ...party, kind, id_doc_type: types.includes(party.id_doc_type) ? party.id_doc_type : types[0] }
}

/** Field → i18n key of the first problem, for every field that has one. Empty when the party is valid. */
export function partyProblems(p: PartyDraft, today?: Date): Partial<Record<keyof PartyDraft, string>> {
  const out: Partial<Record<keyof PartyDraft, string>> = {}
  if (!p.name.trim()) out.name = 'common.required'
  else if (p.name.trim().length > 200) out.name = 'partyForm.nameTooLong'
  if (!DOC_TYPES_BY_KIND[p.kind].includes(p.id_doc_type)) out.id_doc_type = 'partyForm.docTypeForKind'
  const doc = documentProblem(p.id_doc_type, p.id_doc_number, today)
  if (doc) out.id_doc_number = doc === 'empty' ? 'identity.problems.empty' : `identity.problems.${p.id_doc_type}.${doc}`
  const mobile = mobileProblem(p.mobile)
  if (mobile) out.mobile = `identity.mobile.${mobile}`
  if (!p.address.trim()) out.address = 'common.required'
  if (p.kind === 'organisation' && !p.legal_representative.trim()) out.legal_representative = 'common.required'
  return out
}

/** The same document twice among the parties (the same person cannot be on both sides). */
export function duplicateDocuments(parties: readonly PartyDraft[]): Set<string> {
  const seen = new Set<string>()
  const dupes = new Set<string>()
  for (const p of parties) {
    const n = normalizeDocument(p.id_doc_number)
    if (!n) continue
    if (seen.has(n)) dupes.add(n)
    seen.add(n)
  }
  return dupes
}

/** The body the API takes for one party: numbers normalised, empty optional fields left out. */
export function partyPayload(p: PartyDraft) {
  return {
    kind: p.kind,
    name: p.name.trim(),
    id_doc_type: p.id_doc_type,
    id_doc_number: normalizeDocument(p.id_doc_number),
    mobile: normalizeMobile(p.mobile),
    address: p.address.trim(),
    legal_representative: p.kind === 'organisation' ? p.legal_representative.trim() || null : null,
  }
}
