/*
 * p2pm_int.h — what node/p2pmount.c (the listeners, the API's table)
 * and node/p2pm_bridge.c (the bridges between a stream and a TCP
 * connection) share.  p2pmount.c calls into p2pm_bridge.c, never the
 * other way.
 */
#ifndef NODE_P2PM_INT_H
#define NODE_P2PM_INT_H

#include <netinet/in.h>

#include "../net/peerid.h"
#include "p2pmount.h"

#define ADDR_MAX 160 /* a TCP multiaddr or /p2p/ID as text */
#define PROTECT_TAG "stream-fwd"

typedef struct lsn {
  struct lsn *next;
  p2pm_t *p;
  bool local; /* forward: a TCP listener; else a protocol handler */
  const char *proto; /* interned */
  char listen[ADDR_MAX], target[ADDR_MAX];
  /* listen */
  struct sockaddr_storage ta;
  bool dialable, report;
  /* forward */
  uv_tcp_t tcp;
  net_peerid_t peer;
  char **addrs;
  size_t naddrs;
  /* --foreground's request: told once when the listener closes */
  void (*closed)(void *ctx);
  void *closed_ctx;
} lsn_t;

typedef struct bridge {
  struct bridge *next;
  p2pm_t *p;
  uint64_t id;
  bool registered;
  const char *proto;
  char origin[ADDR_MAX], target[ADDR_MAX];
  net_peerid_t peer;
  net_stream_t *s;
  net_dial_t *dial;
  bool dialing, opening;
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_shutdown_t sreq;
  bool connected, closing, closed;
  bool tcp_eof, fin_seen, shut_sent, shut_done;
  bool read_paused, st_paused, reading;
  size_t wq; /* bytes in TCP writes under way */
  tr_bytes_t pre; /* the stream's bytes before the TCP connection is up */
  uint8_t rbuf[P2PM_READ_BUF];
} bridge_t;

typedef struct proto_name {
  struct proto_name *next;
  char s[];
} proto_name_t;

struct p2pm {
  uv_loop_t *loop;
  net_host_t *host;
  rpc_p2p_t rpc;
  lsn_t *lsns;
  size_t nlsns;
  bridge_t *bridges;
  size_t nbridges, streams_max;
  uint64_t next_id;
  proto_name_t *protos;
  size_t nprotos;
  bool stopped;
};


/* p2pm_bridge.c */
/* "/ip4/A/tcp/P" (or /ip6) of a socket address. */
void p2pm__sa_format(const struct sockaddr *sa, char *out, size_t n);
/* "/p2p/ID". */
void p2pm__peer_ma(const net_peerid_t *id, char *out, size_t n);
/* The protocol handler of a `listen` (ud: its lsn_t). */
void p2pm__on_stream(net_stream_t *s, void *ud);
/* The connection callback of a `forward`'s TCP listener (data: lsn_t). */
void p2pm__on_accept(uv_stream_t *srv, int status);
/* Reset both sides of b; it goes once its TCP handle has closed. */
void p2pm__fail(bridge_t *b);

#endif /* NODE_P2PM_INT_H */
