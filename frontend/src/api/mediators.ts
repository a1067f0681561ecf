/**
 * The mediators API (issue 4, mediators/): the public roster (L4), mediator profiles,
 * hours, leave and conflicts, the admin's assignment queue and batch, and a case's
 * mediator — joint choice (L5), designation, override, accept/decline (L6),
 * disclosures and replacement (L7). Shapes follow mediators/schemas.py.
 */

import { api } from './client'

const V1 = '/api/v1'
const c = (id: number) => `${V1}/cases/${id}`
const m = (id: number) => `${V1}/mediators/${id}`

// ---- roster (public) --------------------------------------------------------

export interface CourtRef {
  id: number
  code: string
  name_zh: string
  name_en: string
}

export interface PublicMediator {
  id: number
  name: string
  title: string
  bio_zh: string
  bio_en: string
  specialties: string[]
  languages: string[]
  institution_id: number
  status: 'active' | 'suspended' | string
}

export interface RosterInstitution {
  id: number
  code: string
  name_zh: string
  name_en: string
  kind: string
  categories: string[]
  district: string
  address: string
  phone: string
  charges_fees: boolean
  description_zh: string
  description_en: string
  inviting_court: CourtRef | null
  mediators: PublicMediator[]
}

// ---- profiles ----------------------------------------------------------------

export interface WindowOut {
  weekday: number
  start_minute: number
  end_minute: number
}

export interface WindowIn {
  weekday: number
  start: string
  end: string
}

export interface LeaveOut {
  id: number
  starts_on: string
  ends_on: string
  reason: string
  current: boolean
}

export interface ConflictOut {
  id: number
  kind: 'person' | 'organisation' | string
  name: string
  id_doc_last4: string | null
  note: string
  declared_at: string
}

export interface MediatorProfile extends PublicMediator {
  max_concurrent_cases: number
  open_cases: number
  status_reason: string | null
  availability: WindowOut[]
  leaves: LeaveOut[]
  conflicts: ConflictOut[]
  statistics: Record<string, unknown>
}

export interface ProfilePatch {
  title?: string
  bio_zh?: string
  bio_en?: string
  specialties?: string[]
  languages?: string[]
  max_concurrent_cases?: number
}

export interface ConflictIn {
  kind: 'person' | 'organisation'
  name: string
  id_doc_number?: string | null
  note?: string
}

// ---- assignments ----------------------------------------------------------------

export interface ScoredMediator {
  mediator_id: number
  cost: number
  parts: Record<string, number>
  load: number
  capacity: number
  specialties: string[]
  agreement_rate: number
}

/** Why a mediator got the case (institution and court staff only). */
export interface Explanation {
  rule?: string
  /** A stable code for `rule` (shown in the reader's language); `rule_params` e.g. the engine's cause. */
  rule_code?: string
  rule_params?: Record<string, string>
  method?: string
  at?: string
  mediator?: ScoredMediator | null
  rank?: number | null
  eligible?: number
  best?: ScoredMediator | null
  runner_up?: ScoredMediator | null
  refused?: Record<string, number>
  rules_failed_by_chosen?: string[]
  tie_break?: string
  available_until?: string
  institution?: Record<string, unknown> | null
  override_reason?: string
  [key: string]: unknown
}

export interface Assignment {
  id: number
  case_id: number
  mediator_id: number
  mediator_name: string
  institution_id: number
  method: 'joint_choice' | 'designated' | 'reassigned' | 'batch' | 'override' | string
  status: 'pending' | 'accepted' | 'declined' | 'timed_out' | 'replaced' | 'released' | string
  reason: string | null
  party_replacement: boolean
  assigned_at: string
  responded_at: string | null
  decline_reason: string | null
  ended_at: string | null
  end_reason: string | null
  explanation: Explanation | null
}

export interface MediatorAssignment extends Assignment {
  case_number: string
  case_title: string
  case_category: string
  case_status: string
  respond_by: string | null
  respond_by_day: string | null
}

export interface Choice {
  party_id: number
  side: string
  institution_id: number
  mediator_id: number
  at: string
}

export interface Choices {
  window_open: boolean
  window_last_day: string | null
  parties: number
  choices: Choice[]
  assignment?: Assignment | null
}

export interface Candidate {
  mediator_id: number
  name: string
  cost: number
  parts: Record<string, number>
  load: number
  capacity: number
}

export interface Proposal {
  institution_id: number | null
  institution: Record<string, unknown> | null
  candidates: Candidate[]
  refused: Record<string, string[]>
  why_none: string | null
  tie_break: string
}

export interface Designation {
  assigned: boolean
  assignment: Assignment | null
  queued_reason: string | null
}

export interface DisclosureAnswer {
  party_id: number
  agree: boolean
  reason: string
  at: string
}

export interface Disclosure {
  id: number
  case_id: number
  mediator_id: number
  statement: string
  status: 'open' | 'continued' | 'replaced' | string
  created_at: string
  resolved_at: string | null
  answers: DisclosureAnswer[]
}

export interface CaseStatusOut {
  case_id: number
  status: string
  mediator_id: number | null
}

export interface QueueItem {
  id: number
  case_id: number
  case_number: string
  category: string
  institution_id: number | null
  reason_code: string
  reason: string
  details: Record<string, unknown>
  created_at: string
}

