// Generated from signaling/schema/room-v1.json by scripts/gen-room-types.mjs: do not edit.
export const ROOM_PROTOCOL_VERSION = 1;
export const ROOM_NAMESPACE = "/room";

export interface RoomProtocolDefs {
CaucusClose?: CaucusClose
CaucusOpen?: CaucusOpen
ChatOut?: ChatOut
ChatSend?: ChatSend
ConnectAuth?: ConnectAuth
Delegate?: Delegate
Empty?: Empty
Ended?: Ended
EntryCode?: EntryCode
ErrorEvent?: ErrorEvent
FactConfirm?: FactConfirm
FactOut?: FactOut
FactPropose?: FactPropose
GrantLeave?: GrantLeave
HandRaise?: HandRaise
Joined?: Joined
Leave?: Leave
Lobby?: Lobby
LobbyDeny?: LobbyDeny
LobbyEntry?: LobbyEntry
Lock?: Lock
Mute?: Mute
NetworkStats?: NetworkStats
NodeHeartbeat?: NodeHeartbeat
NodeRecordingClosed?: NodeRecordingClosed
NodeRecordingEvent?: NodeRecordingEvent
NodeRoutesAck?: NodeRoutesAck
NodeSegment?: NodeSegment
NodeStats?: NodeStats
RecordingConsent?: RecordingConsent
RecordingControl?: RecordingControl
RecordingStateOut?: RecordingStateOut
Remove?: Remove
RoomState?: RoomState
Roster?: Roster
Routes?: Routes
RtcCandidate?: RtcCandidate
RtcRestart?: RtcRestart
RtcSdp?: RtcSdp
SeatInfo?: SeatInfo
SeatNotice?: SeatNotice
SeatTarget?: SeatTarget
SessionRecordOut?: SessionRecordOut
SessionRecordUpdate?: SessionRecordUpdate
VisualCheck?: VisualCheck
Warn?: Warn
}
export interface CaucusClose {
caucus_id: string
}
export interface CaucusOpen {
label?: string
/**
 * @minItems 1
 * @maxItems 50
 */
seat_ids: [number, ...(number)[]]
}
export interface ChatOut {
at: string
caucus_id: (string | null)
display_name: string
id: number
seat_id: number
text: string
}
export interface ChatSend {
text: string
}
/**
 * The ``auth`` payload of the socket.io connect.
 * 
 * A person gives ``token`` (a room token from ``POST /api/v1/meetings/{id}/room-token``)
 * or, to take its seat back after a dropped connection, ``resume`` (seat id and
 * the resume key it got in ``joined``). A media node gives ``node`` and ``credential``.
 */
export interface ConnectAuth {
credential?: (string | null)
meeting_id?: (number | null)
node?: (string | null)
resume_key?: (string | null)
resume_seat?: (number | null)
token?: (string | null)
v?: 1
}
export interface Delegate {
controls: ("admit" | "mute" | "remove" | "lock" | "caucus" | "recording" | "record" | "end")[]
seat_id: number
}
export interface Empty {

}
export interface Ended {
manifest_sha256?: (string | null)
meeting_id: number
reason: string
}
/**
 * The fresh one-time code sent to the participant's verified mobile at entry (L2).
 */
export interface EntryCode {
code: string
}
export interface ErrorEvent {
code: string
event?: (string | null)
message: string
}
export interface FactConfirm {
fact_id: number
sha256: string
}
/**
 * An undisputed fact proposed by the host and who confirmed its exact text (L11, L12).
 */
export interface FactOut {
confirmed: boolean
confirmed_sides: string[]
id: number
meeting_id: number
proposed_at: string
sha256: string
text: string
}
export interface FactPropose {
text: string
}
export interface GrantLeave {
seat_id: number
}
export interface HandRaise {
raised: boolean
}
/**
 * To the joiner: its seat, and the key to resume it after a drop.
 */
