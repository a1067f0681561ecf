/**
 * One participant's live room: the socket, the seat, who else is there, the
 * lobby (for hosts), chat, recording state, and the media link.
 *
 * The server is the authority on everything here: this state only mirrors its
 * events (`joined`, `roster`, `lobby`, `chat`, `recording`, `ended`, `error`).
 * A dropped connection is retried with the seat's resume key for as long as
 * the server keeps the seat (its grace period), then the page asks to join again.
 */

import { reactive } from 'vue'

import type {
  ChatOut,
  FactOut,
  Joined,
  LobbyEntry,
  RecordingStateOut,
  RoomClientEvents,
  SeatInfo,
} from '@/api/roomProtocol'

import { MediaLink } from './peer'
import { connectRoom, type RoomAck, type RoomSocket } from './socket'

export type RoomPhase = 'connecting' | 'lobby' | 'in_room' | 'reconnecting' | 'ended' | 'refused'

export interface RoomState {
  phase: RoomPhase
  meetingId: number | null
  seat: SeatInfo | null
  warningRequired: boolean
  entryCodeRequired: boolean
  roster: SeatInfo[]
  waiting: LobbyEntry[]
  chat: ChatOut[]
  recording: RecordingStateOut | null
  locked: boolean
  endedReason: string | null
  manifestSha256: string | null
  lastError: string | null
  /** The latest notice about this seat (muted, warned, unmute requested, ...). */
  notice: { change: string; reason: string | null } | null
  facts: FactOut[]
  /** Hosts: network quality per seat as the media node sees it. */
  quality: Record<string, Record<string, number | undefined> | undefined>
  remoteTracks: Record<number, MediaStreamTrack[]>
}

export interface RoomOptions {
  token: string
  iceServers: RTCIceServer[]
  baseUrl?: string
  /** Media to publish once admitted; null for a text-only participant (tests, observers). */
  getMedia?: () => Promise<MediaStream | null>
  resumeDelaysMs?: number[]
}

const DEFAULT_RESUME_DELAYS = [500, 1000, 2000, 4000, 8000, 15000, 25000]

export function isHost(seat: SeatInfo | null): boolean {
  return seat?.role === 'host' || seat?.role === 'co_host'
}

export class RoomSession {
  readonly state: RoomState = reactive({
    phase: 'connecting',
    meetingId: null,
    seat: null,
    warningRequired: false,
    entryCodeRequired: false,
    roster: [],
    waiting: [],
    chat: [],
    recording: null,
    locked: false,
    endedReason: null,
    manifestSha256: null,
    lastError: null,
    notice: null,
    facts: [],
    quality: {},
    remoteTracks: {},
  })

  private socket: RoomSocket | null = null
  private media: MediaLink | null = null
  private resumeKey: string | null = null
  private closing = false

  constructor(private readonly options: RoomOptions) {}

  async join(): Promise<void> {
    await this.attach({ token: this.options.token })
  }

  send<E extends keyof RoomClientEvents>(event: E, payload: RoomClientEvents[E]): Promise<RoomAck> {
    if (!this.socket) return Promise.resolve({ ok: false, error: { code: 'not_joined', message: 'not connected' } })
    return this.socket.send(event, payload).then((ack) => {
      if (!ack.ok) this.state.lastError = ack.error.message
      return ack
    })
  }

  leave(): void {
    this.closing = true
    void this.send('leave', { permission_requested: false }).finally(() => this.close())
  }

  close(): void {
    this.closing = true
    this.media?.close()
    this.media = null
    this.socket?.close()
    this.socket = null
  }

