/**
 * Money is integer fen end to end. Formatting uses integer arithmetic on
 * BigInt (division and remainder by 100), never floating point.
 */

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** 123456 → "¥1,234.56"; -5 → "-¥0.05". Accepts a number (must be an integer), bigint or digit string. */
export function formatFen(fen: number | bigint | string, symbol = '¥'): string {
  let value: bigint
  if (typeof fen === 'bigint') value = fen
  else if (typeof fen === 'number') {
    if (!Number.isSafeInteger(fen)) throw new RangeError(`fen must be a safe integer, got ${fen}`)
    value = BigInt(fen)
  } else {
    if (!/^-?\d+$/.test(fen.trim())) throw new RangeError(`fen must be an integer, got ${fen}`)
    value = BigInt(fen.trim())
  }
  const negative = value < 0n
  const abs = negative ? -value : value
  const yuan = abs / 100n
  const cents = abs % 100n
  return `${negative ? '-' : ''}${symbol}${groupThousands(yuan.toString())}.${cents.toString().padStart(2, '0')}`
}
