/*
 * gateway.h — the HTTP faces of a trove node, as handlers on the server of
 * http.h:
 *
 *   gw_gateway_handle  the IPFS HTTP gateway: path gateway (/ipfs/CID/path,
 *                      index.html, directory listings, Range, ETag, caching
 *                      headers) and trustless gateway (?format=raw|car and
 *                      the application/vnd.ipld.raw / .car Accept types,
 *                      dag-scope, entity-bytes), dag-json / dag-cbor /
 *                      json / cbor blocks as they are (IPIP-0524: 406 for
 *                      another codec) with pathing through their links and
 *                      an HTML preview for browsers, ?format=tar, and CORS
 *                      as Kubo sends it.  specs.ipfs.tech/http-gateways
 *                      With ctx->expose_routing, also the Delegated Routing
 *                      V1 API under /routing/v1/ (gw_routing.c).
 *   rpc_api_handle      the API listener: Kubo's RPC API under /api/v0 (the
 *                      subset DESIGN.md names, Kubo's request and response
 *                      shapes) and, later, the Pinning Service API.
 *
 * Both take a gw_ctx_t as their ud.  Blocks are read in the worker pool
 * (uv_queue_work) one bounded piece at a time and written with back-pressure,
 * so a slow client holds at most about HTTP_HIGH_WATER of a response in memory
 * and never a whole file.
 */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include "../blockstore/bs.h"
#include "../blockstore/fetch.h"
#include "../http/http.h"
#include "gw_routing.h"

/* DNSLink (gw_dnslink.c): /ipns/<domain>/... and sites served by their
 * Host header (a Host the map or DNS names, as Kubo's gateway serves a
 * DNSLink website).  The offline name map is Kubo's IPFS_NS_MAP. */
#define GW_DNSLINK_MAP_MAX 4096     /* entries of the name map */
#define GW_DNSLINK_VALUE_MAX 1024   /* a DNSLink value's bytes */
#define GW_DNSLINK_TIMEOUT_MS 5000u /* a DNS lookup's, when none is set */
#define GW_DNSLINK_ANSWER_MAX 8192  /* a DNS answer's bytes */

typedef struct gw_dnslink_entry {
  char *domain; /* as given ("example.org"), compared without case */
  char *value;  /* "/ipfs/CID[/path]" or "/ipns/NAME[/path]" */
} gw_dnslink_entry_t;

/* An asynchronous DNSLink resolver the daemon may hand the gateway (node/
 * dnslink.c: DNS-over-HTTPS for the suffixes of Kubo's DNS.Resolvers).
 * lookup() runs on the loop: 0 with *h set, then cb exactly once from the
 * loop (value: "/ipfs/..." or "/ipns/...", valid during the call, when
 * status is 0; ttl_s: how long it may be cached, the TXT record's TTL as
 * the resolver has it, -1 unknown); -ENOTSUP when it does not cover
 * domain (the system resolver is asked then, as without it); another
 * error, and no cb.
 * -ENOTSUP may also come as cb's status (a relay from another gateway
 * loop, node/gwloops.c, which learns it on the main loop): the same.
 * cb's status: 0, TR_ENOTFOUND (no DNSLink: the gateway's 500, as boxo's
 * ErrResolveFailed), -ETIMEDOUT (504), other errors (a resolver that
 * answered badly or not at all: 502).  cancel(h) before cb: no cb. */
typedef void (*gw_dnslink_cb)(void *cb_ud, int status, const char *value,
                              int64_t ttl_s);
typedef struct gw_dnslink_resolver {
  void *ud;
  int (*lookup)(void *ud, const char *domain, gw_dnslink_cb cb, void *cb_ud,
                void **h);
  void (*cancel)(void *ud, void *h);
} gw_dnslink_resolver_t;

typedef struct gw_dnslink {
  gw_dnslink_entry_t *map; /* owned (gw_dnslink_free) */
  size_t nmap;
  bool dns;                /* look names the map lacks up in DNS (TXT) */
  uint32_t dns_timeout_ms; /* per try; 0: GW_DNSLINK_TIMEOUT_MS */
  bool no_sites;           /* Kubo's Gateway.NoDNSLink: no Host sites */
  /* Kubo's DNS.MaxCacheTTL in seconds, capping the TTL a DNSLink answer is
   * cached for downstream (Cache-Control); 0: no cap (boxo: a cap of 0
   * only turns its own cache off). */
  uint32_t max_ttl_s;
  const gw_dnslink_resolver_t *resolver; /* NULL: none; not owned */
} gw_dnslink_t;

/* Parse a name map "domain:value,domain:value" (Kubo's IPFS_NS_MAP; empty
 * entries skipped) into d->map, replacing what it held.  Each domain must
 * be a DNS name with a dot, each value a /ipfs/ or /ipns/ path of
 * printable ASCII under GW_DNSLINK_VALUE_MAX.  0, -EINVAL (a malformed
 * entry: nothing is kept), TR_ETOOBIG (over GW_DNSLINK_MAP_MAX), -ENOMEM. */
int gw_dnslink_map_parse(gw_dnslink_t *d, const char *s, size_t n) TR_WUR;
void gw_dnslink_free(gw_dnslink_t *d);
/* The map's value for the domain s[0..n) (case and a final dot aside),
 * or NULL.  d may be NULL. */
const char *gw_dnslink_map_get(const gw_dnslink_t *d, const char *s, size_t n);
/* Is s[0..n) a DNS name (labels of [A-Za-z0-9_-], 1..63 long, a dot at
 * least, 253 at most, a final dot allowed)? */
