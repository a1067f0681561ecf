/**
 * Judicial confirmation (L20-L27), the court's side of it (OMR 23), court filings (L37)
 * and performance of the agreed terms. Shapes follow agreements/confirmation/schemas.py,
 * agreements/filing/schemas.py and agreements/performance/schemas.py.
 */

import { api } from './client'

const V1 = '/api/v1'
const ca = (cid: number) => `${V1}/confirmation-applications/${cid}`

export type ConfirmationStatus =
  | 'gathering' | 'applied' | 'supplement_requested' | 'accepted' | 'not_accepted'
  | 'withdrawn' | 'deemed_withdrawn' | 'confirmed' | 'rejected' | 'lapsed'

export const OPEN_CONFIRMATION: readonly ConfirmationStatus[] = ['gathering', 'applied', 'supplement_requested', 'accepted']

export const REJECTION_GROUNDS = [
  'breaks_mandatory_law', 'harms_interests', 'against_public_order', 'not_voluntary',
  'content_unclear', 'other_excluded',
] as const
export type RejectionGround = (typeof REJECTION_GROUNDS)[number]

export interface CourtRef {
  id: number
  code: string
  name_zh: string
  name_en: string
  level: string
  intermediate_rank: boolean
}

export interface DeadlineRef {
  id: number
  kind: string
  rule: string | null
  due_at: string
  last_day: string
  status: string
  provisional: boolean
}

export interface CompetentCourt {
  court: CourtRef
  basis: string
  bases: string[]
  places: string[]
  intermediate_reason: string | null
}

export interface Refusal {
  code: string
  rule: string
  reason: string
}

export interface WindowOut {
  effective_at: string
  last_day: string
  due_at: string
  provisional: boolean
  open: boolean
  rule: string
}

export interface SubjectKind {
  key: string
  label_zh: string
  excluded: boolean
  property_related: boolean
}

export interface CompetentCourts {
  case_id: number
  agreement_id: number | null
  courts: CompetentCourt[]
  refusal: Refusal | null
  window: WindowOut | null
  unmatched: string[]
  subject_kinds: SubjectKind[]
}

export interface JoinOut {
  party_id: number
  side: string
  name: string
  user_id: number
  via_agent: boolean
  authorization_id: number | null
  joined_at: string
}

export interface MaterialItem {
  key: string
  label_zh: string
  party_id: number | null
  required: boolean
  present: boolean
  source: string
  document_ids: number[]
}

export interface ConfirmationOut {
  id: number
  case_id: number
  case_number: string
  agreement_id: number
  court: CourtRef
  competence_basis: string
  subject_kind: string
  property_location: string
  status: ConfirmationStatus
  started_by_id: number
  created_at: string
  applied_at: string | null
  accepted_at: string | null
  judge_user_id: number | null
  supplement_note: string
  ruled_at: string | null
  rejection_ground: string | null
  closed_at: string | null
  close_reason: string
  application_document_id: number | null
  ruling_document_id: number | null
  joins: JoinOut[]
  pending: { party_id: number; side: string; name: string }[]
  materials: { items: MaterialItem[]; complete: boolean }
  deadlines: DeadlineRef[]
}

export interface ApplyIn {
  agreement_id: number
  court_id: number
  subject_kind: string
  property_location?: string
  party_id?: number
}

export interface CourtApplication {
  id: number
  case_id: number
  case_number: string
  case_title: string
  agreement_id: number
  court_id: number
  status: ConfirmationStatus
  applied_at: string | null
  accepted_at: string | null
  judge_user_id: number | null
  supplement_note: string
  extended_at: string | null
  extension_approved_by_id: number | null
  questioning_meeting_id: number | null
  ruled_at: string | null
  rejection_ground: string | null
  ruling_reason: string
  ruling_document_id: number | null
  ruling_code: string | null
  closed_at: string | null
  close_reason: string
  claim_amount_fen: number
  agreed_sum_fen: number
  warning_count: number
  fee_fen: number
  deadlines: DeadlineRef[]
}

export interface WarningsOut {
  application_id: number
  count: number
  warnings: { code: string; message: string; details: Record<string, unknown> }[]
  rule: string
}

export interface RulingOut {
  application: CourtApplication
  document_id: number
  ruling_code: string
  served_party_ids: number[]
  paper_party_ids: number[]
}

export interface QuestioningOut {
  application: CourtApplication
  meeting_id: number
  starts_at: string
  ends_at: string
}

export const confirmationApi = {
  courts: (caseId: number, q: { agreement_id?: number; subject_kind?: string; property_location?: string } = {}) =>
    api.get<CompetentCourts>(`${V1}/cases/${caseId}/confirmation/courts`, q),
  list: (caseId: number) => api.get<{ items: ConfirmationOut[] }>(`${V1}/cases/${caseId}/confirmation-applications`),
  start: (caseId: number, body: ApplyIn) => api.post<ConfirmationOut>(`${V1}/cases/${caseId}/confirmation-applications`, body),
  join: (cid: number, partyId?: number) => api.post<ConfirmationOut>(`${ca(cid)}/join`, partyId ? { party_id: partyId } : {}),
  get: (cid: number) => api.get<ConfirmationOut>(ca(cid)),
  materials: (cid: number, documentIds: number[]) => api.post<ConfirmationOut>(`${ca(cid)}/materials`, { document_ids: documentIds }),
  withdraw: (cid: number, reason: string) => api.post<ConfirmationOut>(`${ca(cid)}/withdraw`, { reason }),
}