  private async attach(auth: { token?: string; resume_seat?: number; resume_key?: string }): Promise<void> {
    const socket = await connectRoom(auth, this.options.baseUrl)
    this.socket = socket
    socket.on('joined', (j) => this.onJoined(j))
    socket.on('roster', (r) => {
      this.state.roster = r.seats
      const mine = r.seats.find((s) => s.seat_id === this.state.seat?.seat_id)
      if (mine) this.updateOwnSeat(mine)
    })
    socket.on('lobby', (l) => {
      this.state.waiting = l.waiting
    })
    socket.on('chat', (m) => {
      this.state.chat.push(m)
    })
    socket.on('recording', (r) => {
      this.state.recording = r
    })
    socket.on('ended', (e) => {
      this.state.phase = 'ended'
      this.state.endedReason = e.reason
      this.state.manifestSha256 = e.manifest_sha256 ?? null
      this.close()
    })
    socket.on('error', (e) => {
      this.state.lastError = e.message
    })
    socket.on('seat', (n) => {
      if (n.seat.seat_id === this.state.seat?.seat_id) {
        this.state.notice = { change: n.change, reason: n.reason ?? null }
        this.updateOwnSeat(n.seat)
      }
    })
    socket.on('room', (r) => {
      this.state.locked = r.locked
    })
    socket.on('fact', (f) => {
      this.state.facts = [...this.state.facts.filter((x) => x.id !== f.id), f]
    })
    socket.on('stats', (s) => {
      this.state.quality = s.seats
    })
    socket.on('rtc.restart', (r) => {
      if (r.node_available) void this.media?.restart()
    })
    socket.on('rtc.sdp', (m) => void this.media?.onSdp(m))
    socket.on('rtc.candidate', (m) => void this.media?.onCandidate(m))
    socket.onDisconnect(() => void this.onDrop())
  }

  private onJoined(joined: Joined): void {
    this.resumeKey = joined.resume_key
    this.state.meetingId = joined.meeting_id
    this.state.warningRequired = joined.warning_required
    this.state.entryCodeRequired = joined.entry_code_required
    this.state.locked = joined.locked
    this.updateOwnSeat(joined.seat)
  }

  private updateOwnSeat(seat: SeatInfo): void {
    const wasAdmitted = this.state.seat?.state === 'admitted'
    this.state.seat = seat
    if (seat.state === 'admitted') {
      this.state.phase = 'in_room'
      if (!wasAdmitted) void this.startMedia()
    } else if (seat.state === 'lobby' || seat.state === 'invited') {
      this.state.phase = 'lobby'
      this.media?.close()
      this.media = null
    } else {
      this.state.phase = seat.state === 'removed' || seat.state === 'denied' ? 'refused' : 'ended'
      this.close()
    }
  }

  private async startMedia(): Promise<void> {
    const stream = this.options.getMedia ? await this.options.getMedia() : null
    if (!stream || this.media) return
    this.media = new MediaLink(
      this.options.iceServers,
      {
        sdp: (pc, type, sdp) => void this.send('rtc.sdp', { pc, type, sdp }),
        candidate: (pc, c) =>
          void this.send('rtc.candidate', {
            pc,
            candidate: c?.candidate ?? '',
            sdp_mid: c?.sdpMid ?? null,
            sdp_mline_index: c?.sdpMLineIndex ?? null,
          }),
      },
      (bySeat) => {
        this.state.remoteTracks = Object.fromEntries(bySeat)
      },
    )
    await this.media.start(stream)
  }

  private async onDrop(): Promise<void> {
    this.socket = null
    if (this.closing || this.state.phase === 'ended' || this.state.phase === 'refused') return
    const seat = this.state.seat
    if (!seat || !this.resumeKey) {
      this.state.phase = 'ended'
      return
    }
    this.state.phase = 'reconnecting'
    for (const delay of this.options.resumeDelaysMs ?? DEFAULT_RESUME_DELAYS) {
      await new Promise((resolve) => setTimeout(resolve, delay))
      if (this.closing) return
      try {
        await this.attach({ resume_seat: seat.seat_id, resume_key: this.resumeKey })
        await this.media?.restart()
        return
      } catch {
        /* not back yet: try again after the next delay */
      }
    }
    this.state.phase = 'ended'
    this.state.lastError = 'connection lost'
  }
}
