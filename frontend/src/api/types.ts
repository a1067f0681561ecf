/** Shapes of the API's JSON answers (see /openapi.json). */

import type { DocType } from '@/lib/identity'

export type Role = 'party' | 'agent' | 'mediator' | 'institution_admin' | 'judge' | 'clerk' | 'admin'
export type IdentityLevel = 'none' | 'basic' | 'strong'

/** The signed-in user as GET /api/v1/auth/me describes them. */
export interface Me {
  id: number
  username: string
  real_name: string
  role: Role
  identity_level: IdentityLevel
  mobile_masked?: string | null
  mobile_verified?: boolean
  mobile_verified_at?: string | null
  id_doc_type?: DocType | null
  id_doc_masked?: string | null
  locale?: string
  institution_ids?: number[]
  court_ids?: number[]
}

export interface Institution {
  id: number
  code: string
  name_zh: string
  name_en: string
  kind: string
  categories: string[]
  district: string
  charges_fees: boolean
  inviting_court_id: number | null
}

export interface Court {
  id: number
  code: string
  name_zh: string
  name_en: string
  level: string
  district: string
}

export interface CaseSummary {
  id: number
  number: string
  title: string
  category: string
  channel: string
  status: string
  claim_amount_fen: number
  institution_id: number | null
  court_id: number | null
  created_at: string
  updated_at: string
}

export interface Page<T> {
  items: T[]
  total?: number
}

export type OtpPurpose = 'login' | 'verify_mobile' | 'reset_password' | 'change_mobile'

export interface RegisterInput {
  username: string
  password: string
  real_name: string
  id_doc_type: DocType
  id_doc_number: string
  mobile: string
  role: 'party' | 'agent'
  locale?: 'zh-CN' | 'en'
}
