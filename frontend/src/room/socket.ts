/**
 * The page's side of the live room protocol (signaling/protocol.py, v1).
 *
 * One socket.io connection to the `/room` namespace, typed from the generated
 * `roomProtocol.ts`: `send` returns the server's ack (`{ok: true}` or
 * `{ok: false, error}`) as a promise, `on` subscribes to a server event.
 * socket.io's own reconnection is off: after a drop the room reconnects with
 * the seat's resume key (not the spent room token), so it keeps its seat.
 */

import { io, type Socket } from 'socket.io-client'

import {
  ROOM_NAMESPACE,
  type RoomClientEvents,
  type RoomConnectAuth,
  type RoomServerEvents,
} from '@/api/roomProtocol'

export interface RoomAckError {
  code: string
  message: string
}

export type RoomAck = ({ ok: true } & Record<string, unknown>) | { ok: false; error: RoomAckError }

export class RoomRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export interface RoomSocket {
  send<E extends keyof RoomClientEvents>(event: E, payload: RoomClientEvents[E]): Promise<RoomAck>
  on<E extends keyof RoomServerEvents>(event: E, handler: (payload: RoomServerEvents[E]) => void): void
  onDisconnect(handler: (reason: string) => void): void
  close(): void
  readonly connected: boolean
}

const ACK_TIMEOUT_MS = 10_000

/** Connects and resolves once the server accepted the connection; rejects with its reason. */
export function connectRoom(auth: RoomConnectAuth, baseUrl = ''): Promise<RoomSocket> {
  const socket: Socket = io(baseUrl + ROOM_NAMESPACE, {
    auth: { v: 1, ...auth },
    transports: ['websocket'],
    reconnection: false,
    withCredentials: true,
  })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(wrap(socket)))
    socket.once('connect_error', (err: Error) => {
      socket.close()
      reject(new RoomRefused('connect_refused', err.message))
    })
  })
}

function wrap(socket: Socket): RoomSocket {
  return {
    send(event, payload) {
      return socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck(event, payload)
        .then(
          (ack: RoomAck | undefined) => ack ?? { ok: true },
          () => ({ ok: false, error: { code: 'timeout', message: 'no answer from the server' } }) as RoomAck,
        )
    },
    on(event, handler) {
      socket.on(event as string, handler as (payload: unknown) => void)
    },
    onDisconnect(handler) {
      socket.on('disconnect', (reason: string) => handler(reason))
    },
    close() {
      socket.close()
    },
    get connected() {
      return socket.connected
    },
  }
}
