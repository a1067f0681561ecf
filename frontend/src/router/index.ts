import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'

import type { Role } from '@/api/types'
import { useSession } from '@/stores/session'

declare module 'vue-router' {
  interface RouteMeta {
    /** Only for signed-in users; others go to the login page. */
    auth?: boolean
    /** Only for visitors; signed-in users go to the workspace. */
    guest?: boolean
    /** i18n key of the page title. */
    title?: string
    /** Only for these roles; others go back to their case list. */
    roles?: readonly Role[]
  }
}

const routes: RouteRecordRaw[] = [
  {
    path: '/',
    component: () => import('@/layouts/PublicLayout.vue'),
    children: [
      { path: '', name: 'home', component: () => import('@/views/HomeView.vue'), meta: { title: 'nav.home' } },
      { path: 'login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { guest: true, title: 'login.title' } },
      { path: 'register', name: 'register', component: () => import('@/views/RegisterView.vue'), meta: { guest: true, title: 'register.title' } },
      { path: 'verify-mobile', name: 'verify-mobile', component: () => import('@/views/VerifyMobileView.vue'), meta: { auth: true, title: 'verify.title' } },
      { path: 'reset-password', name: 'reset-password', component: () => import('@/views/ResetPasswordView.vue'), meta: { title: 'reset.title' } },
      { path: 'progress', name: 'progress', component: () => import('@/views/cases/ProgressQueryView.vue'), meta: { title: 'progress.title' } },
      { path: 'respond/:token', name: 'respond', component: () => import('@/views/cases/RespondView.vue'), props: true, meta: { title: 'respond.title' } },
      { path: 'roster', name: 'roster', component: () => import('@/views/mediators/RosterView.vue'), meta: { title: 'roster.title' } },
      { path: 'verify', name: 'verify', component: () => import('@/views/VerifyView.vue'), meta: { title: 'verification.title' } },
      { path: 'verify/:code', name: 'verify-code', component: () => import('@/views/VerifyView.vue'), props: true, meta: { title: 'verification.title' } },
    ],
  },
  {
    path: '/workspace',
    component: () => import('@/layouts/WorkspaceLayout.vue'),
    meta: { auth: true },
    children: [
      { path: '', redirect: { name: 'cases' } },
      { path: 'cases', name: 'cases', component: () => import('@/views/cases/CaseListView.vue'), meta: { auth: true, title: 'cases.title' } },
      { path: 'cases/new', name: 'case-apply', component: () => import('@/views/cases/ApplyView.vue'), meta: { auth: true, title: 'apply.title', roles: ['party', 'agent'] } },
      { path: 'cases/:id(\\d+)', name: 'case-detail', component: () => import('@/views/cases/CaseDetailView.vue'), props: true, meta: { auth: true, title: 'caseDetail.title' } },
      { path: 'cases/:id(\\d+)/edit', name: 'case-edit', component: () => import('@/views/cases/ApplyView.vue'), props: true, meta: { auth: true, title: 'apply.amendTitle', roles: ['party', 'agent'] } },
      { path: 'review', name: 'review-queue', component: () => import('@/views/cases/ReviewQueueView.vue'), meta: { auth: true, title: 'review.title', roles: ['institution_admin', 'judge', 'clerk'] } },
      { path: 'referrals/new', name: 'referral-new', component: () => import('@/views/cases/StaffIntakeView.vue'), props: { mode: 'referral' }, meta: { auth: true, title: 'referral.title', roles: ['judge', 'clerk'] } },
      { path: 'walk-ins/new', name: 'walk-in-new', component: () => import('@/views/cases/StaffIntakeView.vue'), props: { mode: 'walk-in' }, meta: { auth: true, title: 'walkIn.title', roles: ['institution_admin'] } },
      { path: 'meetings/:id(\\d+)/room', name: 'meeting-room', component: () => import('@/views/meetings/RoomView.vue'), props: true, meta: { auth: true, title: 'room.title' } },
      { path: 'account', name: 'account', component: () => import('@/views/workspace/AccountView.vue'), meta: { auth: true, title: 'account.title' } },
      { path: 'mediator', name: 'mediator-workspace', component: () => import('@/views/mediators/MediatorWorkspaceView.vue'), meta: { auth: true, title: 'mediatorWs.title', roles: ['mediator'] } },
      { path: 'institution/mediators', name: 'institution-mediators', component: () => import('@/views/institution/InstitutionMediatorsView.vue'), meta: { auth: true, title: 'mediatorAdmin.title', roles: ['institution_admin'] } },
      { path: 'court/filings', name: 'court-filings', component: () => import('@/views/court/CourtFilingsView.vue'), meta: { auth: true, title: 'filing.title', roles: ['judge', 'clerk'] } },
      { path: 'court/confirmations', name: 'court-confirmations', component: () => import('@/views/court/CourtConfirmationsView.vue'), meta: { auth: true, title: 'court.title', roles: ['judge', 'clerk'] } },
      { path: 'institution/assignment-queue', name: 'assignment-queue', component: () => import('@/views/institution/AssignmentQueueView.vue'), meta: { auth: true, title: 'assignQueue.title', roles: ['institution_admin'] } },
    ],
  },
  {
    path: '/:pathMatch(.*)*',
    component: () => import('@/layouts/PublicLayout.vue'),
    children: [{ path: '', name: 'not-found', component: () => import('@/views/NotFoundView.vue'), meta: { title: 'notFound.title' } }],
  },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

/** Only same-site paths are followed after sign-in (no open redirect). */
export function safeNext(value: unknown): string | null {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : null
}

router.beforeEach(async (to) => {
  const session = useSession()
  await session.restore()
  if (to.meta.auth && !session.signedIn) return { name: 'login', query: { next: to.fullPath } }
  if (to.meta.guest && session.signedIn) return { name: 'cases' }
  if (to.meta.roles && session.user && !to.meta.roles.includes(session.user.role)) return { name: 'cases' }
  return true
})
