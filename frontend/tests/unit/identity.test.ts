import { describe, expect, it } from 'vitest'

import {
  documentProblem,
  mobileProblem,
  normalizeDocument,
  normalizeMobile,
  residentIdCheckChar,
  usccCheckChar,
} from '@/lib/identity'
import { documentProblemKey } from '@/lib/rules'

const TODAY = new Date(2026, 0, 15)

describe('resident ID (GB 11643) — L2', () => {
  it('accepts the standard example with an X check character', () => {
    expect(residentIdCheckChar('11010519491231002')).toBe('X')
    expect(documentProblem('resident_id', '11010519491231002X', TODAY)).toBeNull()
  })

  it('accepts numbers whose check digit is computed from the weights', () => {
    // Checksums computed by the server's implementation (odr/accounts/identity.py).
    expect(documentProblem('resident_id', '440304200002291236', TODAY)).toBeNull() // born 29 Feb 2000
    expect(documentProblem('resident_id', '310115199003078887', TODAY)).toBeNull()
  })

  it('accepts a lower-case x and spaces as people type them', () => {
    expect(documentProblem('resident_id', '110105 19491231 002x', TODAY)).toBeNull()
    expect(normalizeDocument('110105-19491231-002x')).toBe('11010519491231002X')
  })

  it('refuses a wrong check character', () => {
    expect(documentProblem('resident_id', '110105194912310021', TODAY)).toBe('checksum')
    expect(documentProblem('resident_id', '440304200002291235', TODAY)).toBe('checksum')
  })

  it('refuses a birth date that does not exist or lies in the future', () => {
    // 29 Feb 1999 does not exist; the check character is right for the digits.
    const first17 = '44030419990229123'
    expect(documentProblem('resident_id', first17 + residentIdCheckChar(first17), TODAY)).toBe('birthdate')
    expect(documentProblem('resident_id', '110101209912310015', TODAY)).toBe('birthdate_range')
    const old = '11010118991231001'
    expect(documentProblem('resident_id', old + residentIdCheckChar(old), TODAY)).toBe('birthdate_range')
  })

  it('refuses wrong length, letters and a leading zero', () => {
    expect(documentProblem('resident_id', '1101051949123100', TODAY)).toBe('length')
    expect(documentProblem('resident_id', '11010519491231002XX', TODAY)).toBe('length')
    expect(documentProblem('resident_id', '1101051949A231002X', TODAY)).toBe('format')
    const zero = '01010519491231002'
    expect(documentProblem('resident_id', zero + residentIdCheckChar(zero), TODAY)).toBe('region')
    expect(documentProblem('resident_id', '   ', TODAY)).toBe('empty')
  })
})

describe('unified social credit code (GB 32100) — L2', () => {
  it('accepts the standard example and computed codes', () => {
    expect(documentProblem('uscc', '91350100M000100Y43')).toBeNull()
    expect(usccCheckChar('91110000600037341')).toBe('L')
    expect(documentProblem('uscc', '91110000600037341L')).toBeNull()
    expect(documentProblem('uscc', '9131000063125358XC')).toBeNull()
  })

  it('refuses a wrong check character', () => {
    expect(documentProblem('uscc', '91350100M000100Y44')).toBe('checksum')
    expect(documentProblem('uscc', '91110000600037341K')).toBe('checksum')
  })

  it('refuses the letters the standard leaves out, and a non-numeric region code', () => {
    expect(documentProblem('uscc', '91350100M000100I43')).toBe('charset')
    expect(documentProblem('uscc', '913501OOM000100Y43')).toBe('charset')
    expect(documentProblem('uscc', '91A50100M000100Y43')).toBe('region')
    expect(documentProblem('uscc', '91350100M000100Y4')).toBe('length')
  })
})

describe('lawyer licence and passport', () => {
  it('needs exactly 17 digits for a lawyer licence', () => {
    expect(documentProblem('lawyer_licence', '13101201010123456')).toBeNull()
    expect(documentProblem('lawyer_licence', '1310120101012345')).toBe('length')
    expect(documentProblem('lawyer_licence', '1310120101012345A')).toBe('format')
  })

  it('needs 5-20 letters and digits with a digit for a passport', () => {
    expect(documentProblem('passport', 'E12345678')).toBeNull()
    expect(documentProblem('passport', 'ABCDEFG')).toBe('format')
    expect(documentProblem('passport', 'E12')).toBe('length')
  })
})

describe('messages for document problems', () => {
  it('names a translation key per document type and problem', () => {
    expect(documentProblemKey('resident_id', '110105194912310021', TODAY)).toBe('identity.problems.resident_id.checksum')
    expect(documentProblemKey('uscc', '')).toBe('identity.problems.empty')
    expect(documentProblemKey('uscc', '91350100M000100Y43')).toBeNull()
  })
})

describe('mobile numbers', () => {
  it('accepts mainland numbers 13-19 and drops a +86 prefix', () => {
    expect(mobileProblem('13800138000')).toBeNull()
    expect(mobileProblem('+86 199 0000 1111')).toBeNull()
    expect(normalizeMobile('+86 199-0000-1111')).toBe('19900001111')
  })

  it('refuses other numbers', () => {
    expect(mobileProblem('12800138000')).toBe('format')
    expect(mobileProblem('1380013800')).toBe('format')
    expect(mobileProblem('')).toBe('empty')
  })
})
