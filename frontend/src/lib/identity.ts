/**
 * Identity document and mobile number checks, run as the person types (L2).
 *
 * They mirror the server's rules in odr/accounts/identity.py so a typo is
 * caught before anything is sent; the server checks again.
 * - Resident ID (GB 11643-1999): 17 digits + ISO 7064 MOD 11-2 check (0-9 or X);
 *   digits 7-14 are the birth date.
 * - Unified social credit code (GB 32100-2015): 18 characters from a
 *   31-character alphabet (no I, O, Z, S, V); the last is a MOD 31 check.
 * - Lawyer practising licence number: 17 digits.
 * - Passport: 5-20 letters and digits with at least one digit.
 */

export type DocType = 'resident_id' | 'lawyer_licence' | 'uscc' | 'passport'

export const DOC_TYPES: readonly DocType[] = ['resident_id', 'lawyer_licence', 'uscc', 'passport']

/** Why a document number is not valid; each has a translated message under `identity.problems`. */
export type DocProblem =
  | 'empty'
  | 'length'
  | 'format'
  | 'region'
  | 'birthdate'
  | 'birthdate_range'
  | 'checksum'
  | 'charset'

export type MobileProblem = 'empty' | 'format'

const RESIDENT_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const RESIDENT_ID_CHECK = '10X98765432'
export const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY'
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

/** Upper-case, without spaces or hyphens (how people copy numbers from cards). */
export function normalizeDocument(value: string): string {
  return value.replace(/[\s-]+/g, '').toUpperCase()
}

export function residentIdCheckChar(first17: string): string {
  let total = 0
  for (let i = 0; i < 17; i++) total += Number(first17[i]) * RESIDENT_ID_WEIGHTS[i]
  return RESIDENT_ID_CHECK[total % 11]
}

function isRealDate(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day))
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
}

export function residentIdProblem(number: string, today: Date = new Date()): DocProblem | null {
  if (number.length !== 18) return 'length'
  if (!/^\d{17}[\dX]$/.test(number)) return 'format'
  if (number[0] === '0') return 'region'
  const year = Number(number.slice(6, 10))
  const month = Number(number.slice(10, 12))
  const day = Number(number.slice(12, 14))
  if (!isRealDate(year, month, day)) return 'birthdate'
  const born = Date.UTC(year, month - 1, day)
  const now = Date.UTC(today.getFullYear(), today.getMonth(), today.getDate())
  if (year < 1900 || born > now) return 'birthdate_range'
  if (residentIdCheckChar(number.slice(0, 17)) !== number[17]) return 'checksum'
  return null
}

export function usccCheckChar(first17: string): string {
  let total = 0
  for (let i = 0; i < 17; i++) total += USCC_ALPHABET.indexOf(first17[i]) * USCC_WEIGHTS[i]
  return USCC_ALPHABET[(31 - (total % 31)) % 31]
}

export function usccProblem(number: string): DocProblem | null {
  if (number.length !== 18) return 'length'
  for (const c of number) if (!USCC_ALPHABET.includes(c)) return 'charset'
  if (!/^\d{6}$/.test(number.slice(2, 8))) return 'region'
  if (usccCheckChar(number.slice(0, 17)) !== number[17]) return 'checksum'
  return null
}

export function lawyerLicenceProblem(number: string): DocProblem | null {
  if (!/^\d*$/.test(number)) return 'format'
  if (number.length !== 17) return 'length'
  return null
}

export function passportProblem(number: string): DocProblem | null {
  if (!/^[A-Z0-9]{5,20}$/.test(number)) return number.length < 5 || number.length > 20 ? 'length' : 'format'
  if (!/\d/.test(number)) return 'format'
  return null
}

/** The problem with a raw (not yet normalised) document number, or null when it is valid. */
export function documentProblem(type: DocType, raw: string, today: Date = new Date()): DocProblem | null {
  const number = normalizeDocument(raw)
  if (!number) return 'empty'
  switch (type) {
    case 'resident_id':
      return residentIdProblem(number, today)
    case 'uscc':
      return usccProblem(number)
    case 'lawyer_licence':
      return lawyerLicenceProblem(number)
    case 'passport':
      return passportProblem(number)
  }
}

/** Digits only; a leading +86 / 0086 country code is dropped. */
export function normalizeMobile(raw: string): string {
  let digits = raw.replace(/[\s-]+/g, '')
  for (const prefix of ['+86', '0086']) if (digits.startsWith(prefix)) digits = digits.slice(prefix.length)
  return digits
}

export function mobileProblem(raw: string): MobileProblem | null {
  const mobile = normalizeMobile(raw)
  if (!mobile) return 'empty'
  return /^1[3-9]\d{9}$/.test(mobile) ? null : 'format'
}
