/** An organisation's name in the page's language. */
export function orgName(org: { name_zh: string; name_en: string } | null | undefined, locale: string): string | null {
  if (!org) return null
  return locale === 'en' ? org.name_en || org.name_zh : org.name_zh
}