export interface BatchReport {
  cases: number
  assigned: Record<string, unknown>[]
  queued: number[]
  cost: number
  lower_bound: number
  optimal: boolean
  dry_run: boolean
}

interface Items<T> {
  items: T[]
}

export const roster = {
  list: (query: { category?: string; institution_id?: number } = {}) =>
    api.get<{ institutions: RosterInstitution[] }>(`${V1}/roster`, query),
  mediator: (id: number) => api.get<PublicMediator>(`${V1}/roster/mediators/${id}`),
}

/** A mediator account the institution admin opens (the mediator sets its own password). */
export interface MediatorAccountIn {
  username: string
  real_name: string
  id_doc_type: 'resident_id'
  id_doc_number: string
  mobile: string
  title: string
  specialties: string[]
  languages: string[]
  max_concurrent_cases: number
}

export const mediatorProfiles = {
  list: (institutionId: number) => api.get<Items<MediatorProfile>>(`${V1}/institutions/${institutionId}/mediators`),
  openAccount: (institutionId: number, body: MediatorAccountIn) =>
    api.post<MediatorProfile>(`${V1}/institutions/${institutionId}/mediator-accounts`, body),
  get: (id: number) => api.get<MediatorProfile>(m(id)),
  update: (id: number, patch: ProfilePatch) => api.request<MediatorProfile>('PATCH', m(id), { body: patch }),
  setStatus: (id: number, status: 'active' | 'suspended' | 'left', reason: string) =>
    api.post<{ profile: MediatorProfile; cases_handed_on: number[] }>(`${m(id)}/status`, { status, reason }),
  setAvailability: (id: number, windows: WindowIn[]) => api.put<MediatorProfile>(`${m(id)}/availability`, { windows }),
  addLeave: (id: number, startsOn: string, endsOn: string, reason: string) =>
    api.post<MediatorProfile>(`${m(id)}/leaves`, { starts_on: startsOn, ends_on: endsOn, reason }),
  cancelLeave: (id: number, leaveId: number) => api.request<MediatorProfile>('DELETE', `${m(id)}/leaves/${leaveId}`),
  declareConflict: (id: number, body: ConflictIn) => api.post<MediatorProfile>(`${m(id)}/conflicts`, body),
  withdrawConflict: (id: number, conflictId: number) =>
    api.request<MediatorProfile>('DELETE', `${m(id)}/conflicts/${conflictId}`),
  assignments: (id: number, status?: string) => api.get<Items<MediatorAssignment>>(`${m(id)}/assignments`, { status }),
}

export const assignmentAdmin = {
  queue: (institutionId: number) => api.get<Items<QueueItem>>(`${V1}/institutions/${institutionId}/assignment-queue`),
  batch: (institutionId: number, dryRun: boolean) =>
    api.post<BatchReport>(`${V1}/institutions/${institutionId}/assignment-batch`, { dry_run: dryRun }),
}

export const caseMediator = {
  assignments: (caseId: number) => api.get<Items<Assignment>>(`${c(caseId)}/mediator-assignments`),
  choices: (caseId: number) => api.get<Choices>(`${c(caseId)}/mediator-choices`),
  choose: (caseId: number, institutionId: number, mediatorId: number, partyId?: number) =>
    api.post<Choices>(`${c(caseId)}/mediator-choices`, { institution_id: institutionId, mediator_id: mediatorId, party_id: partyId }),
  proposal: (caseId: number) => api.get<Proposal>(`${c(caseId)}/mediator-proposal`),
  designate: (caseId: number, mediatorId: number | null, note: string | null) =>
    api.post<Designation>(`${c(caseId)}/mediator-designation`, { mediator_id: mediatorId, note: note || null }),
  override: (caseId: number, mediatorId: number, reason: string) =>
    api.post<Assignment>(`${c(caseId)}/mediator-override`, { mediator_id: mediatorId, reason }),
  accept: (caseId: number) => api.post<CaseStatusOut>(`${c(caseId)}/mediator-assignment/accept`),
  decline: (caseId: number, reason: string) => api.post<CaseStatusOut>(`${c(caseId)}/mediator-assignment/decline`, { reason }),
  disclosures: (caseId: number) => api.get<Items<Disclosure>>(`${c(caseId)}/conflict-disclosures`),
  disclose: (caseId: number, statement: string) => api.post<Disclosure>(`${c(caseId)}/conflict-disclosures`, { statement }),
  answerDisclosure: (caseId: number, disclosureId: number, agree: boolean, reason: string, partyId?: number) =>
    api.post<Disclosure>(`${c(caseId)}/conflict-disclosures/${disclosureId}/answers`, { agree, reason, party_id: partyId }),
  requestReplacement: (caseId: number, reason: string, partyId?: number) =>
    api.post<CaseStatusOut>(`${c(caseId)}/mediator-replacement`, { reason, party_id: partyId }),
  refuseReplacement: (caseId: number, reason: string, partyId?: number) =>
    api.post<CaseStatusOut>(`${c(caseId)}/mediator-replacement/refusal`, { reason, party_id: partyId }),
}

/** "09:00" from minutes after midnight (24:00 for the end of the day). */
export function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}
