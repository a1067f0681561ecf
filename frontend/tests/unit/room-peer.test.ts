import { describe, expect, it } from 'vitest'

import { CandidateQueue, tracksBySeat } from '@/room/peer'

describe('CandidateQueue', () => {
  it('holds candidates until the remote description is set, then adds them in order', async () => {
    const added: string[] = []
    const queue = new CandidateQueue(async (c) => {
      added.push(c.candidate ?? '')
    })
    await queue.push({ candidate: 'a' })
    await queue.push({ candidate: 'b' })
    expect(added).toEqual([])
    expect(queue.size).toBe(2)
    await queue.open()
    expect(added).toEqual(['a', 'b'])
    await queue.push({ candidate: 'c' })
    expect(added).toEqual(['a', 'b', 'c'])
  })

  it('starts holding again after a reset (a new offer on the same connection)', async () => {
    const added: string[] = []
    const queue = new CandidateQueue(async (c) => {
      added.push(c.candidate ?? '')
    })
    await queue.open()
    queue.reset()
    await queue.push({ candidate: 'late' })
    expect(added).toEqual([])
  })
})

describe('tracksBySeat', () => {
  const track = (id: string) => ({ id }) as unknown as MediaStreamTrack
  it('maps each receiving slot to the seat the layout names, skipping unused slots', () => {
    const transceivers = [
      { mid: '0', receiver: { track: track('a0') } },
      { mid: '1', receiver: { track: track('v0') } },
      { mid: '2', receiver: { track: track('a1') } },
      { mid: null, receiver: { track: track('x') } },
    ]
    const bySeat = tracksBySeat(transceivers, { '0': 7, '1': 7, '2': null })
    expect([...bySeat.keys()]).toEqual([7])
    expect(bySeat.get(7)?.map((t) => t.id)).toEqual(['a0', 'v0'])
  })

  it('follows a slot reused for another seat', () => {
    const transceivers = [{ mid: '0', receiver: { track: track('a0') } }]
    expect(tracksBySeat(transceivers, { '0': 9 }).get(9)?.length).toBe(1)
    expect(tracksBySeat(transceivers, { '0': 9 }).has(7)).toBe(false)
  })
})
