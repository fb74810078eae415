/*
 * delegated.h — delegated routing as a client: the Delegated Routing V1
 * HTTP API (specs.ipfs.tech/routing/http-routing-v1/, IPIP-337), asked of
 * the routers in Kubo's Routing.DelegatedRouters, as boxo's
 * routing/http/client asks them.  node/routing.c runs these lookups as a
 * third side beside the LAN and WAN DHTs, so that the gateway's
 * /routing/v1, bitswap's provider searches and IPNS find what the routers
 * know:
 *
 *   providers  GET {router}/routing/v1/providers/{CIDv1 raw, base32}
 *   a peer     GET {router}/routing/v1/peers/{PeerID as CIDv1 libp2p-key}
 *   IPNS get   GET {router}/routing/v1/ipns/{name as CIDv1 libp2p-key}
 *   IPNS put   PUT the same, body the record
 *
 * Providers and peers are asked with Accept: application/x-ndjson,
 * application/json; an NDJSON answer is read record by record as it
 * streams (each provider reported as its line ends), a JSON one
 * ({"Providers":[...]} or {"Peers":[...]}) once whole.  Only records of
 * schema "peer" with a valid PeerID count; others, unknown schemas and
 * malformed lines are skipped, as boxo does.  A 404 is an empty answer
 * (servers before IPIP-513).  IPNS records are asked as
 * application/vnd.ipfs.ipns-record and validated (dht_record_validate: the
 * signature, the name, the EOL) before anyone sees them; of several
 * routers' records the best (dht_record_select) wins.
 *
 * http:// and https:// routers (http/client.h's TLS, certificates checked
 * against the system store); Kubo's "auto" placeholder (AutoConf, which
 * trove lacks) is skipped, with one warning when the daemon starts.
 *
 * Limits, each per request: NODE_DELEG_TIMEOUT_MS from start to end (what
 * came by then counts), NODE_DELEG_BODY_MAX bytes of a providers/peers
 * answer, NODE_DELEG_LINE_MAX bytes a record (a longer NDJSON line is
 * skipped), NODE_DELEG_RECORDS_MAX records read (skipped ones included),
 * NODE_DELEG_IPNS_MAX bytes of an IPNS record.
 *
 * The answer parser (node_dparse_*) is sans-I/O: bytes in, peers out.
 * Everything else runs on the loop thread.
 */
#ifndef NODE_DELEGATED_H
#define NODE_DELEGATED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../config/config.h"
#include "../dht/msg.h"

#define NODE_DELEG_ROUTERS_MAX 8       /* routers used; more are ignored */
#define NODE_DELEG_URL_MAX 512         /* a router's base URL */
#define NODE_DELEG_TIMEOUT_MS 30000u   /* a request, start to end (boxo's
                                          server gives up after 30 s too) */
#define NODE_DELEG_BODY_MAX (4u << 20) /* a providers / peers answer */
#define NODE_DELEG_LINE_MAX (64u << 10) /* one NDJSON line / JSON record */
#define NODE_DELEG_RECORDS_MAX 1000u   /* records read from one answer */
#define NODE_DELEG_IPNS_MAX 10240u     /* boxo's ipns.MaxRecordSize */
#define NODE_DELEG_LOOKUPS_MAX 256     /* lookups at once */

/* ------------------------------------------------------ answer parser */

/* A record parsed: non-zero from it stops the parse (node_dparse_feed and
 * _end then return 1). */
typedef int (*node_dparse_cb)(void *ud, const dht_peer_t *p);

typedef struct node_dparse {
  bool ndjson;      /* else one JSON document, parsed at the end */
  bool skipping;    /* NDJSON: inside a line over the cap, dropped */
  bool stopped;     /* the callback or the records cap ended it */
  uint8_t *buf;     /* the line (NDJSON) or document (JSON) so far */
  size_t len, cap;
  size_t limit;     /* a line's cap (NDJSON) or the document's (JSON) */
  size_t max_records;
  size_t records;   /* lines / array entries seen */
  size_t peers;     /* records handed to on_peer */
  size_t skipped;   /* records dropped: malformed, too long, other schema */
  node_dparse_cb on_peer;
  void *ud;
} node_dparse_t;

/* Start a parse: ndjson or one JSON document; limit bytes a line (NDJSON)
 * or the whole document (0: NODE_DELEG_LINE_MAX / NODE_DELEG_BODY_MAX);
 * at most max_records records read (0: NODE_DELEG_RECORDS_MAX). */
void node_dparse_init(node_dparse_t *p, bool ndjson, size_t limit,
                      size_t max_records, node_dparse_cb on_peer, void *ud);
