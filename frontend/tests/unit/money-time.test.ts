import { describe, expect, it } from 'vitest'

import { formatFen } from '@/lib/money'
import { formatShanghai, parseApiTime } from '@/lib/time'

describe('formatFen: integer fen to CNY with two decimals', () => {
  it('formats yuan and fen exactly', () => {
    expect(formatFen(0)).toBe('¥0.00')
    expect(formatFen(5)).toBe('¥0.05')
    expect(formatFen(100)).toBe('¥1.00')
    expect(formatFen(123456)).toBe('¥1,234.56')
    expect(formatFen(-5)).toBe('-¥0.05')
    expect(formatFen(-123456789)).toBe('-¥1,234,567.89')
  })

  it('has no floating-point error where float math would show one', () => {
    // 0.1 + 0.2 style errors: 1.005 yuan is 100.49999... fen in floats.
    expect(formatFen(110)).toBe('¥1.10')
    expect(formatFen(1005)).toBe('¥10.05')
    expect(formatFen(29)).toBe('¥0.29')
  })

  it('handles amounts beyond 2^53 given as bigint or string', () => {
    expect(formatFen(9007199254740993n)).toBe('¥90,071,992,547,409.93')
    expect(formatFen('100000000000000001')).toBe('¥1,000,000,000,000,000.01')
  })

  it('refuses a non-integer amount instead of rounding it', () => {
    expect(() => formatFen(1.5)).toThrow(RangeError)
    expect(() => formatFen('12.3')).toThrow(RangeError)
  })
})

describe('times are shown in Asia/Shanghai', () => {
  it('shifts UTC by eight hours, across midnight', () => {
    expect(formatShanghai('2026-03-05T16:30:00Z')).toBe('2026-03-06 00:30')
    expect(formatShanghai('2026-03-05T16:30:00+00:00')).toBe('2026-03-06 00:30')
  })

  it('reads a timestamp without an offset as UTC', () => {
    expect(parseApiTime('2026-01-01T00:00:00').toISOString()).toBe('2026-01-01T00:00:00.000Z')
    expect(formatShanghai('2026-01-01T00:00:00')).toBe('2026-01-01 08:00')
  })
})
