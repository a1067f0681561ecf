/**
 * Shapes of the case API (issue 3), as the server's pydantic schemas name them:
 * odr/cases/intake/schemas.py, the routes under odr/cases and odr/eservice.
 */

import type { DocType } from '@/lib/identity'
import type { PartyKind, Side } from '@/lib/parties'

export type AgentScope = 'general' | 'sign_agreement' | 'apply_confirmation' | 'read_file'
export const AGENT_SCOPES: readonly AgentScope[] = ['general', 'sign_agreement', 'apply_confirmation', 'read_file']

// ---- intake ---------------------------------------------------------------

export interface PartyIn {
  kind: PartyKind
  name: string
  id_doc_type: DocType
  id_doc_number: string
  mobile: string
  address: string
  legal_representative: string | null
}

export interface DisputeIn {
  title: string
  category: string
  /** CNY as a decimal string, e.g. "12345.67". */
  claim_amount: string
  claims: string
  facts: string
}

export interface CaseIn extends DisputeIn {
  applicants: PartyIn[]
  respondents: PartyIn[]
  evidence_sha256s: string[]
  /** Evidence with the names the user's files had (kept in the case's document list). */
  evidence?: EvidenceFile[]
}

export interface AgentFilingIn {
  principal_index: number
  power_of_attorney_sha256: string
  scopes: AgentScope[]
  valid_until?: string | null
}

export interface ApplicationIn extends CaseIn {
  preferred_institution_id: number | null
  notice_version: string
  consent_to_online_mediation: boolean
  agent?: AgentFilingIn | null
}

export interface ReferralIn extends CaseIn {
  channel: 'delegated' | 'entrusted'
  institution_id: number
  court_id?: number | null
  court_case_number?: string | null
  procedure?: 'ordinary' | 'summary' | null
}

export interface WalkInIn extends CaseIn {
  institution_id?: number | null
  consent_taken_in_person: boolean
}

export interface AmendIn extends DisputeIn {
  preferred_institution_id: number | null
  respondents?: PartyIn[] | null
}

export interface CaseRef {
  id: number
  number: string
  status: string
}

export interface QueueItem {
  id: number
  number: string
  title: string
  category: string
  channel: string
  status: string
  claim_amount: string
  claim_amount_fen: number
  applicants: string[]
  respondents: string[]
  institution_id: number | null
  preferred_institution_id: number | null
  /** No preference: the institution routing proposed (its admins review the case). */
  proposed_institution_id: number | null
  court_id: number | null
  submitted_at: string | null
}

export interface NoticeSection {
  heading: string
  body: string
}

export interface NoticeText {
  title: string
  sections: NoticeSection[]
}

export interface Notice {
  version: string
  published: string
  texts: Record<string, NoticeText>
}

// ---- case detail (odr/cases/intake/detail.py) --------------------------------

export interface OrgRef {
  id: number
  code: string
  name_zh: string
  name_en: string
}

export interface PersonRef {
  id: number
  name: string
}

export interface PartyOut {
  id: number
  side: Side
  kind: PartyKind
  name: string
  id_doc_type: DocType
  /** Masked: only the last four characters show. */
  id_doc_number: string | null
  /** Masked: 138****5678. */
  mobile: string | null
  address: string
  legal_representative: string | null
  /** A verified user has taken this party's place. */
  linked: boolean
  /** The viewer is this party or acts for it ("you" on the page). */
  mine: boolean
}

/** odr/cases/deadlines/routes.py */
export interface DeadlineOut {
  id: number
  kind: string
  rule: string | null
  subject_type: string | null
  subject_id: number | null
  length_days: number
  working_days: boolean
  starts_at: string
  /** UTC instant: 24:00 Asia/Shanghai of last_day. */
  due_at: string
  /** Local (Asia/Shanghai) date. */
  last_day: string
  /** Counted into a year with no calendar loaded: weekends only. */
  provisional: boolean
  status: 'open' | 'paused' | 'met' | 'missed' | 'cancelled' | string
  paused_at: string | null
  paused_days: number
  extended_days: number
  /** Calendar days from today (local) to last_day; null once closed. */
  days_left: number | null
  closed_at: string | null
}

export interface ExtensionAnswerOut {
  party_id: number
  agree: boolean
  by_user_id: number | null
  at: string
}

export interface ExtensionOut {
  id: number
  deadline_id: number
  days: number
  reason: string
  status: string
  proposed_by_id: number | null
  created_at: string
  decided_at: string | null
  answers: ExtensionAnswerOut[]
}

export interface DeadlineList {
  items: DeadlineOut[]
  extensions: ExtensionOut[]
}

