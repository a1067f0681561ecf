import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

import en from '@/i18n/en'
import zhCN from '@/i18n/zh-CN'

const SRC = fileURLToPath(new URL('../../src', import.meta.url))

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return files(path)
    return /\.(vue|ts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : []
  })
}

function has(messages: object, key: string): boolean {
  const value = key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), messages)
  return typeof value === 'string'
}

/** Every literal key in t('a.b') / te('a.b') calls and in i18n-key-looking strings of the menu. */
function literalKeys(): Map<string, string> {
  const found = new Map<string, string>()
  for (const file of files(SRC)) {
    if (file.includes(`${join('src', 'i18n')}`)) continue
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/\bt\(\s*'([A-Za-z][\w-]*(?:\.[\w-]+)+)'/g)) found.set(m[1], file)
  }
  return found
}

describe('every translation key the pages use exists', () => {
  it('in zh-CN and English', () => {
    const missing: string[] = []
    for (const [key, file] of literalKeys()) {
      if (!has(zhCN, key)) missing.push(`zh-CN ${key} (${file})`)
      if (!has(en, key)) missing.push(`en ${key} (${file})`)
    }
    expect(missing).toEqual([])
  })

  it('names every case status, deadline kind, end ground and document kind the server sends', () => {
    const statuses = [
      'submitted', 'under_review', 'rejected', 'accepted', 'institution_assigned', 'mediator_assigned', 'in_mediation',
      'agreement_effective', 'failed', 'withdrawn', 'confirmation_applied', 'confirmed', 'confirmation_rejected',
      'submitted_to_court', 'mediation_statement_issued', 'withdrawal_ruled',
    ]
    for (const s of statuses) expect(has(zhCN, `cases.statusName.${s}`), s).toBe(true)
    for (const k of ['respondent_reply', 'choose_mediator', 'designate_mediator', 'mediator_acceptance', 'mediation_period']) {
      expect(has(en, `deadlines.kind.${k}`), k).toBe(true)
    }
    for (const g of ['respondent_refused', 'respondent_no_reply', 'period_ended', 'party_unreachable', 'other']) {
      expect(has(zhCN, `endGround.${g}`), g).toBe(true)
    }
  })
})
