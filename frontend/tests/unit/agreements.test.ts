import { describe, expect, it } from 'vitest'
import { reactive } from 'vue'

import type { AgreementContent } from '@/api/agreements'
import {
  diffContent,
  fenToYuan,
  fromDraft,
  move,
  nextTermKey,
  problemsByPlace,
  shortHash,
  termAmountProblem,
  toDraft,
  yuanToFen,
} from '@/lib/agreementForm'
import { codeView, notFoundView, pdfView } from '@/lib/verification'

function content(overrides: Partial<AgreementContent> = {}): AgreementContent {
  return {
    schema_version: 1,
    language: 'zh-CN',
    title: '调解协议书',
    case_number: '（2026）沪融调字第1号',
    institution_name: '上海市融资租赁行业协会人民调解委员会',
    mediator_name: '李调解',
    parties: [
      { party_id: 1, side: 'applicant', kind: 'person', name: '陈立', id_doc_type: 'resident_id', id_masked: '**************1234', address: '', mobile_masked: '', legal_representative: '', agent_name: '' },
      { party_id: 2, side: 'respondent', kind: 'person', name: '王租户', id_doc_type: 'resident_id', id_masked: '**************5678', address: '', mobile_masked: '', legal_representative: '', agent_name: '' },
    ],
    facts: '被申请人逾期未付租金。',
    disputed_matters: '租金数额',
    responsibilities: '',
    terms: [{ key: 't1', obligor_party_ids: [2], obligee_party_ids: [1], text: '支付租金', amount_fen: 1234567, manner: '银行转账', due_on: '2026-12-31' }],
    other_terms: '',
    copies_note: '',
    ...overrides,
  }
}

describe('term amounts: yuan typed, integer fen sent, never a float', () => {
  it('converts exactly where float math would not', () => {
    expect(yuanToFen('1.005'.slice(0, 4))).toBe(100) // "1.00"
    expect(yuanToFen('0.29')).toBe(29)
    expect(yuanToFen('1.1')).toBe(110)
    expect(yuanToFen('12,345.67')).toBe(1234567)
    expect(yuanToFen('¥ 800')).toBe(80000)
    expect(yuanToFen('１２.５')).toBe(1250)
    expect(yuanToFen('')).toBeNull()
  })

  it('names the problem with a bad amount and refuses to convert it', () => {
    expect(termAmountProblem('12.345')).toBe('decimals')
    expect(termAmountProblem('-5')).toBe('negative')
    expect(termAmountProblem('abc')).toBe('format')
    expect(termAmountProblem('100000000001')).toBe('too_large')
    expect(termAmountProblem('')).toBeNull()
    expect(() => yuanToFen('12.345')).toThrow(RangeError)
  })

  it('shows fen as yuan with two decimals and round-trips the content', () => {
    expect(fenToYuan(1234567)).toBe('12345.67')
    expect(fenToYuan(5)).toBe('0.05')
    expect(fenToYuan(null)).toBe('')
    const c = content()
    const draft = toDraft(c)
    expect(draft.terms[0].amount_yuan).toBe('12345.67')
    expect(fromDraft(draft)).toEqual(c)
  })

  it('copies the reactive content the page holds (structuredClone would refuse a proxy)', () => {
    const held = reactive(content())
    const draft = toDraft(held)
    draft.terms[0].text = 'changed'
    expect(held.terms[0].text).toBe('支付租金')
    expect(fromDraft(draft).terms[0].amount_fen).toBe(1234567)
  })

  it('sends an empty due date as null', () => {
    const draft = toDraft(content())
    draft.terms[0].due_on = ''
    expect(fromDraft(draft).terms[0].due_on).toBeNull()
  })
})

describe('the terms table', () => {
  it('gives a new term a key no other term uses', () => {
    expect(nextTermKey([])).toBe('t1')
    expect(nextTermKey([{ key: 't1' }, { key: 't3' }])).toBe('t4')
    expect(nextTermKey([{ key: 't2' }])).toBe('t3')
  })

  it('reorders in place and ignores moves past either end', () => {
    const list = ['a', 'b', 'c']
    move(list, 2, -1)
    expect(list).toEqual(['a', 'c', 'b'])
    move(list, 0, -1)
    move(list, 2, 1)
    expect(list).toEqual(['a', 'c', 'b'])
  })

  it('places the server problems beside their field or term row (L15)', () => {
    const places = problemsByPlace([
      { field: 'facts', code: 'required', message: 'facts' },
      { field: 'terms', code: 'required', message: 'a term' },
      { field: 'terms.t1.due_on', code: 'past', message: 'due' },
      { field: 'terms.t1.amount_fen', code: 'amount_out_of_range', message: 'amount' },
      { field: 'parties.0.name', code: 'required', message: 'name' },
    ])
    expect(places.get('facts')?.length).toBe(1)
    expect(places.get('terms')?.length).toBe(1)
    expect(places.get('terms.t1')?.map((p) => p.message)).toEqual(['due', 'amount'])
    expect(places.get('parties')?.length).toBe(1)
  })
})

