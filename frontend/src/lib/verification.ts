/**
 * The public verification answers reduced to what the page shows: an uploaded
 * PDF's verdict (intact or not, signer, trusted timestamp, which document) or the
 * masked summary behind a printed code (which document, its state, the SHA-256
 * of the signed PDF the platform stores, to compare with the file in hand).
 */

import type { CodeLookup, DocumentKind, PdfVerification } from '@/api/agreements'

/**
 * intact / broken: a PDF was checked. stored: a code names an effective document
 * whose signed PDF is stored. pending: effective, PDF still being made.
 * not_effective: a draft or abandoned agreement. not_found: unknown code.
 */
export type VerificationState = 'intact' | 'broken' | 'stored' | 'pending' | 'not_effective' | 'not_found'

export interface VerificationView {
  state: VerificationState
  kind: DocumentKind | null
  signer: string | null
  trusted: boolean | null
  timestamp: string | null
  timestampValid: boolean | null
  agreementId: number | null
  version: number | null
  caseNumber: string | null
  effectiveAt: string | null
  issuedAt: string | null
  code: string | null
  sha256: string | null
  parties: string[]
  problems: string[]
}

const EMPTY: Omit<VerificationView, 'state'> = {
  kind: null,
  signer: null,
  trusted: null,
  timestamp: null,
  timestampValid: null,
  agreementId: null,
  version: null,
  caseNumber: null,
  effectiveAt: null,
  issuedAt: null,
  code: null,
  sha256: null,
  parties: [],
  problems: [],
}

export function notFoundView(): VerificationView {
  return { ...EMPTY, state: 'not_found' }
}

/** The verdict on an uploaded PDF. */
export function pdfView(r: PdfVerification): VerificationView {
  const doc = r.document
  return {
    ...EMPTY,
    state: r.intact ? 'intact' : 'broken',
    kind: doc?.kind ?? null,
    signer: r.signer || null,
    trusted: r.signed ? r.chain_trusted : null,
    timestamp: r.timestamp ?? r.signed_at ?? null,
    timestampValid: r.signed ? r.timestamp_valid : null,
    agreementId: doc?.agreement_id ?? null,
    version: doc?.version ?? null,
    code: doc?.code ?? null,
    sha256: r.sha256 || null,
    problems: r.problems ?? [],
  }
}

const EFFECTIVE = new Set(['effective', 'confirmed', 'recorded', 'statement_issued', 'rejected', 'withdrawal_ruled'])

/** The summary behind a printed code. */
export function codeView(r: CodeLookup): VerificationView {
  const done = r.kind !== 'agreement' || EFFECTIVE.has(r.status)
  const state: VerificationState = !done ? 'not_effective' : r.pdf_sha256 ? 'stored' : 'pending'
  return {
    ...EMPTY,
    state,
    kind: r.kind,
    version: r.version ?? null,
    caseNumber: r.case_number_masked || null,
    effectiveAt: r.effective_at ?? null,
    issuedAt: r.issued_at ?? null,
    code: r.code,
    sha256: r.pdf_sha256 ?? null,
    parties: (r.parties ?? []).map((p) => p.name_masked),
  }
}
