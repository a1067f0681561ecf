/** Times are stored in UTC and shown in Asia/Shanghai, whatever the browser's zone. */

export const DISPLAY_TIME_ZONE = 'Asia/Shanghai'

/** Parse an API timestamp; one without an offset is UTC (the server stores UTC). */
export function parseApiTime(value: string): Date {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value)
  return new Date(hasZone ? value : `${value}Z`)
}

const formatter = new Intl.DateTimeFormat('en-GB', {
  timeZone: DISPLAY_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

/** "2026-03-05 14:30" in Asia/Shanghai. */
export function formatShanghai(value: string | Date): string {
  const date = typeof value === 'string' ? parseApiTime(value) : value
  if (Number.isNaN(date.getTime())) return ''
  const parts: Record<string, string> = {}
  for (const p of formatter.formatToParts(date)) parts[p.type] = p.value
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`
}
