/*
 * gw_routing.h — the router the gateway is handed, for the Delegated
 * Routing V1 HTTP API (specs.ipfs.tech/routing/http-routing-v1/, IPIP-337)
 * it serves under /routing/v1/ (gw_routing.c), as Kubo does with
 * Gateway.ExposeRoutingAPI.
 *
 * The gateway may not name the DHT (layering: gateway sits beside it, not
 * above it), so the daemon wires an implementation in: node/routing.c runs
 * each call on the LAN and the WAN DHT and merges the answers.  A test can
 * hand the gateway a fake one.
 *
 * Keys travel as bytes: a content multihash for providers, a PeerID's bytes
 * (its multihash) for peers and IPNS names.  Peers come back as text (the
 * PeerID in base58btc, multiaddrs in their string form), which is what the
 * JSON answers carry, so that the gateway needs no libp2p codec.
 *
 * Every call runs on the loop thread and returns 0 with *lookup set (before
 * any callback) or an error (and then calls nothing back).  The end
 * (on_done, or on_done of get_ipns) comes exactly once, never from inside
 * the call that started the lookup, after which the handle is dead.
 * on_peer may come from inside find_providers (the providers the node
 * holds itself are at hand).  cancel() before the end stops the lookup: no
 * callback after it, whatever was in flight.  on_peer may call cancel() on
 * its own lookup (a client that has what it wanted); the handle is dead
 * after that too.
 */
#ifndef GW_ROUTING_H
#define GW_ROUTING_H

#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

/* A peer as the router reports it: views valid during the callback. */
typedef struct gw_peer {
  const char *id;           /* PeerID, base58btc ("12D3KooW...") */
  const char *const *addrs; /* multiaddrs, text ("/ip4/1.2.3.4/tcp/4001") */
  size_t naddrs;
} gw_peer_t;

/* An IPNS record as get_ipns found it (the best of what the DHTs hold,
 * valid for the name now), with what the answer's cache headers need. */
typedef struct gw_ipns {
  const uint8_t *rec; /* the marshalled record, valid during the callback */
  size_t len;
  int64_t eol;        /* its Validity (EOL), Unix seconds; 0: unknown */
  int64_t ttl_s;      /* its TTL in seconds; -1: none in the record */
  const char *value;  /* its Value ("/ipfs/bafy..."), NUL-terminated; ""
                         when it has none */
} gw_ipns_t;

typedef void (*gw_peer_cb)(void *ud, const gw_peer_t *p);
/* status: 0 (the lookup ran; with or without results), TR_ENOTFOUND
 * (find_peer, get_ipns: nothing found), or another error. */
typedef void (*gw_done_cb)(void *ud, int status);
/* rec is NULL unless status is 0. */
typedef void (*gw_ipns_cb)(void *ud, int status, const gw_ipns_t *rec);

typedef struct gw_router {
  void *ud; /* the implementation's; first argument of each call */
  /* Providers of the multihash mh[0..mhl), each PeerID once; stops after
   * max (0: no limit but the lookup's end).  -ENOTSUP (no routing),
   * TR_ELIMIT, -ENOMEM. */
  int (*find_providers)(void *ud, const uint8_t *mh, size_t mhl, size_t max,
                        gw_peer_cb on_peer, gw_done_cb on_done, void *cb_ud,
                        void **lookup);
  /* The addresses of the peer whose PeerID is id[0..idl): one on_peer at
   * most, then on_done (TR_ENOTFOUND when nobody knew it).  TR_EPEERID
   * (not a PeerID: the request's fault), -ENOTSUP, TR_ELIMIT, -ENOMEM. */
  int (*find_peer)(void *ud, const uint8_t *id, size_t idl, gw_peer_cb on_peer,
                   gw_done_cb on_done, void *cb_ud, void **lookup);
  /* The IPNS record of the name whose PeerID is id[0..idl).  Errors as
   * find_peer; at the end TR_ENOTFOUND when no valid record was found. */
  int (*get_ipns)(void *ud, const uint8_t *id, size_t idl, gw_ipns_cb on_done,
                  void *cb_ud, void **lookup);
  /* Validate rec[0..rl) as the name's IPNS record (now), then store it and
   * send it to the DHTs.  The validation is synchronous: its errors
   * (TR_EIPNS, TR_ESIG, TR_EEXPIRED, TR_EKEYMISMATCH, TR_ETOOBIG, ... as
   * dht_ipns_validate) are returned here and mean a bad request; also
   * TR_EPEERID, -ENOTSUP, TR_ELIMIT, -ENOMEM.  on_done: 0 when at least
   * one DHT took it. */
  int (*put_ipns)(void *ud, const uint8_t *id, size_t idl, const uint8_t *rec,
                  size_t rl, gw_done_cb on_done, void *cb_ud, void **lookup);
  /* Stop a lookup before its end (the client went away, time ran out). */
  void (*cancel)(void *ud, void *lookup);
} gw_router_t;

#endif /* GW_ROUTING_H */
