/**
 * Days left until a deadline, counted on Asia/Shanghai calendar days (L36:
 * a period ends at 24:00 of its last day, local time), whatever the browser's zone.
 */

import { DISPLAY_TIME_ZONE } from './time'

const dayFormatter = new Intl.DateTimeFormat('en-CA', {
  timeZone: DISPLAY_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
})

/** "2026-03-05": the Shanghai calendar day of an instant. */
export function shanghaiDay(at: Date): string {
  const parts: Record<string, string> = {}
  for (const p of dayFormatter.formatToParts(at)) parts[p.type] = p.value
  return `${parts.year}-${parts.month}-${parts.day}`
}

function dayNumber(isoDay: string): number {
  const [y, m, d] = isoDay.slice(0, 10).split('-').map(Number)
  return Math.round(Date.UTC(y, m - 1, d) / 86_400_000)
}

/** Whole days from today (Shanghai) to ``lastDay`` ("YYYY-MM-DD"): 0 = due today, negative = passed. */
export function daysLeft(lastDay: string, now: Date = new Date()): number {
  return dayNumber(lastDay) - dayNumber(shanghaiDay(now))
}

export type DeadlineTone = 'danger' | 'warning' | 'primary' | 'info'

/** How urgent a deadline looks: passed or due within a day is red, within three days amber. */
export function deadlineTone(days: number, status = 'open'): DeadlineTone {
  if (status !== 'open') return 'info'
  if (days <= 1) return 'danger'
  if (days <= 3) return 'warning'
  return 'primary'
}

/** The open deadline that falls first, or null. */
export function nextDeadline<T extends { status: string; due_at: string }>(deadlines: readonly T[]): T | null {
  let best: T | null = null
  for (const d of deadlines) {
    if (d.status !== 'open' && d.status !== 'paused') continue
    if (best === null || d.due_at < best.due_at) best = d
  }
  return best
}