export interface CaseDetail {
  id: number
  number: string
  title: string
  category: string
  channel: string
  procedure: string | null
  court_case_number: string | null
  status: string
  status_label: string
  claim_amount: string
  claim_amount_fen: number
  claims: string
  facts: string
  institution_id: number | null
  court_id: number | null
  institution: OrgRef | null
  preferred_institution: OrgRef | null
  /** No preference given: the institution routing proposed, which reviews the application. */
  proposed_institution: OrgRef | null
  court: OrgRef | null
  mediator: PersonRef | null
  parties: PartyOut[]
  online: boolean
  offline_reason: string | null
  rejection_reason: string | null
  end_ground: string | null
  end_reasons: string | null
  allowed_events: string[]
  /** The signed-in user's roles in this case (applicant, respondent, agent, mediator). */
  my_roles: string[]
  submitted_at: string | null
  accepted_at: string | null
  mediation_started_at: string | null
  closed_at: string | null
  created_at: string
  updated_at: string
}

// ---- timeline (odr/cases/progress/timeline.py) ----------------------------------

export interface TimelineEvent {
  id: number
  at: string
  kind: string
  label_zh: string
  label_en: string
  actor_label: string
  visibility: string
  data: Record<string, unknown>
}

export interface TimelinePage {
  items: TimelineEvent[]
  /** Pass as after_id for the next page; null at the end. */
  next_after_id: number | null
}

// ---- progress query (public, L3: progress fields only) ------------------------

export interface ProgressOut {
  case_number: string
  status: string
  status_label: string
  submitted_at: string | null
  accepted_at: string | null
  mediation_started_at: string | null
  closed_at: string | null
  institution_name: string | null
  mediator_name: string | null
  next_session_at: string | null
}

// ---- documents (odr/cases/documents/schemas.py) -----------------------------------

export type DocumentVisibility = 'all' | 'mediator_only' | 'own_side'
export const DOCUMENT_VISIBILITIES: readonly DocumentVisibility[] = ['all', 'own_side', 'mediator_only']
export const DOCUMENT_KINDS = [
  'evidence', 'application', 'identity', 'power_of_attorney', 'session_record', 'agreement', 'ruling', 'notice', 'other',
] as const

export interface CaseDocumentOut {
  id: number
  case_id: number
  lineage_id: number
  version: number
  kind: string
  title: string
  filename: string
  content_type: string
  size: number
  sha256: string
  visibility: DocumentVisibility
  side: string | null
  confidential: boolean
  uploaded_by_id: number | null
  created_at: string
  content_url: string
}

export interface UploadDocumentFields {
  title: string
  kind?: string
  visibility?: DocumentVisibility
  replaces_id?: number | null
  confidential?: boolean
}

// ---- messages (odr/cases/messages/schemas.py) --------------------------------------

export type Addressee = 'mediator' | 'judge' | 'institution' | 'court'
export type ThreadKind = 'message' | 'complaint'

export interface ThreadCreate {
  kind?: ThreadKind
  /** A party names the staff it writes to; staff may leave it out (their own role). */
  to?: Addressee | null
  /** Staff only: the party written to. */
  party_id?: number | null
  about?: 'mediator' | 'service' | null
  subject: string
  body: string
  attachment_ids?: number[]
}

export interface AttachmentOut {
  document_id: number
  title: string
  filename: string
  content_type: string
  size: number
  /** Download through the thread (its readers only). */
  content_url: string
}

export interface ThreadMessageOut {
  id: number
  author_label: string
  from_staff: boolean
  mine: boolean
  body: string
  created_at: string
  attachments: AttachmentOut[]
}

export interface ThreadOut {
  id: number
  case_id: number
  kind: ThreadKind
  to: Addressee
  about: string | null
  subject: string
  side: string
  status: 'awaiting_reply' | 'answered' | string
  reply_due_at: string | null
  escalated: boolean
  escalated_to: string | null
  supervision: boolean | null
  supervision_of_id: number | null
  created_at: string
  last_message_at: string
}

export interface ThreadDetail extends ThreadOut {
  messages: ThreadMessageOut[]
}

// ---- consents, agents, invitations (odr/cases/parties/routes.py) ------------------

export type ConsentStage = 'mediation_online' | 'hearing_online' | 'electronic_service'
export const CONSENT_STAGES: readonly ConsentStage[] = ['mediation_online', 'hearing_online', 'electronic_service']
export type ConsentDecision = 'agree' | 'refuse' | 'withdraw'

export interface ConsentOut {
  party_id: number
  party_name: string
  side: Side
  stage: ConsentStage
  decision: ConsentDecision
  channel: string
  at: string
  by_user_id: number | null
  reason: string | null
  notice_version: string | null
}

export interface ConsentList {
  online: boolean
  offline_reason: string | null
  /** Respondent parties still to answer whether they agree to mediate (L8). */
  awaiting_answer: number[]
  items: ConsentOut[]
}

export interface ConsentIn {
  party_id: number
  stage: ConsentStage
  decision: ConsentDecision
  reason?: string | null
}

export interface ConsentRecorded {
  consent_id: number
  party_id: number
  stage: string
  decision: string
  at: string
  online: boolean
}

export interface AuthorizationOut {
  id: number
  party_id: number
  party_name: string
  party_side: Side
  agent_user_id: number
  agent_name: string
  agent_username: string
  scopes: AgentScope[]
  valid_from: string
  valid_until: string | null
  status: 'active' | 'revoked' | 'expired'
  document_sha256: string | null
  revoked_at: string | null
  revoke_reason: string | null
}

