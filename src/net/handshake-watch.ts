import type {
  ConnectionGater,
  ConnectionProtector,
  MessageStream,
  MultiaddrConnection,
} from '@libp2p/interface'

export interface RefusedHandshake {
  remoteAddr: string
  reason: string
}

/**
 * Reports inbound connections that never get past the cloud-key (pnet) and Noise handshakes, which
 * libp2p 3 only writes to its debug log. It wraps the connection protector, where every inbound
 * connection enters the handshake, and provides a connection gater whose encrypted-connection hook
 * marks the handshake as passed. A connection that closes in between was refused; the reason is the
 * error that closed it (CloudKeyMismatchError for a node of another cloud) or a close by the remote.
 */
export interface HandshakeWatch {
  protector(inner: ConnectionProtector): ConnectionProtector
  readonly gater: ConnectionGater
}

export function createHandshakeWatch(onRefused: (refused: RefusedHandshake) => void): HandshakeWatch {
  const pending = new WeakSet<MessageStream>()
  const passed = (_peer: unknown, maConn: MultiaddrConnection): boolean => {
    pending.delete(maConn)
    return false
  }
  return {
    protector(inner) {
      return {
        async protect(connection, options) {
          if (connection.direction === 'inbound') {
            pending.add(connection)
            connection.addEventListener(
              'close',
              (evt) => {
                if (!pending.has(connection)) return
                pending.delete(connection)
                onRefused({
                  remoteAddr: remoteAddrOf(connection),
                  reason: evt.error
                    ? `${evt.error.name}: ${evt.error.message}`
                    : 'the remote end closed the connection during the handshake',
                })
              },
              { once: true },
            )
          }
          return inner.protect(connection, options)
        },
      }
    },
    gater: {
      denyInboundEncryptedConnection: passed,
      denyOutboundEncryptedConnection: passed,
    },
  }
}

function remoteAddrOf(connection: MessageStream): string {
  const remoteAddr = (connection as Partial<MultiaddrConnection>).remoteAddr
  return remoteAddr ? remoteAddr.toString() : 'unknown'
}
