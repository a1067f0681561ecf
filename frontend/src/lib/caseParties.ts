/**
 * Which parties of a case the signed-in user may act for (consents, answers,
 * authorizations). The case detail names the user's roles and which parties are
 * linked to an account; an agent's principals come from its authorizations.
 * The server checks every act again (`not_your_party`), so a wrong guess here
 * only preselects the wrong name in a list the person can change.
 */

import type { AuthorizationOut, CaseDetail, PartyOut } from '@/api/caseTypes'
import type { Me } from '@/api/types'

export function partiesIActFor(detail: CaseDetail, user: Me | null, grants: readonly AuthorizationOut[] = []): PartyOut[] {
  if (!user) return []
  const out = new Map<number, PartyOut>()
  for (const side of ['applicant', 'respondent'] as const) {
    if (!detail.my_roles.includes(side)) continue
    const linked = detail.parties.filter((p) => p.side === side && p.linked)
    const byName = linked.filter((p) => p.name === user.real_name)
    for (const p of byName.length ? byName : linked) out.set(p.id, p)
  }
  for (const g of grants) {
    if (g.agent_user_id !== user.id || g.status !== 'active') continue
    const p = detail.parties.find((x) => x.id === g.party_id)
    if (p) out.set(p.id, p)
  }
  return [...out.values()]
}

export const STAFF_ROLES = new Set(['institution_admin', 'judge', 'clerk', 'admin'])

export function isStaffRole(role: string | undefined): boolean {
  return role !== undefined && STAFF_ROLES.has(role)
}
