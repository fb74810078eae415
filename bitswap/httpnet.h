/*
 * httpnet.h — HTTP retrieval as a bitswap network (boxo's httpnet): each
 * trustless gateway (specs.ipfs.tech/http-gateways/trustless-gateway) is a
 * peer of the core with a PeerID of its own making (the SHA-256 multihash
 * of "trove-http:" and its URL), so sessions place wants on it like on any
 * peer, by its measured speed, and the core checks what it sends like
 * anything a peer sends: a gateway that answers with other bytes than the
 * CID's is a liar and is banned.
 *
 * What the core sends it becomes requests: want-block is GET
 * /ipfs/CID?format=raw (Accept: application/vnd.ipld.raw), want-have is
 * HEAD of the same, cancel cancels the request.  A 200 becomes a message
 * with the block (or HAVE), a 404/410/other failure DONT_HAVE, delivered
 * to the core on the next loop turn.  At most BSW_HTTP_INFLIGHT requests
 * per gateway at once; the rest wait in order.
 *
 * Internal to bitswap/ (swarm.c owns one); http:// and https:// (the
 * HTTP client's TLS, certificates checked against the system store).
 */
#ifndef BITSWAP_HTTPNET_H
#define BITSWAP_HTTPNET_H

#include <uv.h>

#include "../net/host.h"
#include "bitswap.h"

#define BSW_HTTP_INFLIGHT 16
#define BSW_HTTP_PEERS_MAX 32
#define BSW_HTTP_TIMEOUT_MS 30000

typedef struct bsw_httpnet bsw_httpnet_t;

/* 0, -ENOMEM, libuv's errors. */
int bsw__httpnet_new(uv_loop_t *loop, bsw_t *core, bsw_httpnet_t **out) TR_WUR;
/* Cancel every request and free (the client's handles close on the
 * loop). */
void bsw__httpnet_free(bsw_httpnet_t *hn);
/* Charge what the gateways send to host's receive rate limit
 * (net_host_recv_charge; Swarm.MaxRecvRate): a request whose body would
 * go past it is paused (http_creq_pause) and resumed once the bucket has
 * refilled.  host NULL (the default): no limit. */
void bsw__httpnet_set_host(bsw_httpnet_t *hn, net_host_t *host);
/* A gateway ("http[s]://host:port", no path): a peer of the core from now
 * on; its PeerID into *id.  0, TR_EUSAGE (not http:// or https://), TR_ELIMIT,
 * -ENOMEM, or bsw_peer_up's errors; TR_EEXIST when known (*id set). */
int bsw__httpnet_add(bsw_httpnet_t *hn, const char *url, net_peerid_t *id) TR_WUR;
/* Is id one of the gateways? */
bool bsw__httpnet_owns(const bsw_httpnet_t *hn, const net_peerid_t *id);
/* The core's send to a gateway (see the top). */
int bsw__httpnet_send(bsw_httpnet_t *hn, const net_peerid_t *id,
                      const uint8_t *msg, size_t n);
/* The core banned a gateway: forget it. */
void bsw__httpnet_remove(bsw_httpnet_t *hn, const net_peerid_t *id);

#endif /* BITSWAP_HTTPNET_H */
