/*
 * ws.h — the WebSocket transport's wire (RFC 6455), as libp2p runs it
 * (libp2p/specs websockets; go-libp2p's p2p/transport/websocket, js-libp2p's
 * @libp2p/websockets): a TCP connection to /ip4|ip6/A/tcp/P/ws opens with
 * an HTTP/1.1 Upgrade, and from then on the libp2p byte stream
 * (multistream-select, Noise, yamux; a private network's protector too)
 * travels as the payloads of WebSocket data frames, one after the other.
 * Frame boundaries mean nothing: a reader concatenates payloads.
 *
 * What trove sends: one binary frame per socket write, masked when trove
 * dialled (a client must mask, RFC 6455 5.3), and a pong for each ping.
 * What it takes: binary, text and continuation frames, any size (payloads
 * stream through; nothing is buffered beyond a frame header and a control
 * frame's 125 bytes), pings and pongs between fragments; a close frame
 * ends the connection.  It refuses what RFC 6455 says to fail the
 * connection on: reserved bits, unknown opcodes, a control frame over 125
 * bytes or fragmented, a continuation with nothing to continue, a data
 * frame inside a fragmented message, an unmasked frame from a client or a
 * masked one from a server, a 64-bit length with its top bit set.
 *
 * The handshake: a client's request is GET with Host, Upgrade: websocket,
 * Connection: Upgrade, Sec-WebSocket-Key (16 random bytes, base64) and
 * Sec-WebSocket-Version: 13 (go and js send the same); the server answers
 * 101 with Sec-WebSocket-Accept = base64(SHA-1(key + the RFC's GUID)).  The
 * server takes any path and origin (go-libp2p and js-libp2p do: the
 * libp2p handshake above authenticates the peer).  Heads are at most
 * NET_WS_HEAD_MAX bytes.
 *
 * Sans-I/O, no allocation: the host (host.c) owns the socket and the
 * buffers; the mask keys and the handshake key are the caller's to draw.
 * Depends on OpenSSL's libcrypto (SHA-1) and dag/multibase.h (base64).
 */
#ifndef NET_WS_H
#define NET_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

#define NET_WS_HDR_MAX 14     /* a frame header: 2 + 8 (length) + 4 (mask) */
#define NET_WS_CTRL_MAX 125   /* a control frame's payload */
#define NET_WS_HEAD_MAX 8192  /* an HTTP handshake head, either way */
#define NET_WS_KEY_LEN 16     /* Sec-WebSocket-Key's bytes */
#define NET_WS_KEY_B64 24     /* ... in base64 */
#define NET_WS_ACCEPT_B64 28  /* Sec-WebSocket-Accept */

enum {
  NET_WS_CONT = 0x0,
  NET_WS_TEXT = 0x1,
  NET_WS_BIN = 0x2,
  NET_WS_CLOSE = 0x8,
  NET_WS_PING = 0x9,
  NET_WS_PONG = 0xA,
};

/* A connection's receiving side. */
typedef struct net_ws {
  bool client;      /* we dialled: frames we read must be unmasked */
  bool in_msg;      /* a fragmented data message is open */
  bool closed;      /* a close frame came: read nothing more */
  bool pong_due;    /* a ping came: answer with net_ws_pong() */
  bool failed;      /* TR_EPROTO was returned: it is returned again */
  uint8_t hdr[NET_WS_HDR_MAX];
  uint8_t hlen;     /* header bytes held */
  bool in_frame;    /* the header is read: payload follows */
  uint8_t opcode;   /* the frame being read */
  bool masked;
  uint8_t mask[4];
  uint8_t moff;     /* the mask's position for the next payload byte */
  uint64_t left;    /* payload bytes of this frame still to come */
  uint8_t ctrl[NET_WS_CTRL_MAX]; /* a control frame's payload */
  uint8_t clen;
  uint8_t ping[NET_WS_CTRL_MAX]; /* the last ping's payload (pong_due) */
  uint8_t plen;
} net_ws_t;

void net_ws_init(net_ws_t *ws, bool client);

/* Decode p[0..n) in place: the data frames' payloads, unmasked, are moved
 * to the front of p (they never pass the bytes they came from), and
 * their length is returned in *out.  Control frames are taken here: a
 * ping sets pong_due (its payload kept for net_ws_pong), a pong is
 * ignored, a close sets closed (what follows it is ignored).  0 or
 * TR_EPROTO (the connection must be failed; *out is then 0, and so is
 * every later call's, with TR_EPROTO again). */
int net_ws_recv(net_ws_t *ws, uint8_t *p, size_t n, size_t *out) TR_WUR;

/* A frame header for a final frame of opcode carrying len bytes, into
 * out: masked with mask when mask is not NULL (a client's frame; the
 * caller masks the payload with net_ws_mask).  Returns its length
 * (2 to NET_WS_HDR_MAX). */
size_t net_ws_header(uint8_t out[NET_WS_HDR_MAX], uint8_t opcode,
                     uint64_t len, const uint8_t *mask);

/* XOR p[0..n) with the mask key, the first byte with mask[0]. */
void net_ws_mask(uint8_t *p, size_t n, const uint8_t mask[4]);

/* The pong answering the last ping (pong_due is cleared), into out (at
 * least NET_WS_HDR_MAX + NET_WS_CTRL_MAX bytes), masked with mask when
 * not NULL.  Returns its length. */
size_t net_ws_pong(net_ws_t *ws, uint8_t *out, const uint8_t *mask);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (as it appears in the
 * request, klen bytes): NET_WS_ACCEPT_B64 characters and a NUL into out. */
void net_ws_accept(const char *key, size_t klen,
                   char out[NET_WS_ACCEPT_B64 + 1]);

/* A client's request for host (the Host header: "A:P", "[A6]:P") with
 * the key's 16 bytes; into out (cap bytes).  Returns its length, or
 * TR_ETOOBIG. */
int net_ws_request(char *out, size_t cap, const char *host,
                   const uint8_t key[NET_WS_KEY_LEN]) TR_WUR;

/* A server reading a request: p[0..n) holds what came so far.  Returns
 * 0 while the head is incomplete (under NET_WS_HEAD_MAX), or the head's
 * length (> 0: the bytes after it are frames) with the 101 response in
 * resp (cap bytes) and its length in *rlen; or TR_EPROTO (not a
 * WebSocket upgrade, or a head too long: the connection is dropped). */
int net_ws_server_head(const uint8_t *p, size_t n, char *resp, size_t cap,
                       size_t *rlen) TR_WUR;

/* A client reading the response to its request with key: 0 while the
 * head is incomplete, its length once it is a 101 with the right
 * Sec-WebSocket-Accept, or TR_EPROTO. */
int net_ws_client_head(const uint8_t *p, size_t n,
                       const uint8_t key[NET_WS_KEY_LEN]) TR_WUR;

#endif /* NET_WS_H */