describe('the diff between two versions', () => {
  it('lists changed fields, term fields by key and added terms, as the server names them', () => {
    const before = content()
    const after = content({
      facts: '被申请人自2025年起逾期未付租金。',
      terms: [
        { ...before.terms[0], amount_fen: 1000000 },
        { key: 't2', obligor_party_ids: [1], obligee_party_ids: [], text: '撤回起诉', amount_fen: null, manner: '', due_on: null },
      ],
    })
    const changes = diffContent(before, after)
    expect(changes.map((c) => c.field)).toEqual(['facts', 'terms.t1.amount_fen', 'terms.t2'])
    expect(changes[0]).toEqual({ field: 'facts', change: 'changed', old: before.facts, new: after.facts })
    expect(changes[1]).toMatchObject({ old: 1234567, new: 1000000 })
    expect(changes[2]).toMatchObject({ change: 'added', old: null })
    expect(diffContent(after, before).find((c) => c.field === 'terms.t2')).toMatchObject({ change: 'removed', new: null })
    expect(diffContent(before, content())).toEqual([])
  })

  it('notices terms that only moved', () => {
    const two = content({ terms: [content().terms[0], { ...content().terms[0], key: 't2', text: '第二条' }] })
    const swapped = content({ terms: [two.terms[1], two.terms[0]] })
    expect(diffContent(two, swapped)).toEqual([{ field: 'terms.order', change: 'changed', old: ['t1', 't2'], new: ['t2', 't1'] }])
  })

  it('shows the short hash people compare', () => {
    expect(shortHash('a'.repeat(64))).toBe('aaaaaaaaaaaa')
    expect(shortHash(null)).toBe('')
  })
})

describe('the verification answer', () => {
  it('reads an intact PDF with its signer, trusted timestamp and agreement version', () => {
    const v = pdfView({
      intact: true, problems: [], sha256: 'ab'.repeat(32), signed: true, signature_intact: true, covers_whole_file: true,
      chain_trusted: true, timestamp_valid: true, signer: '上海市融资租赁行业协会人民调解委员会', signer_unit: 'institution:X',
      signed_at: '2026-11-25T07:59:59Z', timestamp: '2026-11-25T08:00:00Z', claimed: {},
      document: { kind: 'agreement', code: 'ABCD', case_id: 1, agreement_id: 7, version: 2, effective_version: 2, matches_stored_copy: true, stored_sha256: null, title: '' },
    })
    expect(v).toMatchObject({ state: 'intact', signer: '上海市融资租赁行业协会人民调解委员会', trusted: true, agreementId: 7, version: 2, code: 'ABCD', timestamp: '2026-11-25T08:00:00Z' })
  })

  it('tells a changed file apart, with its problems', () => {
    const v = pdfView({
      intact: false, problems: ['the signed bytes were changed'], sha256: 'cd'.repeat(32), signed: true, signature_intact: false,
      covers_whole_file: false, chain_trusted: true, timestamp_valid: false, signer: 'X', signer_unit: '', signed_at: null, timestamp: null, claimed: {}, document: null,
    })
    expect(v.state).toBe('broken')
    expect(v.problems).toEqual(['the signed bytes were changed'])
  })

  it('reads a code: stored once the signed PDF exists, pending before, not effective for a draft', () => {
    const base = { kind: 'agreement' as const, code: 'C1', case_number_masked: '(2026)***12号', version: 1, effective_at: '2026-11-25T08:00:00Z', parties: [{ side: 'applicant', name_masked: '陈*' }], issued_at: null }
    expect(codeView({ ...base, status: 'effective', pdf_sha256: 'ef'.repeat(32) })).toMatchObject({ state: 'stored', parties: ['陈*'], caseNumber: '(2026)***12号' })
    expect(codeView({ ...base, status: 'effective', pdf_sha256: null }).state).toBe('pending')
    expect(codeView({ ...base, status: 'signing', pdf_sha256: null }).state).toBe('not_effective')
    expect(notFoundView().state).toBe('not_found')
  })
})
