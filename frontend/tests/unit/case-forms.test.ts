import { describe, expect, it } from 'vitest'

import { amountProblem, amountToFen, cleanAmount, normalizeAmount } from '@/lib/amount'
import { daysLeft, deadlineTone, nextDeadline, shanghaiDay } from '@/lib/deadline'
import { newIdempotencyKey } from '@/lib/idempotency'
import { residentIdCheckChar, usccCheckChar } from '@/lib/identity'
import { duplicateDocuments, emptyParty, partyPayload, partyProblems, withKind } from '@/lib/parties'

const TODAY = new Date(2026, 0, 15)

describe('claim amount as typed', () => {
  it('accepts plain, grouped, full-width and currency-marked amounts', () => {
    for (const raw of ['12345.67', '12,345.67', '¥ 800', '８００．５', '0.5', '100元', 'CNY 3']) {
      expect(amountProblem(raw), raw).toBeNull()
    }
    expect(cleanAmount('¥12,345.67')).toBe('12345.67')
  })

  it('says what is wrong with a bad amount', () => {
    expect(amountProblem('')).toBe('empty')
    expect(amountProblem('  ')).toBe('empty')
    expect(amountProblem('-5')).toBe('negative')
    expect(amountProblem('12.345')).toBe('decimals')
    expect(amountProblem('1e5')).toBe('format')
    expect(amountProblem('12.3.4')).toBe('format')
    expect(amountProblem('abc')).toBe('format')
    expect(amountProblem('1000000000000.01')).toBe('too_large')
    expect(amountProblem('1000000000000.00')).toBeNull()
  })

  it('normalises to a two-decimal string without floating-point error', () => {
    expect(normalizeAmount('12,345.6')).toBe('12345.60')
    expect(normalizeAmount('0.29')).toBe('0.29')
    expect(normalizeAmount('.5')).toBe('0.50')
    expect(normalizeAmount('007')).toBe('7.00')
    expect(amountToFen('90071992547409.93')).toBe(9007199254740993n)
    expect(() => normalizeAmount('-1')).toThrow(RangeError)
  })
})

describe('parties of an application (L2 document checks)', () => {
  const id17 = '31010119800101001'
  const goodId = id17 + residentIdCheckChar(id17)
  const uscc17 = '91310000631253581'
  const goodUscc = uscc17 + usccCheckChar(uscc17)

  function person(overrides = {}) {
    return { ...emptyParty('person'), name: '张三', id_doc_number: goodId, mobile: '13800138000', address: '上海市', ...overrides }
  }

  it('accepts a complete person and a complete organisation', () => {
    expect(partyProblems(person(), TODAY)).toEqual({})
    const org = { ...withKind(person(), 'organisation'), name: '某银行股份有限公司', id_doc_number: goodUscc, legal_representative: '李四' }
    expect(org.id_doc_type).toBe('uscc')
    expect(partyProblems(org, TODAY)).toEqual({})
  })

  it('flags a wrong ID check character, a bad mobile and missing fields by field', () => {
    const bad = person({ id_doc_number: id17 + (goodId[17] === '1' ? '2' : '1'), mobile: '12345', address: ' ', name: '' })
    expect(partyProblems(bad, TODAY)).toEqual({
      name: 'common.required',
      id_doc_number: 'identity.problems.resident_id.checksum',
      mobile: 'identity.mobile.format',
      address: 'common.required',
    })
  })

  it('asks an organisation for its credit code and legal representative', () => {
    const org = { ...withKind(person(), 'organisation'), id_doc_number: goodUscc.slice(0, 17) + (goodUscc[17] === 'A' ? 'B' : 'A') }
    const problems = partyProblems(org, TODAY)
    expect(problems.id_doc_number).toBe('identity.problems.uscc.checksum')
    expect(problems.legal_representative).toBe('common.required')
    // A person cannot be identified by a credit code.
    expect(partyProblems({ ...person(), id_doc_type: 'uscc' }, TODAY).id_doc_type).toBe('partyForm.docTypeForKind')
  })

  it('finds the same document named twice, however it was typed', () => {
    const a = person()
    const b = person({ id_doc_number: goodId.slice(0, 6) + ' ' + goodId.slice(6).toLowerCase() })
    expect([...duplicateDocuments([a, b])]).toEqual([goodId])
    expect(duplicateDocuments([a]).size).toBe(0)
  })

  it('sends normalised numbers and no legal representative for a person', () => {
    const p = partyPayload(person({ mobile: '+86 138-0013-8000', id_doc_number: ` ${goodId.toLowerCase()} `, legal_representative: 'x' }))
    expect(p.mobile).toBe('13800138000')
    expect(p.id_doc_number).toBe(goodId)
    expect(p.legal_representative).toBeNull()
  })
})

