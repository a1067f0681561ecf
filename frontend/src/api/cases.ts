/** Every call of the case API (issue 3), one small function each; shapes in caseTypes.ts. */

import { api } from './client'
import type {
  AmendIn,
  AnswerIn,
  AnswerOut,
  ApplicationIn,
  AttachmentOut,
  AuthorizationOut,
  CaseDetail,
  CaseDocumentOut,
  CaseRef,
  ClaimOut,
  ConsentIn,
  ConsentList,
  ConsentRecorded,
  DeadlineList,
  DeadlineOut,
  EndRequest,
  EndResult,
  ExtensionOut,
  FileReadingOut,
  GrantIn,
  InvitationOut,
  Notice,
  Paged,
  ProgressOut,
  QueueItem,
  ReadableFile,
  ReferralIn,
  PartyServiceAddress,
  ServeResult,
  ServiceAddressForm,
  PaperCopyOut,
  ServiceRecordOut,
  ThreadCreate,
  ThreadDetail,
  ThreadOut,
  TimelinePage,
  TransferPackageOut,
  UploadDocumentFields,
  WalkInIn,
} from './caseTypes'
import { uploadFile, type UploadOptions } from './upload'

const V1 = '/api/v1'
const c = (id: number) => `${V1}/cases/${id}`

export const intake = {
  notice: () => api.get<Notice>(`${V1}/notice`),
  /** The key is generated once per form: the same key twice creates one case. */
  apply: (body: ApplicationIn, idempotencyKey: string) =>
    api.request<CaseRef>('POST', `${V1}/cases/applications`, { body, headers: { 'Idempotency-Key': idempotencyKey } }),
  refer: (body: ReferralIn, idempotencyKey: string) =>
    api.request<CaseRef>('POST', `${V1}/cases/referrals`, { body, headers: { 'Idempotency-Key': idempotencyKey } }),
  walkIn: (body: WalkInIn, idempotencyKey: string) =>
    api.request<CaseRef>('POST', `${V1}/cases/walk-ins`, { body, headers: { 'Idempotency-Key': idempotencyKey } }),
  amend: (id: number, body: AmendIn) => api.put<CaseRef>(`${c(id)}/application`, body),
  resubmit: (id: number) => api.post<CaseRef>(`${c(id)}/resubmit`),
}

export const caseApi = {
  detail: (id: number) => api.get<CaseDetail>(c(id)),
  timeline: (id: number, afterId?: number, limit = 50) =>
    api.get<TimelinePage>(`${c(id)}/timeline`, { after_id: afterId, limit }),
  deadlines: (id: number) => api.get<DeadlineList>(`${c(id)}/deadlines`),
  /** A new query password by SMS to the party's mobile (L3); answers where it went, masked. */
  resetQueryPassword: (id: number, partyId?: number) =>
    api.request<{ sent_to: string }>('POST', `${c(id)}/query-password/reset`, { query: { party_id: partyId } }),
}

export const review = {
  queue: (query: { limit?: number; offset?: number } = {}) => api.get<Paged<QueueItem>>(`${V1}/review/queue`, query),
  start: (id: number) => api.post<CaseRef>(`${c(id)}/review/start`),
  accept: (id: number) => api.post<CaseRef>(`${c(id)}/review/accept`),
  reject: (id: number, reason: string) => api.post<CaseRef>(`${c(id)}/review/reject`, { reason }),
}

export const progress = {
  query: (caseNumber: string, password: string) =>
    api.post<ProgressOut>(`${V1}/progress-query`, { case_number: caseNumber, password }),
}

const invitation = (token: string) => `${V1}/invitations/${encodeURIComponent(token)}`

export const invitations = {
  get: (token: string) => api.get<InvitationOut>(invitation(token)),
  claim: (token: string) => api.post<ClaimOut>(`${invitation(token)}/claim`),
  answer: (caseId: number, body: AnswerIn) => api.post<AnswerOut>(`${c(caseId)}/respondent-answer`, body),
}

export const consents = {
  list: (id: number) => api.get<ConsentList>(`${c(id)}/consents`),
  record: (id: number, body: ConsentIn) => api.post<ConsentRecorded>(`${c(id)}/consents`, body),
}

export const authorizations = {
  list: (id: number) => api.get<Paged<AuthorizationOut>>(`${c(id)}/authorizations`),
  grant: (id: number, body: GrantIn) => api.post<AuthorizationOut>(`${c(id)}/authorizations`, body),
  revoke: (id: number, aid: number, reason: string) => api.post<AuthorizationOut>(`${c(id)}/authorizations/${aid}/revoke`, { reason }),
}

