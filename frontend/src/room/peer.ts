/**
 * The participant's two WebRTC connections with the room's media node.
 *
 * `publish`: this page offers (its camera and microphone, send-only) and the
 * node answers. `subscribe`: the node offers (everyone this seat may see and
 * hear, receive-only) and this page answers. Each connection has one offerer,
 * so offers never clash. Each subscribe offer carries a layout (mid -> seat):
 * after every negotiation the page maps each receiving slot to the seat it
 * carries now, so a slot reused for another seat shows under the right name.
 * ICE candidates that arrive before the remote description is set are queued.
 */

import type { RtcCandidate, RtcSdp } from '@/api/roomProtocol'

export type PcKind = 'publish' | 'subscribe'

export interface SignalSink {
  sdp(pc: PcKind, type: 'offer' | 'answer', sdp: string): void
  candidate(pc: PcKind, candidate: RTCIceCandidate | null): void
}

/** Candidates held until their connection has a remote description. */
export class CandidateQueue {
  private pending: RTCIceCandidateInit[] = []
  private ready = false

  constructor(private readonly add: (c: RTCIceCandidateInit) => Promise<void>) {}

  async push(candidate: RTCIceCandidateInit): Promise<void> {
    if (this.ready) await this.add(candidate)
    else this.pending.push(candidate)
  }

  /** The remote description is set: add what waited, in order. */
  async open(): Promise<void> {
    this.ready = true
    const waiting = this.pending
    this.pending = []
    for (const candidate of waiting) await this.add(candidate)
  }

  reset(): void {
    this.ready = false
    this.pending = []
  }

  get size(): number {
    return this.pending.length
  }
}

export type Layout = Record<string, number | null | undefined>

/** Which seat each receiving track carries, from the transceivers' mids and the node's layout. */
export function tracksBySeat(
  transceivers: { mid: string | null; receiver: { track: MediaStreamTrack } }[],
  layout: Layout,
): Map<number, MediaStreamTrack[]> {
  const out = new Map<number, MediaStreamTrack[]>()
  for (const t of transceivers) {
    const seat = t.mid === null ? null : (layout[t.mid] ?? null)
    if (seat === null) continue
    out.set(seat, [...(out.get(seat) ?? []), t.receiver.track])
  }
  return out
}

export interface NetworkQuality {
  rttMs: number | null
  packetsLost: number
  jitterMs: number | null
  framesPerSecond: number | null
  outgoingKbps: number | null
}

export class MediaLink {
  private publishPc: RTCPeerConnection | null = null
  private subscribePc: RTCPeerConnection | null = null
  private queues: Record<PcKind, CandidateQueue | null> = { publish: null, subscribe: null }
  private local: MediaStream | null = null

  constructor(
    private readonly iceServers: RTCIceServer[],
    private readonly sink: SignalSink,
    private readonly onRemoteTracks: (bySeat: Map<number, MediaStreamTrack[]>) => void,
  ) {}

  /** Publish this page's camera and microphone. */
  async start(stream: MediaStream): Promise<void> {
    this.local = stream
    const pc = this.makePc('publish')
    this.publishPc = pc
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] })
    const offer = await pc.createOffer()
    await pc.setLocalDescription(offer)
    this.sink.sdp('publish', 'offer', offer.sdp ?? '')
  }

  /** An offer or answer from the node. */
  async onSdp(message: RtcSdp): Promise<void> {
    if (message.pc === 'publish') {
      if (message.type !== 'answer' || !this.publishPc) return
      await this.publishPc.setRemoteDescription({ type: 'answer', sdp: message.sdp })
      await this.queues.publish?.open()
      return
    }
    if (message.type !== 'offer') return
    if (!this.subscribePc) this.subscribePc = this.makeSubscribePc()
    const pc = this.subscribePc
    this.queues.subscribe?.reset()
    await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp })
    await this.queues.subscribe?.open()
    const answer = await pc.createAnswer()
    await pc.setLocalDescription(answer)
    this.sink.sdp('subscribe', 'answer', answer.sdp ?? '')
    this.onRemoteTracks(tracksBySeat(pc.getTransceivers(), message.layout ?? {}))
  }

  async onCandidate(message: RtcCandidate): Promise<void> {
    const queue = this.queues[message.pc]
    if (!queue) return
    await queue.push({
      candidate: message.candidate,
      sdpMid: message.sdp_mid ?? undefined,
      sdpMLineIndex: message.sdp_mline_index ?? undefined,
    })
  }

  /** The room moved to another media node: negotiate both connections again. */
  async restart(): Promise<void> {
    const stream = this.local
    this.closeConnections()
    if (stream) await this.start(stream)
  }

  setMuted(kind: 'audio' | 'video', muted: boolean): void {
    for (const track of this.local?.getTracks() ?? []) if (track.kind === kind) track.enabled = !muted
  }

  async quality(): Promise<NetworkQuality> {
    const out: NetworkQuality = { rttMs: null, packetsLost: 0, jitterMs: null, framesPerSecond: null, outgoingKbps: null }
    for (const pc of [this.publishPc, this.subscribePc]) {
      if (!pc) continue
      const report = await pc.getStats()
      report.forEach((stat: Record<string, unknown>) => {
        if (stat.type === 'candidate-pair' && stat.nominated && typeof stat.currentRoundTripTime === 'number') {
          out.rttMs = Math.round(stat.currentRoundTripTime * 1000)
        }
        if (stat.type === 'inbound-rtp') {
          out.packetsLost += typeof stat.packetsLost === 'number' ? stat.packetsLost : 0
          if (typeof stat.jitter === 'number') out.jitterMs = Math.round(stat.jitter * 1000)
          if (stat.kind === 'video' && typeof stat.framesPerSecond === 'number') out.framesPerSecond = stat.framesPerSecond
        }
        if (stat.type === 'candidate-pair' && stat.nominated && typeof stat.availableOutgoingBitrate === 'number') {
          out.outgoingKbps = Math.round(stat.availableOutgoingBitrate / 1000)
        }
      })
    }
    return out
  }

  close(): void {
    this.closeConnections()
    for (const track of this.local?.getTracks() ?? []) track.stop()
    this.local = null
  }

  private closeConnections(): void {
    this.publishPc?.close()
    this.subscribePc?.close()
    this.publishPc = null
    this.subscribePc = null
    this.queues = { publish: null, subscribe: null }
  }

  private makeSubscribePc(): RTCPeerConnection {
    return this.makePc('subscribe')
  }

  private makePc(kind: PcKind): RTCPeerConnection {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers })
    this.queues[kind] = new CandidateQueue((c) => pc.addIceCandidate(c))
    pc.addEventListener('icecandidate', (event: RTCPeerConnectionIceEvent) => this.sink.candidate(kind, event.candidate))
    return pc
  }
}
