import { describe, expect, it } from 'vitest'

import en from '@/i18n/en'
import zhCN from '@/i18n/zh-CN'

function keys(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

describe('translations', () => {
  it('has the same keys in zh-CN and English', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
  })

  it('has no empty message', () => {
    for (const [name, messages] of [['zh-CN', zhCN], ['en', en]] as const) {
      const flat = keys(messages)
      for (const key of flat) {
        const value = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], messages)
        expect(typeof value === 'string' && value.trim().length > 0, `${name}:${key}`).toBe(true)
      }
    }
  })

  it('names every seeded institution kind and dispute category', () => {
    const kinds = ['peoples_mediation_committee', 'industry_mediation_centre', 'commercial']
    const categories = [
      'financial_consumer', 'banking', 'insurance', 'securities', 'capital_market',
      'commercial_trade', 'financial_leasing', 'private_enterprise', 'general_civil',
    ]
    for (const k of kinds) expect(Object.keys(en.institution.kind)).toContain(k)
    for (const c of categories) expect(Object.keys(en.category)).toContain(c)
  })
})
