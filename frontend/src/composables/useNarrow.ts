/** True on a phone-width screen (matchMedia), kept up to date as the window resizes. */
import { onBeforeUnmount, ref } from 'vue'

export function useNarrow(query = '(max-width: 640px)') {
  const mql = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(query) : null
  const narrow = ref(mql?.matches ?? false)
  const update = (e: MediaQueryListEvent) => (narrow.value = e.matches)
  mql?.addEventListener('change', update)
  onBeforeUnmount(() => mql?.removeEventListener('change', update))
  return narrow
}
