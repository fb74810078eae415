/*
 * dns.h — DNS for DNSLink: a sans-I/O codec for TXT queries and answers
 * (RFC 1035 wire format), and a DNS-over-HTTPS resolver (RFC 8484) with a
 * TTL cache and per-suffix resolver selection, as Kubo's DNS.Resolvers and
 * DNS.MaxCacheTTL configure it.
 *
 * Layering: above common/ and http/ (the DoH requests go through trove's
 * HTTP client, https:// through its TLS layer, http/tls.h), below node/,
 * which wires the resolver into the gateway (node/dnslink.c).  The gateway
 * does not include this header: it is handed a resolver through
 * gw_dnslink_resolver_t.
 *
 * What it does not do: UDP/TCP DNS itself (dns_system_txt hands it to the
 * system resolver; the gateway's DNSLink has its own call to it, in
 * gateway/gw_dnslink.c), DNSSEC, record types other than TXT (and CNAME,
 * followed inside one answer), EDNS.
 *
 * Files: dns_msg.c (the codec: bytes in, records out, no allocation),
 * dns_doh.c (the resolver on the loop: the HTTP client, the cache) and
 * dns_sys.c (the system resolver, from the loop), dnsaddr.c (/dnsaddr
 * multiaddrs through it).
 */
#ifndef DNS_DNS_H
#define DNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../common/tr.h"

/* --------------------------------------------------------------- codec */

#define DNS_NAME_MAX 253      /* a name as text, no final dot */
#define DNS_MSG_MAX 65535     /* a DNS message's bytes (DoH too, RFC 8484) */
#define DNS_TXT_MAX 4096      /* a TXT record's joined text we hand out */
#define DNS_RR_MAX 512        /* resource records in one answer we read */
#define DNS_CNAME_MAX 8       /* CNAMEs followed inside one answer */
#define DNS_PTR_MAX 64        /* compression pointers in one name */
#define DNS_TYPE_TXT 16
#define DNS_TYPE_CNAME 5
#define DNS_CLASS_IN 1
#define DNS_RCODE_NXDOMAIN 3

/* A query for name (text, a final dot allowed, labels of 1..63 bytes,
 * DNS_NAME_MAX in all) of type qtype, class IN, recursion desired, with id,
 * into out[0..cap).  Its length, -EINVAL (not a name), TR_EBUFSIZE. */
int dns_query_encode(uint16_t id, const char *name, uint16_t qtype,
                     uint8_t *out, size_t cap) TR_WUR;

/* One TXT record of an answer: its character-strings joined (a value cut
 * in pieces of 255 joined back), and its TTL.  txt is valid during the
 * callback only and is not NUL-terminated. */
typedef int (*dns_txt_cb)(void *ud, const char *txt, size_t n, uint32_t ttl);

/* Read the answer msg[0..len) to a query (id, name, type TXT): each TXT
 * record of name, or of the name a CNAME chain in the answer leads to
 * (DNS_CNAME_MAX deep), goes to cb in order; a record whose text passes
 * DNS_TXT_MAX is skipped.  A callback's non-zero return stops the walk and
 * is returned.  *min_ttl (may be NULL) gets the least TTL of the records
 * handed to cb (and the CNAMEs followed); UINT32_MAX when none.
 *
 * Hostile input is expected: every offset is checked, a compression
 * pointer must point before itself (so there are no loops) and at most
 * DNS_PTR_MAX are followed per name, at most DNS_RR_MAX records are read.
 *
 * 0 (NOERROR, with or without records), TR_ENOTFOUND (NXDOMAIN), -EREMOTEIO
 * (another error rcode: SERVFAIL, REFUSED...), TR_EPROTO (not an answer to
 * this query: malformed, truncated (TC), another id or question),
 * TR_ETOOBIG (len over DNS_MSG_MAX), or cb's value. */
int dns_txt_parse(const uint8_t *msg, size_t len, uint16_t id,
                  const char *name, dns_txt_cb cb, void *ud,
                  uint32_t *min_ttl) TR_WUR;

/* --------------------------------------------------------------- mDNS */

/* libp2p's mDNS discovery (go-libp2p's p2p/discovery/mdns on zeroconf,
 * RFC 6762/6763): a node asks 224.0.0.251:5353 for the PTR records of
 * DNS_MDNS_SERVICE; each node answers with a PTR to its instance
 * "<name>._p2p._udp.local", the instance's SRV (port 4001, target
 * "<name>.local"), its TXT with one "dnsaddr=<multiaddr>/p2p/<id>" string
 * per address, and the A record of "<name>.local" (zeroconf's browser
 * takes an instance only with an address record).  The codec, sans-I/O;
 * node/mdns.c has the socket. */
#define DNS_MDNS_SERVICE "_p2p._udp.local"
#define DNS_MDNS_GROUP "224.0.0.251"
#define DNS_MDNS_PORT 5353
#define DNS_TYPE_A 1
#define DNS_TYPE_PTR 12
#define DNS_TYPE_SRV 33
#define DNS_TYPE_ANY 255

