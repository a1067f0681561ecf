/**
 * The workspace side menu, by role. Each later feature adds its entries here
 * (name of a route, the roles that see it, the label key).
 */

import type { Role } from '@/api/types'

export interface MenuItem {
  route: string
  roles: readonly Role[] | 'all'
  /** i18n key; `{role}` is replaced with the user's role. */
  label: string
  icon: 'cases' | 'account' | 'apply' | 'review' | 'refer' | 'walkIn'
}

export const MENU: readonly MenuItem[] = [
  { route: 'cases', roles: 'all', label: 'workspace.menu.cases.{role}', icon: 'cases' },
  { route: 'case-apply', roles: ['party', 'agent'], label: 'caseMenu.apply', icon: 'apply' },
  { route: 'review-queue', roles: ['institution_admin', 'judge', 'clerk'], label: 'caseMenu.review', icon: 'review' },
  { route: 'referral-new', roles: ['judge', 'clerk'], label: 'caseMenu.refer', icon: 'refer' },
  { route: 'walk-in-new', roles: ['institution_admin'], label: 'caseMenu.walkIn', icon: 'walkIn' },
  { route: 'mediator-workspace', roles: ['mediator'], label: 'mediatorWs.menu', icon: 'review' },
  { route: 'institution-mediators', roles: ['institution_admin'], label: 'mediatorAdmin.menu', icon: 'account' },
  { route: 'assignment-queue', roles: ['institution_admin'], label: 'assignQueue.menu', icon: 'refer' },
  { route: 'court-confirmations', roles: ['judge', 'clerk'], label: 'court.menu', icon: 'review' },
  { route: 'court-filings', roles: ['judge', 'clerk'], label: 'court.filingsMenu', icon: 'refer' },
  { route: 'account', roles: 'all', label: 'workspace.menu.account', icon: 'account' },
]

export function menuFor(role: Role): { route: string; label: string; icon: MenuItem['icon'] }[] {
  return MENU.filter((m) => m.roles === 'all' || m.roles.includes(role)).map((m) => ({
    route: m.route,
    label: m.label.replace('{role}', role),
    icon: m.icon,
  }))
}