export interface Joined {
entry_code_required: boolean
locked: boolean
meeting_id: number
recording_state: string
resume_key: string
resumed: boolean
seat: SeatInfo
server_time: string
v?: 1
warning_required: boolean
}
/**
 * A participant as others see it (identity details only to hosts, in ``lobby``).
 */
export interface SeatInfo {
audio_muted_by_host: boolean
caucus_id: (string | null)
connected: boolean
display_name: string
hand_raised: boolean
role: string
seat_id: number
side: (string | null)
state: string
video_muted_by_host: boolean
}
/**
 * Leaving on one's own. In a hearing, ``permission_requested`` asks the judge first (L29).
 */
export interface Leave {
permission_requested?: boolean
}
/**
 * To hosts (and co-hosts with ``admit``): who waits.
 */
export interface Lobby {
meeting_id: number
waiting: LobbyEntry[]
}
export interface LobbyEntry {
entry_code_verified: boolean
id_doc_masked: (string | null)
identity_level: (string | null)
seat: SeatInfo
verified_name: (string | null)
waiting_since: (string | null)
warning_acknowledged: boolean
}
export interface LobbyDeny {
reason: string
seat_id: number
}
export interface Lock {
locked: boolean
}
export interface Mute {
kind: ("audio" | "video")
muted: boolean
seat_id: number
}
/**
 * To the host (and co-hosts): per participant network quality seen by the media node.
 */
export interface NetworkStats {
at: string
meeting_id: number
seats: {
[k: string]: {
[k: string]: number | undefined
} | undefined
}
}
export interface NodeHeartbeat {
cpu_load: number
rooms: number
streams: number
}
/**
 * The node records no seat of the meeting any more and has reported every segment.
 */
export interface NodeRecordingClosed {
meeting_id: number
segments: number
}
/**
 * The node reports a recording change it could not avoid (disk full, track lost).
 */
export interface NodeRecordingEvent {
detail?: string
meeting_id: number
state: ("recording" | "stopped" | "failed")
}
export interface NodeRoutesAck {
meeting_id: number
version: number
}
/**
 * A closed, fsynced recording segment of one seat (WebM, audio and video as sent).
 * 
 * The node has moved the file to storage (``storage_key``); signaling stores
 * the row, numbers it per seat and track, and appends ``sha256`` to the audit chain.
 */
export interface NodeSegment {
caucus_id?: (string | null)
duration_ms: number
ended_at: string
media_start_ms: number
meeting_id: number
seat_id: number
sequence: number
sha256: string
size: number
started_at: string
storage_key: string
track: ("av" | "audio" | "video")
}
/**
 * Per participant network quality as the node sees it (issue 6 point 6).
 */
export interface NodeStats {
meeting_id: number
seats: {
[k: string]: {
[k: string]: number | undefined
} | undefined
}
}
export interface RecordingConsent {
consent: boolean
}
export interface RecordingControl {
action: ("start" | "stop" | "pause" | "resume")
}
export interface RecordingStateOut {
consents: {
[k: string]: boolean | null | undefined
}
detail?: string
meeting_id: number
state: string
written_record_required: boolean
}
export interface Remove {
reason: string
seat_id: number
}
/**
 * To everyone in the meeting: its status and lock.
 */
export interface RoomState {
locked: boolean
meeting_id: number
status: string
}
/**
 * To admitted participants: who is in the room (their caucus's view).
 */
export interface Roster {
meeting_id: number
seats: SeatInfo[]
}
/**
 * To the media node: for each subscriber seat, which publisher seats' audio/video it gets.
 */
export interface Routes {
caucus?: {
[k: string]: string | undefined
}
meeting_id: number
receive: {
[k: string]: {
[k: string]: number[] | undefined
} | undefined
}
recording: number[]
version: number
}
export interface RtcCandidate {
candidate: string
pc: ("publish" | "subscribe")
sdp_mid?: (string | null)
sdp_mline_index?: (number | null)
seat_id?: (number | null)
}
/**
 * To a meeting's participants: the media node changed (the old one died); renegotiate.
 * 
 * Close both peer connections and offer a new ``publish`` connection; the new
 * node offers ``subscribe``. ``node_available`` False: no live node yet, wait
 * for the next ``rtc.restart``.
 */
