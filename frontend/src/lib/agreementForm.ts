/**
 * The agreement editor's model and the pure helpers around it: the terms'
 * amounts typed in yuan and sent as integer fen (string and BigInt math,
 * never a float), the server's L15 problems placed beside their fields,
 * a field-level diff between two versions (terms by key), and short hashes.
 */

import type { AgreementContent, FieldChange, PartyBlock, Problem, Term } from '@/api/agreements'
import type { CaseDetail } from '@/api/caseTypes'

import { amountProblem, amountToFen, cleanAmount, type AmountProblem } from './amount'

/** The largest amount of one term the server accepts (100 billion yuan), in fen. */
export const MAX_TERM_FEN = 10_000_000_000_000n

/** A term as the editor holds it: the amount is the text typed, in yuan. */
export interface TermDraft extends Omit<Term, 'amount_fen'> {
  amount_yuan: string
}

export interface ContentDraft extends Omit<AgreementContent, 'terms'> {
  terms: TermDraft[]
}

/** 123456 → "1234.56"; null → "". Exact: integer division of a BigInt. */
export function fenToYuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return ''
  const value = BigInt(fen)
  const negative = value < 0n
  const abs = negative ? -value : value
  return `${negative ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`
}

/** Why a typed term amount is not acceptable ("" is fine: a term without money). */
export function termAmountProblem(raw: string): AmountProblem | null {
  if (!cleanAmount(raw)) return null
  return amountProblem(raw, MAX_TERM_FEN / 100n)
}

/** "12,345.6" → 1234560 fen; "" → null. Throws a RangeError on a bad amount. */
export function yuanToFen(raw: string): number | null {
  const clean = cleanAmount(raw)
  if (!clean) return null
  const problem = termAmountProblem(raw)
  if (problem) throw new RangeError(`invalid amount ${JSON.stringify(raw)}: ${problem}`)
  return Number(amountToFen(clean))
}

/** A deep copy of JSON data; works on Vue's reactive proxies, which structuredClone refuses. */
function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

export function toDraft(content: AgreementContent): ContentDraft {
  const copy = clone(content)
  return {
    ...copy,
    terms: copy.terms.map(({ amount_fen, ...rest }) => ({ ...rest, amount_yuan: fenToYuan(amount_fen) })),
  }
}

/** The content to send; throws a RangeError when an amount is not valid. */
export function fromDraft(draft: ContentDraft): AgreementContent {
  const copy = clone(draft)
  return {
    ...copy,
    terms: copy.terms.map(({ amount_yuan, ...rest }) => ({ ...rest, due_on: rest.due_on || null, amount_fen: yuanToFen(amount_yuan) })),
  }
}

/** A key no other term uses (lowercase letters and digits, as the server requires). */
export function nextTermKey(terms: readonly { key: string }[]): string {
  const used = new Set(terms.map((t) => t.key))
  let n = terms.length + 1
  while (used.has(`t${n}`)) n++
  return `t${n}`
}

export function newTerm(terms: readonly { key: string }[]): TermDraft {
  return { key: nextTermKey(terms), obligor_party_ids: [], obligee_party_ids: [], text: '', amount_yuan: '', manner: '', due_on: null }
}

/** Move item ``index`` by ``delta`` (−1 up, +1 down) in place; out-of-range moves do nothing. */
export function move<T>(list: T[], index: number, delta: number): void {
  const to = index + delta
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return
  const [item] = list.splice(index, 1)
  list.splice(to, 0, item)
}

/**
 * The server's problems grouped by where they show: "facts", "parties",
 * "terms" (the table), or "terms.<key>" (one row, any of its fields).
 */
