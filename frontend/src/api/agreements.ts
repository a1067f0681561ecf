/**
 * The agreements API (issue 7): drafting in versions, signing, verification.
 * Shapes follow agreements/content.py and the contract in docs/HELPERS-BRIEF.md;
 * fields the server may leave out are optional.
 */

import { api } from './client'
import { uploadFile } from './upload'

const V1 = '/api/v1'
const a = (aid: number) => `${V1}/agreements/${aid}`

export type PersonalStatus = 'none' | 'marriage' | 'adoption' | 'inheritance'
export type AgreementLanguage = 'zh-CN' | 'en'
export type AgreementStatus = 'draft' | 'signing' | 'effective' | 'abandoned'
export type SignerRole = 'party' | 'mediator' | 'seal'

/** One party as the agreement names it: masked numbers only. */
export interface PartyBlock {
  party_id: number
  side: 'applicant' | 'respondent'
  kind: 'person' | 'organisation'
  name: string
  id_doc_type: string
  id_masked: string
  address: string
  mobile_masked: string
  legal_representative: string
  agent_name: string
}

/** One agreed term; the amount is integer fen, never a float. */
export interface Term {
  key: string
  obligor_party_ids: number[]
  obligee_party_ids: number[]
  text: string
  amount_fen: number | null
  manner: string
  /** YYYY-MM-DD (Asia/Shanghai calendar day). */
  due_on: string | null
}

export interface AgreementContent {
  schema_version: 1
  language: AgreementLanguage
  title: string
  case_number: string
  institution_name: string
  mediator_name: string
  parties: PartyBlock[]
  facts: string
  disputed_matters: string
  responsibilities: string
  terms: Term[]
  other_terms: string
  copies_note: string
}

/** An L15 content check that stops signing: where (e.g. "terms.t1.due_on"), a code and why. */
export interface Problem {
  field: string
  code: string
  message: string
}

export interface AgreementOut {
  id: number
  case_id: number
  kind: 'written' | 'oral'
  status: AgreementStatus
  category: string
  language: AgreementLanguage
  current_version: number
  verification_code: string
  meeting_id: number | null
  created_by_id: number
  created_at: string
  effective_at: string | null
  effective_version: number | null
  abandoned_at: string | null
  abandon_reason: string
  pdf_state: 'none' | 'pending' | 'stored'
  pdf_document_id: number | null
  pdf_sha256: string | null
}

/** A version in the history (no content). */
export interface VersionSummary {
  number: number
  content_sha256: string
  changed_fields: string[]
  change_note: string
  author_id: number
  author_name: string
  created_at: string
}

export interface VersionOut extends VersionSummary {
  content: AgreementContent
}

export interface VersionList {
  agreement_id: number
  current_version: number
  versions: VersionSummary[]
}

export interface SignatureOut {
  id: number
  role: SignerRole
  party_id: number | null
  signer_user_id: number
  signer_name: string
  /** An agent signing with the special authority. */
  authorization_id: number | null
  version_number: number
  content_sha256: string
  signed_at: string
  /** Counts for the current version. */
  valid: boolean
  voided_at: string | null
  void_reason: string
}

/** One required signer of the current version: every party, the mediator, the institution's seal. */
export interface SignerOut {
  role: SignerRole
  party_id: number | null
  name: string
  signed: boolean
  signature_id: number | null
}

export interface AgreementDetail {
  agreement: AgreementOut
  status: AgreementStatus
  version: VersionOut
  /** L15: empty when it may be signed. */
  problems: Problem[]
  /** Valid and voided, oldest first. */
  signatures: SignatureOut[]
  /** Who must still sign the current version (L16). */
  required: SignerOut[]
  /** Every required signer, signed or not. */
  signers: SignerOut[]
}

export interface StillNeeded {
  role: SignerRole
  party_id: number | null
}

export interface SigningInfo {
  agreement_id: number
  status: AgreementStatus
  version: number
  content_sha256: string
  /** Parties the caller may sign for that have not signed. */
  can_sign_for: number[]
  as_mediator: boolean
  as_seal: boolean
  reauth_fresh: boolean
  reauth_expires_at: string | null
  signed_party_ids: number[]
  mediator_signed: boolean
  seal_applied: boolean
  missing: StillNeeded[]
  problems: Problem[]
}

/** One field-level change: "facts", "parties.<id>.<field>", "terms.<key>" (added/removed), "terms.<key>.<field>", "terms.order". */
export interface FieldChange {
  field: string
  change?: 'added' | 'removed' | 'changed'
  old: unknown
  new: unknown
}