export interface RtcRestart {
meeting_id: number
node_available: boolean
reason: "node_lost"
}
/**
 * An offer or answer between a participant and the media node.
 * 
 * From a participant: ``pc`` says which of its connections; the server adds
 * the seat when it forwards to the node. From a node: ``seat_id`` names the
 * participant it is for. The SDP is relayed verbatim (not stripped: it ends with CRLF).
 */
export interface RtcSdp {
layout?: ({
[k: string]: number | null | undefined
} | null)
pc: ("publish" | "subscribe")
sdp: string
seat_id?: (number | null)
type: ("offer" | "answer")
}
/**
 * What happened to one seat, sent to that seat (and, for ``leave_requested``, to hosts).
 */
export interface SeatNotice {
change: ("admitted" | "denied" | "returned_to_lobby" | "removed" | "muted" | "unmute_requested" | "delegated" | "warned" | "leave_granted" | "leave_requested" | "visual_check")
controls?: (string[] | null)
meeting_id: number
reason?: (string | null)
seat: SeatInfo
}
export interface SeatTarget {
seat_id: number
}
/**
 * To hosts: a new version of the session record (笔录) was saved.
 */
export interface SessionRecordOut {
at: string
meeting_id: number
sha256: string
version: number
}
/**
 * The host's session record (笔录); ``base_version`` detects a concurrent edit.
 */
export interface SessionRecordUpdate {
base_version: number
body: string
}
/**
 * The host compared the participant's face with its ID document (L2).
 */
export interface VisualCheck {
matches: boolean
note?: string
seat_id: number
}
export interface Warn {
reason: string
seat_id: number
}

export type RoomConnectAuth = ConnectAuth;
export interface RoomClientEvents {
  "caucus.close": CaucusClose;
  "caucus.open": CaucusOpen;
  "chat.send": ChatSend;
  "entry.ack_warning": Empty;
  "entry.code": EntryCode;
  "entry.visual_check": VisualCheck;
  "fact.confirm": FactConfirm;
  "fact.propose": FactPropose;
  "hand.raise": HandRaise;
  "leave": Leave;
  "lobby.admit": SeatTarget;
  "lobby.deny": LobbyDeny;
  "lobby.return": SeatTarget;
  "meeting.end": Empty;
  "moderation.delegate": Delegate;
  "moderation.grant_leave": GrantLeave;
  "moderation.lock": Lock;
  "moderation.mute": Mute;
  "moderation.remove": Remove;
  "moderation.warn": Warn;
  "node.heartbeat": NodeHeartbeat;
  "node.recording": NodeRecordingEvent;
  "node.recording_closed": NodeRecordingClosed;
  "node.routes_ack": NodeRoutesAck;
  "node.segment": NodeSegment;
  "node.stats": NodeStats;
  "record.update": SessionRecordUpdate;
  "recording.consent": RecordingConsent;
  "recording.control": RecordingControl;
  "rtc.candidate": RtcCandidate;
  "rtc.sdp": RtcSdp;
}

export interface RoomServerEvents {
  "chat": ChatOut;
  "ended": Ended;
  "error": ErrorEvent;
  "fact": FactOut;
  "joined": Joined;
  "lobby": Lobby;
  "node.routes": Routes;
  "record": SessionRecordOut;
  "recording": RecordingStateOut;
  "room": RoomState;
  "roster": Roster;
  "rtc.candidate": RtcCandidate;
  "rtc.restart": RtcRestart;
  "rtc.sdp": RtcSdp;
  "seat": SeatNotice;
  "stats": NetworkStats;
}