export function problemsByPlace(problems: readonly Problem[]): Map<string, Problem[]> {
  const out = new Map<string, Problem[]>()
  for (const p of problems) {
    const parts = p.field.split('.')
    const place = parts[0] === 'terms' && parts.length > 1 ? `terms.${parts[1]}` : parts[0]
    out.set(place, [...(out.get(place) ?? []), p])
  }
  return out
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function keyed(prefix: string, before: Map<string, Record<string, unknown>>, after: Map<string, Record<string, unknown>>): FieldChange[] {
  const out: FieldChange[] = []
  for (const key of [...before.keys(), ...[...after.keys()].filter((k) => !before.has(k))]) {
    const o = before.get(key)
    const n = after.get(key)
    if (!o) out.push({ field: `${prefix}.${key}`, change: 'added', old: null, new: n })
    else if (!n) out.push({ field: `${prefix}.${key}`, change: 'removed', old: o, new: null })
    else {
      for (const name of [...Object.keys(o), ...Object.keys(n).filter((k) => !(k in o))]) {
        if (!same(o[name], n[name])) out.push({ field: `${prefix}.${key}.${name}`, change: 'changed', old: o[name] ?? null, new: n[name] ?? null })
      }
    }
  }
  return out
}

/**
 * Field-level changes from ``before`` to ``after``, as the server's diff names them:
 * "facts", "parties.<id>.<field>", "terms.<key>" (added / removed),
 * "terms.<key>.<field>", and "terms.order" when kept terms moved.
 */
export function diffContent(before: AgreementContent, after: AgreementContent): FieldChange[] {
  const b = before as unknown as Record<string, unknown>
  const n = after as unknown as Record<string, unknown>
  const out: FieldChange[] = []
  for (const name of Object.keys(n)) {
    if (name === 'parties') {
      const rows = (c: AgreementContent) => new Map(c.parties.map((p) => [String(p.party_id), p as unknown as Record<string, unknown>]))
      out.push(...keyed('parties', rows(before), rows(after)))
    } else if (name === 'terms') {
      const rows = (c: AgreementContent) => new Map(c.terms.map((t) => [t.key, t as unknown as Record<string, unknown>]))
      const o = rows(before)
      const v = rows(after)
      out.push(...keyed('terms', o, v))
      const keptOld = [...o.keys()].filter((k) => v.has(k))
      const keptNew = [...v.keys()].filter((k) => o.has(k))
      if (!same(keptOld, keptNew)) out.push({ field: 'terms.order', change: 'changed', old: [...o.keys()], new: [...v.keys()] })
    } else if (!same(b[name], n[name])) {
      out.push({ field: name, change: 'changed', old: b[name] ?? null, new: n[name] })
    }
  }
  return out
}

/** The first 12 hex digits people compare by eye ("a1b2c3d4e5f6"). */
export function shortHash(sha256: string | null | undefined): string {
  return (sha256 ?? '').slice(0, 12)
}

/** The agreement's party blocks from the case's parties (for an oral agreement the mediator records). */
export function partiesFromCase(detail: CaseDetail): PartyBlock[] {
  return detail.parties.map((p) => ({
    party_id: p.id,
    side: p.side as PartyBlock['side'],
    kind: (p.kind === 'person' ? 'person' : 'organisation') as PartyBlock['kind'],
    name: p.name,
    id_doc_type: p.id_doc_type ?? '',
    id_masked: p.id_doc_number ?? '',
    address: p.address ?? '',
    mobile_masked: p.mobile ?? '',
    legal_representative: p.legal_representative ?? '',
    agent_name: '',
  }))
}

/** An empty content for a case (the server pre-fills a written draft; an oral one starts here). */
export function blankContent(detail: CaseDetail, language: 'zh-CN' | 'en' = 'zh-CN'): AgreementContent {
  return {
    schema_version: 1,
    language,
    title: language === 'en' ? 'Mediation Agreement' : '调解协议书',
    case_number: detail.number,
    institution_name: detail.institution?.name_zh ?? '',
    mediator_name: detail.mediator?.name ?? '',
    parties: partiesFromCase(detail),
    facts: '',
    disputed_matters: '',
    responsibilities: '',
    terms: [],
    other_terms: '',
    copies_note: '',
  }
}
