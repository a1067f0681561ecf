import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'

import { useSession } from '@/stores/session'

declare module 'vue-router' {
  interface RouteMeta {
    /** Only for signed-in users; others go to the login page. */
    auth?: boolean
    /** Only for visitors; signed-in users go to the workspace. */
    guest?: boolean
    /** i18n key of the page title. */
    title?: string
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
    ],
  },
  {
    path: '/workspace',
    component: () => import('@/layouts/WorkspaceLayout.vue'),
    meta: { auth: true },
    children: [
      { path: '', redirect: { name: 'cases' } },
      { path: 'cases', name: 'cases', component: () => import('@/views/workspace/CasesView.vue'), meta: { auth: true, title: 'cases.title' } },
      { path: 'account', name: 'account', component: () => import('@/views/workspace/AccountView.vue'), meta: { auth: true, title: 'account.title' } },
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
  return true
})