/* Feed the next n bytes of the body.  0, 1 (stopped: the callback asked
 * or max_records were read; feed no more), TR_ETOOBIG (a JSON document
 * over its limit), -ENOMEM. */
int node_dparse_feed(node_dparse_t *p, const uint8_t *d, size_t n) TR_WUR;
/* The body has ended: the last line without a newline, or the JSON
 * document, is parsed now.  0, 1 (stopped), -ENOMEM. */
int node_dparse_end(node_dparse_t *p) TR_WUR;
void node_dparse_free(node_dparse_t *p);

/* One peer record s[0..n) (JSON text) into *out: 0, or TR_ENOTFOUND (not
 * a "peer" record: skip it), TR_EPROTO (malformed JSON or field types),
 * TR_EPEERID.  Addresses that do not parse, or are over DHT_ADDR_MAX
 * bytes, or past DHT_PEER_ADDRS_MAX, are left out. */
int node_dparse_record(const char *s, size_t n, dht_peer_t *out) TR_WUR;

/* ---------------------------------------------------------- routers */

typedef struct node_deleg node_deleg_t;
typedef struct node_dlook node_dlook_t;

typedef struct node_deleg_cbs {
  /* A provider, or the peer asked for (find_peer reports only that one).
   * May cancel this lookup. */
  void (*on_peer)(void *ud, const dht_peer_t *p);
  /* The end, once, after which the lookup is gone: status 0 when a router
   * answered (an empty answer too), TR_ENOTFOUND when every router said
   * 404 (or, for IPNS, had no valid record), else the first router's
   * error (TR_EPROTO: an HTTP status other than 2xx / 404).  get_ipns:
   * val[0..vl) the best valid record (NULL when none), valid during the
   * call.  put_ipns: 0 when a router took it. */
  void (*on_done)(void *ud, int status, const uint8_t *val, size_t vl);
} node_deleg_cbs_t;

/* The routers of cfg: Routing.DelegatedRouters (strings; a non-array is
 * TR_ECONFIG) whose http:// entries are taken (trailing '/' dropped, up
 * to NODE_DELEG_ROUTERS_MAX), the others skipped with one warning in the
 * log.  *out is NULL (and 0 returned) when none is left.  0, TR_ECONFIG,
 * -ENOMEM, and http_client_new()'s errors. */
int node_deleg_new(uv_loop_t *loop, json_t *cfg, node_deleg_t **out) TR_WUR;
/* Close: every lookup still running ends with on_done(-ECANCELED) from
 * the loop (unless it was cancelled); the memory goes once the loop has
 * run.  NULL is a no-op. */
void node_deleg_free(node_deleg_t *d);
/* How many routers d asks. */
size_t node_deleg_count(const node_deleg_t *d);

/* Start a lookup on every router.  Callbacks come from the loop only,
 * never from inside these calls.  cbs must outlive the lookup.  0 with
 * *out set; TR_EUSAGE (a key that is no multihash / PeerID), TR_ELIMIT,
 * -ECANCELED (d is closing), -ENOMEM, or the first router's error when
 * no request could start.  max: providers reported per router (0:
 * NODE_DELEG_RECORDS_MAX). */
int node_deleg_find_providers(node_deleg_t *d, const uint8_t *mh, size_t mhl,
                              size_t max, const node_deleg_cbs_t *cbs,
                              void *ud, node_dlook_t **out) TR_WUR;
int node_deleg_find_peer(node_deleg_t *d, const net_peerid_t *id,
                         const node_deleg_cbs_t *cbs, void *ud,
                         node_dlook_t **out) TR_WUR;
/* now_ms: wall-clock milliseconds, for the records' validation. */
int node_deleg_get_ipns(node_deleg_t *d, const net_peerid_t *name,
                        uint64_t now_ms, const node_deleg_cbs_t *cbs,
                        void *ud, node_dlook_t **out) TR_WUR;
/* rec[0..rl) is copied; the caller has validated it. */
int node_deleg_put_ipns(node_deleg_t *d, const net_peerid_t *name,
                        const uint8_t *rec, size_t rl,
                        const node_deleg_cbs_t *cbs, void *ud,
                        node_dlook_t **out) TR_WUR;
/* Stop l before its end: no callback after this, even from inside its own
 * on_peer.  Its requests are cancelled and it is freed once they end. */
void node_deleg_cancel(node_dlook_t *l);

/* d as the RPC API's routers (rpc/rpc.h's rpc_router_t, deleg_rpc.c):
 * the routing commands ask them beside the DHTs.  *out is valid while d
 * is. */
struct rpc_router;
void node_deleg_rpc_router(node_deleg_t *d, struct rpc_router *out);

#endif /* NODE_DELEGATED_H */