describe('deadlines in Shanghai days (L36)', () => {
  it('counts days to the last day on the Shanghai calendar', () => {
    // 17:00 UTC on 5 March is 01:00 on 6 March in Shanghai.
    const now = new Date('2026-03-05T17:00:00Z')
    expect(shanghaiDay(now)).toBe('2026-03-06')
    expect(daysLeft('2026-03-06', now)).toBe(0)
    expect(daysLeft('2026-03-10', now)).toBe(4)
    expect(daysLeft('2026-03-05', now)).toBe(-1)
  })

  it('colours by urgency and picks the first open deadline', () => {
    expect(deadlineTone(0)).toBe('danger')
    expect(deadlineTone(3)).toBe('warning')
    expect(deadlineTone(10)).toBe('primary')
    expect(deadlineTone(0, 'met')).toBe('info')
    const list = [
      { status: 'met', due_at: '2026-01-01T00:00:00Z' },
      { status: 'open', due_at: '2026-03-09T16:00:00Z' },
      { status: 'open', due_at: '2026-03-02T16:00:00Z' },
    ]
    expect(nextDeadline(list)?.due_at).toBe('2026-03-02T16:00:00Z')
    expect(nextDeadline([])).toBeNull()
  })
})

describe('idempotency key', () => {
  it('is a fresh UUID each time a form opens', () => {
    const a = newIdempotencyKey()
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(newIdempotencyKey()).not.toBe(a)
  })
})

describe('server field errors on the case forms', () => {
  it('sorts a 422 onto parties, top-level fields and the rest', async () => {
    const { ValidationError } = await import('@/api/errors')
    const { serverFieldErrors } = await import('@/lib/caseForm')
    const err = new ValidationError(422, 'validation_failed', 'invalid', [
      { field: 'respondents.0.id_doc_number', message: 'checksum', type: 'value_error' },
      { field: 'respondents.0.mobile', message: 'format', type: 'value_error' },
      { field: 'claim_amount', message: 'Value error, a claim amount cannot be negative', type: 'value_error' },
      { field: 'agent.valid_until', message: 'expired', type: 'value_error' },
      { field: 'applicants', message: '', type: '' },
    ])
    const out = serverFieldErrors(err)
    expect(out.parties).toEqual({ 'respondents.0': { id_doc_number: 'checksum', mobile: 'format' } })
    expect(out.fields).toEqual({ claim_amount: 'a claim amount cannot be negative', applicants: '' })
    expect(out.other).toEqual(['agent.valid_until: expired'])
    expect(serverFieldErrors(new Error('x'))).toEqual({ fields: {}, parties: {}, other: [] })
  })

  it('builds the body every channel shares: trimmed text, normalised amount and parties', async () => {
    const { casePayload, emptyCaseForm } = await import('@/lib/caseForm')
    const form = { ...emptyCaseForm(), title: ' 纠纷 ', category: 'banking', claim_amount: '1,000.5', claims: ' a ', facts: ' b ' }
    form.applicants[0] = { ...form.applicants[0], name: ' 张三 ', mobile: '+86 13800138000' }
    const body = casePayload(form, ['ab'.repeat(32)])
    expect(body.title).toBe('纠纷')
    expect(body.claim_amount).toBe('1000.50')
    expect(body.applicants[0].name).toBe('张三')
    expect(body.applicants[0].mobile).toBe('13800138000')
    expect(body.evidence_sha256s).toHaveLength(1)
  })
})

describe('which parties the user acts for', () => {
  it('finds the linked party of the user’s side, and an agent’s principals from active grants', async () => {
    const { partiesIActFor } = await import('@/lib/caseParties')
    const party = (id: number, side: 'applicant' | 'respondent', name: string, linked: boolean) => ({
      id, side, kind: 'person' as const, name, id_doc_type: 'resident_id' as const, id_doc_number: null, mobile: null,
      address: '', legal_representative: null, linked,
    })
    const detail = {
      my_roles: ['respondent'],
      parties: [party(1, 'applicant', '甲', true), party(2, 'respondent', '乙', true), party(3, 'respondent', '丙', false)],
    } as unknown as import('@/api/caseTypes').CaseDetail
    const me = { id: 9, real_name: '乙' } as import('@/api/types').Me
    expect(partiesIActFor(detail, me).map((p) => p.id)).toEqual([2])
    const asAgent = { ...detail, my_roles: ['agent'] }
    const grant = (party_id: number, status: 'active' | 'revoked') =>
      ({ party_id, agent_user_id: 9, status }) as import('@/api/caseTypes').AuthorizationOut
    expect(partiesIActFor(asAgent, me, [grant(1, 'active'), grant(3, 'revoked')]).map((p) => p.id)).toEqual([1])
    expect(partiesIActFor(detail, null)).toEqual([])
  })
})
