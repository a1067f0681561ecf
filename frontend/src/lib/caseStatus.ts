/** How a case status looks: the colour of its tag, and whether the case is still running. */

export type TagType = 'primary' | 'success' | 'warning' | 'danger' | 'info'

const TONES: Record<string, TagType> = {
  submitted: 'info',
  under_review: 'warning',
  rejected: 'danger',
  accepted: 'primary',
  institution_assigned: 'primary',
  mediator_assigned: 'primary',
  in_mediation: 'primary',
  agreement_effective: 'success',
  failed: 'danger',
  withdrawn: 'info',
  confirmation_applied: 'warning',
  confirmed: 'success',
  confirmation_rejected: 'danger',
  submitted_to_court: 'warning',
  mediation_statement_issued: 'success',
  withdrawal_ruled: 'info',
}

export function statusTone(status: string): TagType {
  return TONES[status] ?? 'info'
}

export const FINAL_STATUSES: ReadonlySet<string> = new Set([
  'failed', 'withdrawn', 'confirmed', 'mediation_statement_issued', 'withdrawal_ruled',
])

/** The dispute categories a case can have (odr/categories.py). */
export const CATEGORIES = [
  'financial_consumer', 'banking', 'insurance', 'securities', 'capital_market',
  'commercial_trade', 'financial_leasing', 'private_enterprise', 'general_civil',
] as const
export type Category = (typeof CATEGORIES)[number]