export interface GrantIn {
  party_id: number
  agent_username?: string | null
  agent_mobile?: string | null
  scopes: AgentScope[]
  valid_until?: string | null
  document_sha256?: string | null
}

export interface InvitationOut {
  case_number: string
  applicant_names: string[]
  category: string
  claim_amount_fen: number
  due_at: string
  last_day: string
  notice_version: string
}

export interface ClaimOut {
  case_id: number
  party_id: number
}

export interface AnswerIn {
  decision: 'agree' | 'refuse'
  reason?: string | null
  notice_version: string
  party_id?: number | null
}

export interface AnswerOut {
  party_id: number
  decision: string
  status: string
  all_agreed: boolean
}

// ---- electronic service (odr/eservice/schemas.py, L33-L35) ---------------------------

export interface ServiceAddressEntry {
  channel: string
  address: string
  confirmed: boolean
}

export interface PartyServiceAddress {
  party_id: number
  name: string
  side: Side
  consents: boolean
  /** confirmed | presumed_from_filing | presumed_from_prior_service */
  basis: string | null
  decision: string | null
  decided_at: string | null
  /** Why the party cannot be served electronically (empty when it can). */
  reason: string
  addresses: ServiceAddressEntry[]
}

export interface ServiceAddressForm {
  party_id?: number | null
  decision: 'agree' | 'refuse'
  mobile?: string | null
  email?: string | null
  inapp?: boolean
  reason?: string | null
}

export interface ServiceRecordOut {
  id: number
  service_id: number
  document_id: number
  document_title: string
  /** `ruling` (judgment, ruling, mediation statement): a paper copy may be asked for (L35). */
  document_kind: string
  party_id: number
  recipient_name: string
  consent_basis: string
  channel: string
  address: string
  address_confirmed: boolean
  queued_at: string
  sent_at: string | null
  delivered_at: string | null
  opened_at: string | null
  completed_at: string | null
  completion_basis: string | null
  /** When the service (document × recipient) completed, by its earliest valid record (L34). */
  service_completed_at: string | null
  service_completion_basis: string | null
  /** This record's completion is the one that counts. */
  counts_for_service: boolean
  receipt_url: string
  receipt_document_id: number | null
}

// ---- ending (odr/cases/ending/routes.py, L14) -----------------------------------------

export const END_GROUNDS = [
  'party_refused_to_continue', 'party_refused_to_sign', 'party_unreachable', 'period_ended',
  'refused_replacement_mediator', 'no_mediator', 'not_suitable', 'respondent_refused', 'respondent_no_reply', 'other',
] as const
export type EndGround = (typeof END_GROUNDS)[number]

export interface EndRequest {
  ground: EndGround
  reasons: string
  cost_conduct?: string | null
}

export interface EndResult {
  case_id: number
  status: string
  end_ground: string
  end_reasons: string
  closed_at: string
  /** sent_for_filing | returned_to_trial | may_sue */
  consequence: string
  consequence_text: string
  transfer_package_queued: boolean
}

export interface TransferPackageOut {
  case_id: number
  generated_at: string
  pdf: CaseDocumentOut
  zip: CaseDocumentOut
  included_document_ids: number[]
  excluded_count: number
}

export interface Paged<T> {
  items: T[]
  total?: number
}

/** The nearest open deadline of a case in the case list. */
export interface NextDeadline {
  kind: string
  rule: string | null
  due_at: string
  last_day: string
  provisional: boolean
}

export interface ServedRecord {
  id: number
  channel: string
  address: string
  address_confirmed: boolean
}

export interface ServeResult {
  document_id: number
  results: { party_id: number; service_id: number; status: 'served' | 'already_served'; consent_basis: string; records: ServedRecord[] }[]
}

export type FileReadingStatus = 'pending' | 'approved' | 'refused'

export interface FileReadingOut {
  id: number
  case_id: number
  requester_id: number
  party_id: number | null
  reason: string
  status: FileReadingStatus | string
  decided_by_id: number | null
  decided_at: string | null
  decision_reason: string | null
  valid_from: string | null
  valid_until: string | null
  /** Approved and within its time. */
  active: boolean
  created_at: string
}

export interface ReadableDocument {
  id: number
  title: string
  kind: string
  filename: string
  content_type: string
  version: number
  /** PDF or image: shown watermarked; other types cannot be read online. */
  readable_online: boolean
  url: string
}

export interface ReadableFile {
  grant: FileReadingOut
  items: ReadableDocument[]
}

/** A file uploaded with POST /api/v1/files, with its original name. */
export interface EvidenceFile {
  sha256: string
  filename: string
  title?: string | null
}

export interface PaperCopyOut {
  id: number
  case_id: number
  party_id: number
  document_id: number
  document_title: string
  address: string
  status: 'requested' | 'sent'
  requested_by_id: number | null
  requested_at: string
  sent_at: string | null
  note: string | null
}