export const clocks = {
  /** L13: only an appraisal (鉴定) stops the mediation period's clock. */
  pause: (id: number, note: string) => api.post<DeadlineOut>(`${c(id)}/mediation-period/pause`, { reason: 'appraisal', note }),
  resume: (id: number) => api.post<DeadlineOut>(`${c(id)}/mediation-period/resume`),
  proposeExtension: (id: number, days: number, reason: string) => api.post<ExtensionOut>(`${c(id)}/extensions`, { days, reason }),
  answerExtension: (id: number, eid: number, agree: boolean) => api.post<ExtensionOut>(`${c(id)}/extensions/${eid}/answer`, { agree }),
}

export const documents = {
  list: (id: number) => api.get<Paged<CaseDocumentOut>>(`${c(id)}/documents`),
  versions: (id: number, docId: number) => api.get<Paged<CaseDocumentOut>>(`${c(id)}/documents/${docId}/versions`),
  /** Multipart: the text fields first, then the file, with upload progress. */
  upload: (id: number, file: File, fields: UploadDocumentFields, options: Omit<UploadOptions, 'url' | 'fields'> = {}) => {
    const form: Record<string, string> = { title: fields.title }
    if (fields.kind) form.kind = fields.kind
    if (fields.visibility) form.visibility = fields.visibility
    if (fields.replaces_id) form.replaces_id = String(fields.replaces_id)
    if (fields.confidential) form.confidential = 'true'
    return uploadFile<CaseDocumentOut>(file, { ...options, url: `${c(id)}/documents`, fields: form })
  },
}

export const ending = {
  end: (id: number, body: EndRequest) => api.post<EndResult>(`${c(id)}/end`, body),
  transferPackage: (id: number) => api.get<TransferPackageOut>(`${c(id)}/transfer-package`),
}

export const threads = {
  list: (id: number) => api.get<Paged<ThreadOut>>(`${c(id)}/threads`),
  open: (id: number, body: ThreadCreate) => api.post<ThreadDetail>(`${c(id)}/threads`, body),
  get: (tid: number) => api.get<ThreadDetail>(`${V1}/threads/${tid}`),
  reply: (tid: number, body: string, attachmentIds: number[] = []) =>
    api.post<ThreadDetail>(`${V1}/threads/${tid}/messages`, { body, attachment_ids: attachmentIds }),
  /** A file to send with a message (sniffed like any document); staff name the side they write to. */
  uploadAttachment: (id: number, file: File, side?: string, options: Omit<UploadOptions, 'url' | 'fields'> = {}) =>
    uploadFile<AttachmentOut>(file, { ...options, url: `${c(id)}/message-attachments`, fields: side ? { side } : {} }),
}

export const fileReading = {
  /** An agent applies to read the case file online (网上阅卷). */
  apply: (id: number, reason: string) => api.post<FileReadingOut>(`${c(id)}/file-reading-requests`, { reason }),
  list: (id: number) => api.get<Paged<FileReadingOut>>(`${c(id)}/file-reading-requests`),
  /** The mediator or judge approves (for `days`) or refuses with a reason. */
  decide: (id: number, rid: number, approve: boolean, reason: string | null, days?: number) =>
    api.post<FileReadingOut>(`${c(id)}/file-reading-requests/${rid}/decide`, { approve, reason, ...(days ? { days } : {}) }),
  /** What an approved reader can open now; each opens watermarked with the reader's name. */
  file: (id: number) => api.get<ReadableFile>(`${c(id)}/file-reading`),
}

export const eservice = {
  addresses: (id: number) => api.get<Paged<PartyServiceAddress>>(`${c(id)}/service-address`),
  /** The address-confirmation form (送达地址确认书, L33). */
  confirm: (id: number, body: ServiceAddressForm) => api.post<PartyServiceAddress>(`${c(id)}/service-address`, body),
  records: (id: number) => api.get<Paged<ServiceRecordOut>>(`${c(id)}/service-records`),
  /** Serve a document electronically (L33-L35): to the recipients named, or every party. */
  serve: (id: number, docId: number, recipients: number[] | null) =>
    api.post<ServeResult>(`${c(id)}/documents/${docId}/serve`, { recipients }),
  receiptUrl: (rid: number) => `${V1}/service-records/${rid}/receipt`,
  /** Ask for a paper copy of a ruling served on you electronically (L35). */
  requestPaper: (id: number, documentId: number, address: string, partyId: number | null) =>
    api.post<PaperCopyOut>(`${c(id)}/paper-copy-requests`, { document_id: documentId, address, party_id: partyId }),
  paperRequests: (id: number) => api.get<{ items: PaperCopyOut[] }>(`${c(id)}/paper-copy-requests`),
  /** Staff mark a paper copy sent (e.g. with the tracking number). */
  paperSent: (id: number, rid: number, note: string | null) =>
    api.post<PaperCopyOut>(`${c(id)}/paper-copy-requests/${rid}/sent`, { note }),
}