bool gw_dnslink_domain_ok(const char *s, size_t n);
/* The DNSLink value of one TXT record's text s[0..n): "dnslink=<path>"
 * (blanks around the path ignored) copied to out with a NUL.  Its length,
 * TR_ENOTFOUND (not a dnslink= record), -EINVAL (a path the map would
 * refuse), TR_EBUFSIZE. */
int gw_dnslink_txt(const char *s, size_t n, char *out, size_t cap) TR_WUR;

/* Gateway hosts (gw_host.c), Kubo's Gateway.PublicGateways: a host with
 * subdomains redirects /ipfs/CID and /ipns/NAME to CID.ipfs.HOST and
 * NAME.ipns.HOST and serves those. */
#define GW_HOSTS_MAX 256

typedef struct gw_pubgw {
  char *host;          /* "localhost", "example.com": lower case, no port */
  bool subdomains;     /* UseSubdomains */
  bool inline_dnslink; /* InlineDNSLink: a DNSLink name as one label */
} gw_pubgw_t;

typedef struct gw_hosts {
  gw_pubgw_t *v; /* owned (gw_hosts_free) */
  size_t n;
} gw_hosts_t;

/* Add a host (copied, lower-cased): 0, -EINVAL (not a host name, or
 * GW_HOSTS_MAX reached), -ENOMEM. */
int gw_hosts_add(gw_hosts_t *h, const char *host, bool subdomains,
                 bool inline_dnslink) TR_WUR;
void gw_hosts_free(gw_hosts_t *h);

/* Kubo's Gateway.MaxConcurrentRequests: how many requests the gateway
 * works on at once, over all its loops (one of these, which every loop's
 * context points to).  A request past it gets boxo's 429 (Retry-After: 60,
 * Cache-Control: no-store).  A request holds its slot until its handler
 * ends it: a streamed body until its last byte is queued. */
typedef struct gw_limit {
  uint32_t max;      /* 0: no limit */
  uint32_t inflight; /* taken and given back with __atomic builtins */
} gw_limit_t;

/* The gateway's context.  With Gateway.Threads > 1 each event loop has its
 * own copy (node/gwloops.h): loop is that loop, and fetcher and router are
 * relays to the main loop's; everything else it points to (env, dnslink,
 * hosts) is shared, read-only or thread-safe (LMDB readers).  A handler
 * uses only its own loop's ctx. */
typedef struct gw_ctx {
  uv_loop_t *loop;
  bs_env_t *env;
  const char *version; /* "0.1.0", for listings */
  /* The Delegated Routing V1 API under /routing/v1/ (gw_routing.h): served
   * when expose_routing is set (Kubo's Gateway.ExposeRoutingAPI), through
   * router (NULL: every lookup is a 500, routing is off).  Not owned. */
  bool expose_routing;
  const gw_router_t *router;
  uint32_t routing_timeout_ms; /* a lookup's deadline; 0: 30 s, boxo's */
  /* Blocks the repo lacks are fetched through fetcher (blockstore/fetch.h;
   * NULL: offline, a missing block is a 504 at once), unless no_fetch
   * (Kubo's Gateway.NoFetch).  fetch_timeout_ms (0: GW_FETCH_TIMEOUT_MS,
   * boxo's retrieval timeout): the first byte of the answer must be ready
   * within it, else 504 Gateway Timeout, and once the body has started
   * each wait for a block may last as long, else the body is cut short.
   * Not owned. */
  const bs_fetcher_t *fetcher;
  uint32_t fetch_timeout_ms;
  bool no_fetch;
  /* DNSLink names and sites (NULL: none; /ipns/<domain> is a 501).  Not
   * owned. */
  const gw_dnslink_t *dnslink;
  /* Gateway hosts and their subdomains (NULL: none, a path gateway for
   * every Host).  Not owned. */
  const gw_hosts_t *hosts;
  /* Kubo's Gateway.DeprecatedXIpfsPath: send X-Ipfs-Path beside Ipfs-Uri
   * (boxo v0.43 sends only Ipfs-Uri by default: IPIP-0548). */
  bool xipfs_path;
  /* Kubo's Ipns.MaxCacheTTL in seconds: no /ipns/ answer says it may be
   * cached longer (0: no cap, as boxo's namesys takes a cap of 0). */
  uint32_t ipns_max_ttl_s;
  /* Kubo's Gateway.MaxRangeRequestFileSize in bytes: a Range request for a
   * larger file is a 501 (a CDN that mishandles ranges of big files; 0:
   * no limit). */
  uint64_t max_range_size;
  /* Kubo's Gateway.MaxConcurrentRequests (NULL: no limit; shared, not
   * owned) and Gateway.MaxRequestDuration in ms (0: none): a request not
   * over by then is a 504, or its body is cut short (http_req_deadline). */
  gw_limit_t *limit;
  uint32_t max_request_ms;
} gw_ctx_t;

/* Kubo's defaults for the two (boxo's DefaultMaxConcurrentRequests and
 * DefaultMaxRequestDuration). */
#define GW_MAX_REQUESTS 4096u
#define GW_MAX_REQUEST_MS 3600000u

/* boxo's gateway.DefaultRetrievalTimeout (Kubo's Gateway.RetrievalTimeout). */
#define GW_FETCH_TIMEOUT_MS 30000u

void gw_gateway_handle(http_req_t *req, void *ud);

/* An error answer in the form Kubo's gateway and API give: text/plain for
 * the gateway ("<status text>: <message>"), JSON {"Message","Code","Type"}
 * for the API. */
void gw_error(http_req_t *req, int status, const char *fmt, ...) TR_PRINTF(3, 4);

#endif /* GW_GATEWAY_H */