/* The query for DNS_MDNS_SERVICE's PTR records (id 0, as RFC 6762 18.1
 * asks of a multicast query) into out: its length, or TR_EBUFSIZE. */
int dns_mdns_query(uint8_t *out, size_t cap) TR_WUR;
/* 1 when msg[0..len) is a query (QR clear, opcode 0) with a question for
 * DNS_MDNS_SERVICE's PTR (or ANY) records, *unicast set when that
 * question's QU bit asks for a unicast answer; 0 when it is another
 * message; TR_EPROTO when malformed. */
int dns_mdns_asks(const uint8_t *msg, size_t len, bool *unicast) TR_WUR;
/* Our answer (see above) into out: name, the instance label (1 to 63
 * bytes of [a-z0-9]); txt[0..n), the TXT strings (each under 256 bytes);
 * ip4, the A record's address (NULL: none).  Its length, -EINVAL (a bad
 * label or string), TR_EBUFSIZE (give fewer strings). */
int dns_mdns_answer(const char *name, const char *const *txt, size_t n,
                    const uint8_t *ip4, uint8_t *out, size_t cap) TR_WUR;
/* One TXT character-string of an answer; s is valid during the call
 * only and not NUL-terminated. */
typedef void (*dns_mdns_txt_cb)(void *ud, const char *s, size_t len);
/* For a response (QR set): cb with each character-string of every TXT
 * record, in any section, whose owner is "<instance>._p2p._udp.local".
 * 0 (also for a message that is not a response), TR_EPROTO (malformed),
 * TR_ETOOBIG.  The same hostile-input rules as dns_txt_parse. */
int dns_mdns_txts(const uint8_t *msg, size_t len, dns_mdns_txt_cb cb,
                  void *ud) TR_WUR;

/* ------------------------------------------------------------ resolver */

#define DNS_RESOLVERS_MAX 64          /* DNS.Resolvers entries */
#define DNS_URL_MAX 1024              /* a resolver URL's bytes */
#define DNS_DOH_TIMEOUT_MS 5000u      /* a DoH request, when none is set */
#define DNS_CACHE_MAX 1024u           /* cached names */
#define DNS_CACHE_TXT_BYTES 8192u     /* a cached name's records, in all */
#define DNS_INFLIGHT_MAX 256u         /* DoH requests under way */

typedef struct dns_resolver dns_resolver_t;

typedef struct dns_resolver_opts {
  uint32_t timeout_ms;    /* a DoH request's deadline; 0: DNS_DOH_TIMEOUT_MS */
  /* Kubo's DNS.MaxCacheTTL: answers are kept min(their TTL, this);
   * 0 keeps nothing; UINT32_MAX: the answer's TTL alone. */
  uint32_t max_cache_ttl_s;
  uint32_t cache_max;     /* names; 0: DNS_CACHE_MAX */
} dns_resolver_opts_t;

/* A resolver on loop (opts NULL: the defaults) with no DoH entries yet.
 * 0, -ENOMEM (its HTTP client too). */
int dns_resolver_new(uv_loop_t *loop, const dns_resolver_opts_t *opts,
                     dns_resolver_t **out) TR_WUR;

/* Free r; every lookup not yet ended gets its callback with -ECANCELED
 * from the loop (the loop must run on).  NULL is a no-op. */
void dns_resolver_free(dns_resolver_t *r);

/* Send names under suffix ("eth.", "example.org", "." for every name;
 * case and the final dot aside) to the DoH endpoint url (https:// or
 * http://, RFC 8484 GET with ?dns=).  The longest suffix matching a name
 * wins, on label boundaries.  0, -EINVAL (not a suffix, or a URL the HTTP
 * client refuses, with a fragment, or over DNS_URL_MAX), -EPROTONOSUPPORT
 * (another scheme), TR_ELIMIT (DNS_RESOLVERS_MAX), -ENOMEM.  A suffix given
 * twice keeps the last URL. */
int dns_resolver_add(dns_resolver_t *r, const char *suffix,
                     const char *url) TR_WUR;

/* The URL that would answer for name, or NULL (no entry: the system
 * resolver's business). */
const char *dns_resolver_url(const dns_resolver_t *r, const char *name);

/* The TXT records of name, each a NUL-terminated string in txt[0..n),
 * valid during the callback only, and for how many seconds the answer may
 * be kept: the least TTL of its records (and the CNAMEs followed), for a
 * cached answer what is left of it; capped by max_cache_ttl_s when that is
 * not 0 (boxo's namesys caps what it reports so); UINT32_MAX when unknown
 * (no records, an error).  status: 0 (n may be 0: the name has no
 * TXT record), TR_ENOTFOUND (NXDOMAIN), -ETIMEDOUT (no answer within the
 * deadline), TR_EPROTO (the server's answer is not a DNS answer to the
 * query, or not HTTP 200), TR_ETOOBIG (an answer over DNS_MSG_MAX),
 * -EREMOTEIO (an error rcode), -ECANCELED (dns_resolver_free), or the HTTP
 * client's errors (-ECONNREFUSED, TR_ETLS, ...). */
