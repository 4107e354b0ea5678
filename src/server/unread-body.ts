// An error answered before the request body was read (too large, unsupported type, refused
// auth) must still reach a client that is sending its body: closing the socket with unread
// bytes makes the kernel reset the connection, and the client sees EPIPE or ECONNRESET instead
// of the 413. So the rest of the body is read and dropped ("lingering close"), within bounds:
// past UNREAD_BODY_DRAIN_BYTES the socket is cut (the answer has been written by then), and the
// server's request timeout still ends a client that trickles.
import type { FastifyReply, FastifyRequest } from 'fastify';

export const UNREAD_BODY_DRAIN_BYTES = 8 * 1024 * 1024;

export function drainUnreadBody(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  if (raw.complete || raw.destroyed) return;
  // Fastify asks for `connection: close` after a body error; Node would then close the socket as
  // soon as the answer is out, with the body still arriving. Reading it to its end keeps the
  // connection usable, as the answer then says.
  if (String(reply.getHeader('connection') ?? '').toLowerCase() === 'close') reply.removeHeader('connection');
  let drained = 0;
  raw.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > UNREAD_BODY_DRAIN_BYTES) raw.socket.destroy();
  });
  raw.resume();
}