export const courtApi = {
  queue: (status?: string) => api.get<{ items: CourtApplication[] }>(`${V1}/court/confirmations`, status ? { status } : {}),
  accept: (cid: number, judgeUserId: number) => api.post<CourtApplication>(`${ca(cid)}/accept`, { judge_user_id: judgeUserId }),
  refuse: (cid: number, reason: string) => api.post<CourtApplication>(`${ca(cid)}/refuse`, { reason }),
  supplement: (cid: number, note: string, days: number) => api.post<CourtApplication>(`${ca(cid)}/request-supplement`, { note, days }),
  extend: (cid: number, approvedById: number, reason: string) => api.post<CourtApplication>(`${ca(cid)}/extend`, { approved_by_id: approvedById, reason }),
  questioning: (cid: number, startsAt: string, durationMinutes: number) =>
    api.post<QuestioningOut>(`${ca(cid)}/questioning`, { starts_at: startsAt, duration_minutes: durationMinutes }),
  rule: (cid: number, outcome: 'valid' | 'rejected', reason: string, ground?: RejectionGround) =>
    api.post<RulingOut>(`${ca(cid)}/rule`, outcome === 'rejected' ? { outcome, reason, ground } : { outcome, reason }),
  warnings: (cid: number) => api.get<WarningsOut>(`${ca(cid)}/warnings`),
}

export interface PartyRef { party_id: number; name: string }
export interface PersonOut { user_id: number; name: string }

export interface PerformanceItem {
  id: number
  agreement_id: number
  term_key: string
  description: string
  amount_fen: number | null
  due_on: string
  overdue: boolean
  obligors: PartyRef[]
  obligees: PartyRef[]
  status: 'pending' | 'performed' | 'defaulted'
  obligor_confirmed_at: string | null
  obligor_confirmed_by: PersonOut | null
  obligee_confirmed_at: string | null
  obligee_confirmed_by: PersonOut | null
  reminded_at: string | null
  defaulted_at: string | null
  default_recorded_by: PersonOut | null
  default_note: string
}

export interface PerformanceOut {
  case_id: number
  case_status: string
  items: PerformanceItem[]
  enforcement: {
    basis: 'confirmed' | 'mediation_statement'
    court_id: number
    court_name: string
    document_id: number | null
    document_title: string
    bring: string[]
    apply_by: string
    rule: string
    text: string
  } | null
  contract_remedy: { text: string; may_apply_for_confirmation: boolean; confirmation_last_day: string | null; rule: string } | null
}

export const performanceApi = {
  get: (caseId: number) => api.get<PerformanceOut>(`${V1}/cases/${caseId}/performance`),
  confirm: (itemId: number) => api.post<PerformanceItem>(`${V1}/performance-items/${itemId}/confirm`, {}),
  default: (itemId: number, note: string) => api.post<PerformanceItem>(`${V1}/performance-items/${itemId}/default`, { note }),
}

/** A case document's download address. */
export const documentUrl = (caseId: number, docId: number) => `${V1}/cases/${caseId}/documents/${docId}/content`

export type FilingStatus = 'submitted' | 'recorded' | 'statement_issued' | 'withdrawal_ruled'
export type FilingAction = 'record' | 'statement' | 'withdrawal_ruling'

/** An agreement the institution filed with the court (L37). */
export interface FilingOut {
  id: number
  case_id: number
  case_number: string
  case_title: string
  case_status: string
  channel: string
  court_id: number
  court_name: string
  kind: 'return' | 'record'
  status: FilingStatus
  submitted_at: string
  agreement_id: number
  agreement_verification_code: string
  agreement_document_id: number | null
  handled_by_id: number | null
  handled_at: string | null
  outcome_document_id: number | null
  outcome_code: string | null
  note: string
  actions: FilingAction[]
}

export interface IssuedOut {
  filing: FilingOut
  document_id: number
  outcome_code: string
  served_party_ids: number[]
  paper_party_ids: number[]
}

export const filingsApi = {
  list: (status?: FilingStatus) => api.get<{ items: FilingOut[] }>(`${V1}/court/filings`, status ? { status } : {}),
  get: (fid: number) => api.get<FilingOut>(`${V1}/court-filings/${fid}`),
  record: (fid: number, note: string) => api.post<FilingOut>(`${V1}/court-filings/${fid}/record`, { note }),
  statement: (fid: number, text: string) => api.post<IssuedOut>(`${V1}/court-filings/${fid}/statement`, { text }),
  withdrawalRuling: (fid: number, reason: string) => api.post<IssuedOut>(`${V1}/court-filings/${fid}/withdrawal-ruling`, { reason }),
}