typedef void (*dns_txt_done_cb)(void *ud, int status, const char *const *txt,
                                size_t n, uint32_t ttl);

/* Look up the TXT records of name through its DoH resolver, from the cache
 * when it holds them (the callback still comes from the loop, never from
 * inside this call).  *h (may be NULL) gets a handle for
 * dns_resolver_cancel, valid until the callback.  0, -ENOTSUP (no DoH
 * resolver covers name), -EINVAL (not a name), TR_ELIMIT
 * (DNS_INFLIGHT_MAX), -ENOMEM; no callback then. */
int dns_resolver_txt(dns_resolver_t *r, const char *name, dns_txt_done_cb cb,
                     void *ud, void **h) TR_WUR;

/* Stop a lookup: its callback is not called.  Only before the callback;
 * also after dns_resolver_free (r may then be NULL), for a lookup whose
 * -ECANCELED has not come yet. */
void dns_resolver_cancel(dns_resolver_t *r, void *h);

typedef struct dns_resolver_stats {
  uint64_t queries;    /* DoH requests sent */
  uint64_t cache_hits; /* lookups answered from the cache */
  uint32_t cached;     /* names in the cache now */
} dns_resolver_stats_t;

void dns_resolver_stats(const dns_resolver_t *r, dns_resolver_stats_t *st);

/* ------------------------------------------------------ system resolver */

/* The TXT records of name through the system resolver (resolv.conf;
 * libresolv's res_nquery, which blocks, in libuv's worker pool), read by
 * dns_txt_parse.  cb comes from the loop, with the records' least TTL
 * (nothing caps it) and the statuses of dns_txt_done_cb: 0 (n may be 0),
 * TR_ENOTFOUND (NXDOMAIN), -ETIMEDOUT (no answer: timeout_ms a server, one
 * try each), -EREMOTEIO, TR_EPROTO, -EIO
 * (no resolver configuration).  No cache.  *h (may be NULL) gets a handle
 * for dns_system_cancel, valid until the callback.  0, -EINVAL (not a
 * name), -ENOMEM, or libuv's error; no callback then.  The loop cannot
 * end before a lookup in the pool does (timeout_ms a server at most). */
int dns_system_txt(uv_loop_t *loop, const char *name, unsigned timeout_ms,
                   dns_txt_done_cb cb, void *ud, void **h) TR_WUR;

/* Stop a lookup: its callback is not called. */
void dns_system_cancel(void *h);

/* ------------------------------------------------------------ dnsaddr */

/* /dnsaddr (go-multiaddr-dns): /dnsaddr/<name><suffix> stands for the
 * multiaddrs of the TXT records "dnsaddr=<multiaddr>" at _dnsaddr.<name>
 * that end in <suffix> (usually /p2p/<id>, compared as text; no suffix:
 * every record).  A record that is itself a /dnsaddr is resolved in turn,
 * DNS_DNSADDR_DEPTH names deep; DNS_DNSADDR_MAX addresses at most, in the
 * order the records come.  Lookups go through the system resolver
 * (dns_system_txt), one at a time for each resolver: a lookup holds one of
 * libuv's worker threads, which the gateway and the API use too. */
#define DNS_DNSADDR_DEPTH 4u  /* names followed, the first one too */
#define DNS_DNSADDR_MAX 32u   /* addresses one resolution gives */
#define DNS_DNSADDR_MS 5000u  /* a lookup's timeout */

typedef struct dns_dnsaddr dns_dnsaddr_t;

/* 0 or -ENOMEM. */
int dns_dnsaddr_new(uv_loop_t *loop, dns_dnsaddr_t **out) TR_WUR;

/* Every resolution under way ends without its callback.  NULL: no-op. */
void dns_dnsaddr_free(dns_dnsaddr_t *r);

/* Does maddr (text) begin with /dnsaddr/? */
bool dns_is_dnsaddr(const char *maddr);

/* The end of a resolution, from the loop: status 0 and addrs[0..n)
 * (n >= 1; valid during the callback only), or TR_ENOTFOUND (no address:
 * no such name, no record for the suffix, names nested too deep) or the
 * first lookup's error when no address came (-ETIMEDOUT, ...).  The
 * callback may start and cancel resolutions, not free the resolver. */
typedef void (*dns_dnsaddr_cb)(void *ud, int status, char *const *addrs,
                               size_t n);

/* Resolve maddr ("/dnsaddr/<name>[/...]").  *h (may be NULL) gets a
 * handle for dns_dnsaddr_cancel, valid until the callback.  0, -EINVAL
 * (not /dnsaddr/<name>, or not a name), -ENOMEM; no callback then. */
int dns_dnsaddr_resolve(dns_dnsaddr_t *r, const char *maddr,
                        dns_dnsaddr_cb cb, void *ud, void **h) TR_WUR;

/* Stop a resolution before its callback: the callback is not called. */
void dns_dnsaddr_cancel(dns_dnsaddr_t *r, void *h);

#endif /* DNS_DNS_H */