export interface DiffOut {
  agreement_id: number
  from_version: number
  to_version: number
  changes: FieldChange[]
}

export interface CreateDraftIn {
  language: AgreementLanguage
  personal_status: PersonalStatus
  meeting_id?: number | null
}

export interface SignIn {
  role: SignerRole
  party_id?: number | null
  version: number
  content_sha256: string
  code: string
  signature_png?: string
  device_id: string
}

export interface CodeSent {
  sent: boolean
  /** Seconds until the code expires. */
  expires_in: number
  /** The masked mobile it went to. */
  mobile: string | null
}

export interface SignedOut {
  id: number
  agreement_id: number
  role: SignerRole
  party_id: number | null
  version: number
  content_sha256: string
  signer_user_id: number
  signed_at: string
  image_url: string | null
  agreement_status: AgreementStatus
  effective: boolean
  effective_at: string | null
  missing: StillNeeded[]
}

export type DocumentKind = 'agreement' | 'ruling' | 'mediation_statement' | 'case_document'

/** POST /verify/pdf: the verdict on an uploaded file. */
export interface PdfVerification {
  intact: boolean
  problems: string[]
  sha256: string
  signed: boolean
  signature_intact: boolean
  covers_whole_file: boolean
  chain_trusted: boolean
  timestamp_valid: boolean
  signer: string
  signer_unit: string
  signed_at: string | null
  timestamp: string | null
  claimed: Record<string, string>
  document: {
    kind: DocumentKind
    code: string | null
    case_id: number
    agreement_id: number | null
    version: number | null
    effective_version: number | null
    matches_stored_copy: boolean
    stored_sha256: string | null
    title: string
  } | null
}

/** GET /verify/{code}: the public, masked summary behind a printed code. */
export interface CodeLookup {
  kind: DocumentKind
  code: string
  case_number_masked: string
  status: string
  version: number | null
  effective_at: string | null
  parties: { side: string; name_masked: string }[]
  pdf_sha256: string | null
  issued_at: string | null
}

export const agreementsApi = {
  list: (caseId: number) => api.get<{ agreements: AgreementOut[] }>(`${V1}/cases/${caseId}/agreements`),
  create: (caseId: number, body: CreateDraftIn) => api.post<AgreementDetail>(`${V1}/cases/${caseId}/agreements`, body),
  recordOral: (caseId: number, content: AgreementContent, note: string) =>
    api.post<AgreementDetail>(`${V1}/cases/${caseId}/agreements/oral`, { content, note }),
  get: (aid: number) => api.get<AgreementDetail>(a(aid)),
  versions: (aid: number) => api.get<VersionList>(`${a(aid)}/versions`),
  version: (aid: number, n: number) => api.get<VersionOut>(`${a(aid)}/versions/${n}`),
  diff: (aid: number, from: number, to: number) => api.get<DiffOut>(`${a(aid)}/diff`, { from, to }),
  save: (aid: number, baseVersion: number, content: AgreementContent, note: string) =>
    api.put<AgreementDetail>(`${a(aid)}/content`, { base_version: baseVersion, content, note }),
  abandon: (aid: number, reason: string) => api.post<AgreementDetail>(`${a(aid)}/abandon`, { reason }),
  signing: (aid: number) => api.get<SigningInfo>(`${a(aid)}/signing`),
  requestCode: (aid: number, role: SignerRole, partyId?: number | null) =>
    api.post<CodeSent>(`${a(aid)}/signing/code`, partyId ? { role, party_id: partyId } : { role }),
  sign: (aid: number, body: SignIn) => api.post<SignedOut>(`${a(aid)}/signatures`, body),
  signatureImageUrl: (aid: number, sid: number) => `${a(aid)}/signatures/${sid}/image`,
  /** The signed PDF, stored as a case document. */
  pdfUrl: (caseId: number, documentId: number) => `${V1}/cases/${caseId}/documents/${documentId}/content`,
}

export const reauth = {
  /** Confirm presence again with the password before signing (fresh for a few minutes). */
  withPassword: (password: string) => api.post<unknown>(`${V1}/auth/reauthenticate`, { password }),
}

export const verification = {
  byCode: (code: string) => api.get<CodeLookup>(`${V1}/verify/${encodeURIComponent(code)}`),
  byPdf: (file: File) => uploadFile<PdfVerification>(file, { url: `${V1}/verify/pdf` }),
}
