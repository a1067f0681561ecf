/** The meetings API (odr/meetings): room tokens for the live room. */

import { api } from './client'
import type { SeatInfo } from './roomProtocol'

export interface RoomTokenOut {
  token: string
  expires_at: string
  seat: SeatInfo | { seat_id: number; role: string; display_name: string }
  entry_code_required: boolean
  ice_servers?: RTCIceServer[]
}

export const meetingRoom = {
  token: (meetingId: number) => api.post<RoomTokenOut>(`/api/v1/meetings/${meetingId}/room-token`),
}
