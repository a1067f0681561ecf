/**
 * Claim amounts as people type them ("12,345.67", "¥ 800") checked and turned
 * into the decimal string the API takes. Never a float: the digits are kept as
 * text and converted to integer fen with BigInt.
 */

/** Why an amount is not acceptable; each has a message under `amount.problems`. */
export type AmountProblem = 'empty' | 'format' | 'negative' | 'decimals' | 'too_large'

/** The largest claim the form accepts, in yuan (the server checks again). */
export const MAX_CLAIM_YUAN = 1_000_000_000_000n

const FULL_WIDTH = /[\uFF10-\uFF19\uFF0E\uFF0C]/g

/** Drop currency signs, spaces and thousands separators; full-width digits become ASCII. */
export function cleanAmount(raw: string): string {
  return raw
    .replace(FULL_WIDTH, (c) => (c === '\uFF0E' ? '.' : c === '\uFF0C' ? ',' : String.fromCharCode(c.charCodeAt(0) - 0xfee0)))
    .replace(/[\s,¥￥]/g, '')
    .replace(/^(CNY|RMB)/i, '')
    .replace(/元$/, '')
}

/** The first problem with a typed amount, or null when it is a valid claim. */
export function amountProblem(raw: string, max: bigint = MAX_CLAIM_YUAN): AmountProblem | null {
  const value = cleanAmount(raw)
  if (!value) return 'empty'
  if (value.startsWith('-')) return /^-\d/.test(value) ? 'negative' : 'format'
  if (!/^\d+(\.\d*)?$/.test(value) && !/^\.\d+$/.test(value)) return 'format'
  const [, decimals = ''] = value.split('.')
  if (decimals.length > 2) return 'decimals'
  if (amountToFen(value) > max * 100n) return 'too_large'
  return null
}

/** "12,345.6" → "12345.60": the canonical decimal string sent to the API. Throws on a bad amount. */
export function normalizeAmount(raw: string): string {
  const problem = amountProblem(raw)
  if (problem) throw new RangeError(`invalid amount ${JSON.stringify(raw)}: ${problem}`)
  const fen = amountToFen(cleanAmount(raw))
  return `${fen / 100n}.${(fen % 100n).toString().padStart(2, '0')}`
}

/** Integer fen of a clean, non-negative decimal string with at most two decimals. */
export function amountToFen(clean: string): bigint {
  const [whole = '', decimals = ''] = clean.split('.')
  return BigInt(whole || '0') * 100n + BigInt((decimals + '00').slice(0, 2))
}
