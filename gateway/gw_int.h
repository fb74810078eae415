/*
 * gw_int.h — what the gateway's files share (internal to gateway/):
 * gateway.c (request parsing, path resolution, headers, dispatch),
 * gw_file.c (file bodies, Range, content types), gw_dir.c (HTML
 * listings), gw_car.c (trustless CAR responses).
 */
#ifndef GW_INT_H
#define GW_INT_H

#include <time.h>
#include "../dag/reader.h"
#include "gateway.h"
#include "../http/stream.h"

/* Path segments (the CID included) a request may have: a bound of the URL
 * length (header bytes), not of the content. */
#define GW_MAX_SEGMENTS 8192
#define GW_CACHE_IMMUTABLE "public, max-age=29030400, immutable"
/* CORS: the request headers a page may send, the answer headers it may
 * read (Kubo's lists). */
#define GW_CORS_ALLOW_HEADERS "Content-Type, Range, User-Agent, X-Requested-With"
#define GW_CORS_EXPOSE_HEADERS                                                 \
  "Content-Range, Content-Length, Ipfs-Uri, X-Ipfs-Roots, "                    \
  "X-Chunked-Output, X-Stream-Output"
/* The same with Gateway.DeprecatedXIpfsPath (boxo's
 * WithDeprecatedXIpfsPath). */
#define GW_CORS_EXPOSE_HEADERS_XPATH GW_CORS_EXPOSE_HEADERS ", X-Ipfs-Path"
/* Ipfs-Uri values longer than this are not sent (boxo's maxIpfsUriLength:
 * under the per-field limits of common reverse proxies). */
#define GW_IPFS_URI_MAX 8192

/* Work a request may do before its answer starts, counted in bytes of
 * blocks read (a dag-pb node is parsed whole, a raw block only copied from;
 * every read also costs GW_READ_COST, so many tiny blocks count too).  Up to GW_INLINE_BUDGET it
 * runs on the loop thread, as small requests are answered fastest there;
 * past it, it starts again in the worker pool with up to GW_WORK_BUDGET,
 * so one request can neither stall the loop nor hold a worker for long. */
#define GW_READ_COST 64
#define GW_INLINE_BUDGET (512u << 10)
#define GW_WORK_BUDGET (256ull << 20)
/* The same for each piece of a streamed body, per byte of the piece (16 MiB
 * for a piece of HTTP_STREAM_PIECE, 4 MiB for one made on the loop): a DAG
 * whose pieces cost more than this to read (one that makes each byte come
 * from its own 2 MiB node) is cut short.  Files of every importer and
 * sensible chunker read a few times the piece. */
#define GW_PIECE_BUDGET(cap) ((uint64_t)(cap) * 64)

/* Rows of an HTML directory listing (about 300 bytes each); past them the
 * page says the directory holds more.  Kubo lists everything, but a page of
 * a million rows helps nobody (300 MB of HTML).  A HAMT's entries come in
 * hash order and are gathered to be sorted by name: at most this many, and
 * GW_DIR_SORT_BYTES of names and CIDs, held per listing. */
#define GW_DIR_MAX_ENTRIES 100000
#define GW_DIR_SORT_BYTES (32u << 20)

/* A get callback (dag_get_cb) over a read transaction that charges each
 * read to a budget and fails with TR_ETOOBIG, setting over, once it is
 * spent. */
typedef struct gw_budget {
  bs_txn_t *txn;
  uint64_t left;
  bool over;
  bool miss;         /* a read found a block missing: the last one is */
  dag_cid_t missing;
  /* The last block read (from the map: valid until the transaction
   * ends): read again in the same transaction (dag_stat, then dag_cat, of
   * a one-block file), it is not looked up twice. */
  bool has_last;
  dag_cid_t last;
  const uint8_t *last_data;
  size_t last_len;
} gw_budget_t;
int gw__budget_get(const dag_cid_t *cid, const uint8_t **data, size_t *len,
                   void *ud);

/* ---------------------------------------------------------- fetching */

/* Does the gateway fetch what its repo lacks?  Its timeout in ms. */
bool gw__fetching(const gw_ctx_t *ctx);
uint32_t gw__fetch_ms(const gw_ctx_t *ctx);

/* What a streamed body waits for (gw_common.c).  Every fill state of the
 * gateway begins with one, so that one wait hook serves them all: a fill
 * that meets a missing block sets cid/has and returns TR_ENOTFOUND, having
 * kept its place (the next fill starts at that block); the hook fetches
 * the block with root as the hint (the entity served: the fetcher fetches
 * ahead in its order) and resumes the stream when it is in.  A block
 * missing again right after its fetch is not fetched twice: the error
 * stands.  fetches counts the fetches started (tests). */
typedef struct gw_miss {
  const gw_ctx_t *ctx;
  dag_cid_t root;
  dag_cid_t cid;
  bool has;
  bool has_last;
  dag_cid_t last;
  uint64_t handle; /* the running fetch, 0 when none */
  http_stream_t *s;
  unsigned flags;  /* for fetch(): BS_FETCH_AHEAD for a whole-DAG CAR */
} gw_miss_t;

void gw__miss_init(gw_miss_t *m, const gw_ctx_t *ctx, const dag_cid_t *root);
/* Record b's missing block in m, if any. */
void gw__miss_note(gw_miss_t *m, const gw_budget_t *b);
/* Stream options with the wait hooks (when ctx fetches) and the size. */
http_stream_opts_t gw__stream_opts(const gw_ctx_t *ctx, uint64_t size);

/* Response formats.  The four JSON/CBOR ones serve the block's own bytes
 * under their type (IPIP-0524: no conversions): each accepts the codecs
 * gw__block_fmt() lists, else the answer is 406. */
enum {
  GW_FMT_UNIXFS,
  GW_FMT_RAW,
  GW_FMT_CAR,
  GW_FMT_TAR,
  GW_FMT_DAG_JSON,
  GW_FMT_DAG_CBOR,
  GW_FMT_JSON,
  GW_FMT_CBOR,
};

/* How a block is served in one of the block formats (raw and the four
 * above): its Content-Type, the ETag's suffix ("<cid>.<suffix>"), the
 * download name's extension, and whether Content-Disposition is inline
 * (JSON, which browsers show) or attachment. */
typedef struct gw_blockfmt {
  const char *ctype;
  const char *suffix;
  const char *ext;
  bool is_inline;
} gw_blockfmt_t;

/* The block format fmt (GW_FMT_RAW, GW_FMT_DAG_JSON...), NULL for others. */
const gw_blockfmt_t *gw__blockfmt(int fmt);
/* May a block of codec be served as fmt?  dag-json and dag-cbor only as
 * themselves; json as dag-json, json or raw bytes; cbor likewise. */
bool gw__codec_fits(int fmt, uint64_t codec);
/* The format a block of codec is served in when none is asked for:
 * GW_FMT_DAG_JSON etc. for the four JSON/CBOR codecs, else GW_FMT_UNIXFS. */
int gw__codec_fmt(uint64_t codec);

/* path_cids entries a target holds in itself (a path of up to 6 names). */
#define GW_PATH_INLINE 8

/* A resolved /ipfs/ request.  Filled in two steps: the handler parses the
 * URL on the loop; gw__prepare() reads the blocks (on the loop when that is
 * cheap, in the worker pool when not), so that serving needs no more
 * reads before the body. */
/* A file's bytes read with its path (gw_target_t.head), and the part of
 * them its type is sniffed from (WHATWG's 512). */
#define GW_HEAD_MAX 4096
#define GW_SNIFF 512

typedef struct gw_target {
  dag_cid_t root;      /* the CID in the URL */
  dag_cid_t cid;       /* what the content path resolves to */
  dag_cid_t *path_cids; /* root ... parent of cid: room for nseg + 1 */
  size_t npath;        /* blocks on the way (root included, cid excluded) */
  dag_node_info_t info; /* info.target is not kept: see symlink */
  char *ipfs_path;     /* "/ipfs/<root>/<path>" as requested (decoded) */
  char *xpath;         /* the content path: the URL's own (/ipfs/ or /ipns/),
                          decoded, its trailing slash kept */
  const char *last_name; /* last path segment (for content types), or "" */
  bool trailing_slash;
  bool etag_dir;       /* index.html served for dir: the ETag is dir's CID */
  dag_cid_t dir;
  int fmt;             /* GW_FMT_* */
  bool fmt_query;      /* fmt came from ?format= (Accept is only a hint for
                          a UnixFS node: application/json still gets it) */
  bool html;           /* Accept lists text/html: a browser (DAG preview) */
  /* The URL's segments (into segbuf): [0] the CID, then the names. */
  char *segbuf;
  char **segs;
  size_t nseg;
  /* Results of gw__prepare(). */
  int rc;              /* 0; 1/2: not UnixFS (fine for raw, CAR); <0 */
  dag_cid_t err_at;    /* rc < 0: where it failed, and the name looked up */
  const char *err_name;
  bool budget_over;    /* rc < 0 because the work budget ran out */
  bool has_missing;    /* a block was missing (rc may still be 0: a broken
                          index.html lists the directory when offline) */
  dag_cid_t missing;
  bool has_index;      /* a directory with an index.html file */
  dag_cid_t index;
  dag_node_info_t index_info;
  size_t head_len;     /* of head[], below */
  uint8_t *symlink;    /* a symlink's target (allocated) */
  /* _redirects (gw_site.c): site is GW_SITE_* (set by the handler);
   * rewritten once a 200 rule has replaced the path (never twice);
   * redir_status a 3xx redirect to redir_msg, or 500 with redir_msg as the
   * reason; status a custom error page's (404, 410, 451) served as t->cid. */
  int site;
  bool rewritten;
  int redir_status;
  char *redir_msg;
  int status;
  dag_cid_t str_cid;   /* the CID cid_str spells (len 0: none yet) */
  /* Which buffers live in the target's own allocation (parse_target puts
   * them after the struct, sized by the URL; path_cids in path_inl when
   * few): gw__target_free frees the others. */
  uint8_t inl;         /* GW_INL_* */
  /* What follows is written before it is read (resolve(), read_unixfs()),
   * so parse_target() leaves it uncleared: zeroing these 4.6 KiB cost the
   * 1 KiB answer more than anything else the gateway does for it. */
  /* Cache-Control of an answer for an /ipns/ path whose records' TTL is
   * known ("public, max-age=TTL", as boxo); "" none: a mutable path. */
  char ipns_cc[40];
  char cid_str[DAG_CID_STR_MAX]; /* t->cid as text, set with roots_hdr */
  char roots_hdr[4096]; /* X-Ipfs-Roots: CIDs of each step (as many as fit) */
  /* A file's first bytes: its type is sniffed from the first GW_SNIFF,
   * and a file that fits whole is served from here, without reading it
   * a second time (most of what a small answer cost after its path). */
  uint8_t head[GW_HEAD_MAX];
  dag_cid_t path_inl[GW_PATH_INLINE];
} gw_target_t;

enum {
  GW_INL_PATHS = 1, /* segbuf, segs, ipfs_path */
  GW_INL_CIDS = 2,  /* path_cids (path_inl) */
  GW_INL_XPATH = 4,
};

void gw__target_free(gw_target_t *t);
/* Free t's segbuf, segs, ipfs_path and path_cids, which the caller
 * replaces with buffers of its own (tr_malloc'd: freed with t). */
void gw__target_drop_paths(gw_target_t *t);

/* c (t->cid, t->dir...) as text: t->cid_str when it spells c (resolve()
 * keeps the string of what it resolved to, so that the answer's headers do
 * not encode the CID again), else encoded into buf. */
const char *gw__cid_str(const gw_target_t *t, const dag_cid_t *c,
                        char buf[DAG_CID_STR_MAX]);
/* The strong ETag "<s>" of a CID string s into out[0..cap), suffix (NULL:
 * none) after a '.' ("<s>.<suffix>"); truncated to fit. */
#define GW_ETAG_MAX (DAG_CID_STR_MAX + 16)
void gw__etag(const char *s, const char *suffix, char *out, size_t cap);

/* Resolve t's path and read what serving it needs, within budget bytes of
 * reads; sets t->rc and the results above.  Thread-safe for distinct t. */
void gw__prepare(bs_env_t *env, gw_target_t *t, uint64_t budget);

/* Split the part of an /ipfs/ path after "/ipfs/" into percent-decoded
 * segments: the CID, then each name.  A pure function (no I/O, no
 * allocation) so the fuzzer can drive it.  buf must have room for
 * strlen(p) + 1 bytes and segs for GW_MAX_SEGMENTS + 1 pointers; the
 * segments point into buf.  Empty segments ("a//b") are skipped.
 * *trailing_slash tells whether p ends in '/'.
 * Returns 0 with *nseg >= 1, or
 *   TR_EPATH    no segment at all (no CID);
 *   TR_ETOOBIG  more than GW_MAX_SEGMENTS + 1 segments;
 *   -EINVAL     a malformed escape, an encoded NUL or '/', "." or "..". */
int gw__split_path(const char *p, char *buf, char **segs, size_t *nseg,
                   bool *trailing_slash);

/* The content path's headers on every answer to it, errors and redirects
 * included, as boxo sets them once the path is known (IPIP-0548):
 * Ipfs-Uri, the path as an ipfs:// or ipns:// URI (the root in canonical
 * form: a CIDv1 in base32, a key as a base36 libp2p-key CID, a DNSLink
 * name in lower case; each segment percent-encoded but for RFC 3986's
 * unreserved bytes; the trailing slash kept), left out when the root has
 * no canonical form here or the URI is over GW_IPFS_URI_MAX; and, with
 * ctx->xipfs_path, X-Ipfs-Path (the path itself), left out when a byte of
 * it cannot be in an HTTP field value.  segs are the decoded segments, the
 * root first (gw__split_path); root (may be NULL) is segs[0] parsed, for
 * an /ipfs/ path whose caller has it already. */
void gw__path_headers(http_req_t *req, const gw_ctx_t *ctx, bool ipns,
                      const dag_cid_t *root, char *const *segs, size_t nseg,
                      bool trailing_slash);
/* The PeerID bytes (a multihash, 64 bytes at most) an IPNS name stands
 * for: base58 (12D3Koo..., Qm...) or a libp2p-key CID in any base.  0 or
 * -1 (not a key: a DNSLink name, or junk). */
int gw__name_id(const char *name, size_t n, uint8_t out[64], size_t *len);
/* The same name's canonical text, the base36 CIDv1 libp2p-key, into out:
 * its length, or -1. */
int gw__name_base36(const char *name, size_t n, char *out, size_t cap);
/* Ipfs-Uri's value for such a path into out (cap bytes): its length, or
 * -1 when there is none (see above). */
int gw__ipfs_uri(bool ipns, const dag_cid_t *root, char *const *segs,
                 size_t nseg, bool trailing_slash, char *out, size_t cap);

/* Common headers: X-Ipfs-Roots, Cache-Control immutable, ETag and the
 * caller's (the path's are the request's own: gw__path_headers).  Writes
 * into h (room for n + 6) and returns the count. */
size_t gw__std_headers(const gw_target_t *t, const char *etag,
                       http_header_t *h, size_t n);

/* A Range the answer cannot honour, as Kubo answers it: malformed (-2
 * from the range parser) is boxo's 400 "invalid range request: invalid
 * range"; one that overlaps nothing is Go's ServeContent's 416 with
 * Content-Range "bytes * /size" and "invalid range: failed to overlap" as
 * text.  The answer's own headers h[0..n) (Content-Disposition,
 * Last-Modified) and the common ones go with a 416, and with a 400 too
 * when block (boxo's block path has set them by then; its file path has
 * not).  h has room for n + 9. */
void gw__range_refused(http_req_t *req, const gw_target_t *t,
                       const char *etag, http_header_t *h, size_t n,
                       uint64_t size, bool malformed, bool block);

/* 412 as Go's ServeContent answers a failed If-Match or
 * If-Unmodified-Since: the answer's headers (Last-Modified when has_mod)
 * and no body. */
void gw__precondition_failed(http_req_t *req, const gw_target_t *t,
                             const char *etag, bool has_mod, int64_t mod);

/* If-None-Match matches etag: answer 304 and return true. */
bool gw__not_modified(http_req_t *req, const gw_target_t *t, const char *etag);

/* An answer's modification time, as boxo's addCacheControlHeaders picks
 * it: the node's UnixFS 1.5 mtime when mtime says to use it (file answers)
 * and it has one, else the time of this answer for an /ipns/ path (boxo
 * dates it from the name's resolution), else none (false).  The Unix epoch
 * is none, as Go's ServeContent takes it, and so is a time an HTTP date
 * cannot hold.  *sec and its Last-Modified value in date when true. */
bool gw__modtime(const gw_target_t *t, bool mtime, int64_t *sec,
                 char date[40]);

/* The conditions Go's ServeContent checks, for a file or block answer with
 * ETag etag and modification time mod (has_mod): an If-Match without etag
 * or a later If-Unmodified-Since is a 412 (gw__precondition_failed), a
 * matching If-None-Match a 304, and
 * without If-None-Match an If-Modified-Since not before mod a 304.  True
 * when one answered. */
bool gw__preconditions(http_req_t *req, const gw_target_t *t,
                       const char *etag, bool has_mod, int64_t mod);
/* Does an If-None-Match / If-Match list contain etag (or "*")? */
bool gw__etag_in(const char *list, const char *etag);

/* Serve the file at t->cid (Range, content type, streaming). */
void gw__serve_file(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t);
/* Serve an HTML listing of the directory at t->cid. */
void gw__serve_dir_listing(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t);
/* Trustless CAR: dag-scope (all|entity|block), entity-bytes, dups. */
void gw__serve_car(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t);
/* The block t->cid as it is, in the block format bf (raw, dag-json,
 * dag-cbor, json, cbor): one range of it, ?filename=, ?download=true. */
void gw__serve_block(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t,
                     const gw_blockfmt_t *bf);
/* ?format=tar: the UnixFS DAG at t->cid as a tar stream (gw_tar.c). */
void gw__serve_tar(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t);
/* The HTML preview of the DAG-JSON/DAG-CBOR/JSON/CBOR block t->cid
 * (gw_dag.c): what a browser gets. */
void gw__serve_dag_preview(http_req_t *req, gw_ctx_t *ctx, gw_target_t *t);

/* HTML-escape s into out (NUL-terminated, truncated to outsz). */
/* Write a Content-Disposition value of kind ("attachment" or "inline")
 * for fname (UTF-8) into out[0..cap): filename="..." with an ASCII
 * fallback, and filename*=UTF-8''... when the name is not plain ASCII.
 * Truncated to fit. */
void gw__content_disposition(char *out, size_t cap, const char *kind,
                             const char *fname);
void gw__html_escape(const char *s, size_t n, char *out, size_t outsz);
/* Percent-encode a path segment for an href (truncated to fit). */
void gw__url_escape(const char *s, size_t n, char *out, size_t outsz);
/* Append s[0..n) to out at *o, percent-encoded (upper-case hex) but for
 * RFC 3986's unreserved bytes and those in keep (NULL: none; a NUL byte is
 * always encoded), leaving room for a NUL in cap.  False, with what fit
 * written, when it does not all fit.  The gateway's one encoder (gw_common.c):
 * Ipfs-Uri, hrefs, _redirects' substitutions. */
bool gw__pct_put(char *out, size_t cap, size_t *o, const char *s, size_t n,
                 const char *keep);

/* ------------------------------------------------------- /routing/v1 */

/* Kinds of /routing/v1/ endpoints, and the two answer formats. */
enum { GW_RT_PROVIDERS = 1, GW_RT_PEERS, GW_RT_IPNS };
enum { GW_RT_JSON = 1, GW_RT_NDJSON };
/* Longest key segment of a /routing/v1/ path (percent-encoded). */
#define GW_RT_KEY_MAX 512

/* The Delegated Routing V1 API (gw_routing.c): answers every request
 * whose path starts with /routing/v1/. */
void gw__routing_handle(http_req_t *req, gw_ctx_t *ctx);

/* Pure parts of gw_routing.c, for the tests and the fuzzer.
 *
 * gw__rt_route: the endpoint a path names, GW_RT_*, with *key, *kl its
 * last segment (not decoded, a view into path); 0 when it names none.
 *
 * gw__rt_accept: the format an Accept header (NULL: none) asks of a list
 * answer, as boxo decides: GW_RT_NDJSON when it lists application/x-ndjson,
 * else GW_RT_JSON when none is given or it lists application/json or * / *;
 * TR_ENOTFOUND when it lists neither; -EINVAL when an item is not a media
 * type.
 *
 * gw__rt_key: the key segment s[0..n) (percent-encoded) of a route of kind
 * as the multihash the router takes, into out[0..cap), length *len:
 * providers: a CID's multihash; peers: a PeerID (bare base58btc "Qm..." or
 * "1...", or a CID of any codec, as boxo's parsePeerID); IPNS: a CIDv1 of
 * codec libp2p-key.  0; TR_ETOOBIG (n > GW_RT_KEY_MAX), -EINVAL (a bad
 * escape), TR_ECODEC (an IPNS name of another codec), TR_EBUFSIZE, and the
 * errors of dag_cid_parse() and dag_mh_parse() (also TR_EMULTIHASH for
 * bytes after the multihash). */
int gw__rt_route(const char *path, const char **key, size_t *kl);
int gw__rt_accept(const char *accept);
int gw__rt_key(int kind, const char *s, size_t n, uint8_t *out, size_t cap,
               size_t *len);

/* gw_ipns.c: resolve /ipns/NAME/... through ctx->router, then hand the
 * /ipfs/ path it points at to serve (gateway.c's: a callback, so that the
 * two files do not call each other in a circle), with the /ipns/ path that
 * was asked (path as gw__serve_ipns got it: for a DNSLink site or a
 * NAME.ipns subdomain not the request's own path), for X-Ipfs-Path, and
 * how long the answer may be cached (ttl_s, the shortest TTL of the IPNS
 * records on the way; -1 unknown: a DNSLink name was on the way). */
typedef void (*gw_serve_fn)(http_req_t *req, gw_ctx_t *ctx, const char *path,
                            const char *asked, int64_t ttl_s);
void gw__serve_ipns(http_req_t *req, gw_ctx_t *ctx, const char *path,
                    gw_serve_fn serve);

/* gw_dnslink.c: the DNSLink value of domain (NUL-terminated) into out:
 * the map's, else (d->dns) the first dnslink= TXT record of
 * _dnslink.<domain>, else of <domain>; *ttl_s how long it may be cached
 * (the answer's, capped by d->max_ttl_s; -1 unknown: the map's).  Blocks
 * on DNS: the worker pool only.  0, TR_ENOTFOUND, -EINVAL (not a domain),
 * TR_EBUFSIZE, -EIO. */
int gw__dnslink_lookup(const gw_dnslink_t *d, const char *domain, char *out,
                       size_t cap, int64_t *ttl_s);
/* The first DNSLink among the TXT records of a DNS answer ans[0..len)
 * (a TXT record's character-strings joined): 0 with the value in out and
 * in *ttl_s the least TTL of the answer's records (CNAMEs on the way
 * included), or TR_ENOTFOUND (none, or an answer that does not parse). */
int gw__dnslink_answer(const uint8_t *ans, size_t len, char *out, size_t cap,
                       int64_t *ttl_s);
/* The DNSLink site req's Host names (its name, port cut, into host): true
 * when ctx serves DNSLink sites and the map has it (DNS is not asked for
 * a Host: a lookup for every unknown Host would cost every request). */
bool gw__dnslink_site(http_req_t *req, const gw_ctx_t *ctx, char *host,
                      size_t cap);

/* ------------------------------------------------- _redirects files */

/* gw_redirects.c: the web redirects file (specs.ipfs.tech/http-gateways/
 * web-redirects-file) as go-ipfs-redirects-file reads it.  Pure: no I/O,
 * no allocation. */
#define GW_REDIRECTS_FILE_MAX 65536 /* the spec's 64 KiB */
#define GW_REDIRECTS_PARAMS_MAX 64  /* placeholders in one rule's from */
#define GW_REDIRECTS_TO_MAX 8192    /* a target's bytes once expanded */
#define GW_REDIRECTS_ERR_MAX 256    /* a reason's, for error answers */

/* Check the whole file f[0..len) and find the first rule whose from
 * matches path[0..pl) (percent-decoded, from the site's root: "/a/b"; one
 * trailing '/' ignored).  On a match: *status (200, 301...), and its to
 * with the placeholders' values put in (percent-encoded) into to[0..cap),
 * NUL-terminated.  A reason goes to err[0..errcap) on failure.
 * Returns 1 (a match), 0 (none: *status 0), or
 *   -EINVAL      a malformed line (the reason says which, and why);
 *   TR_ETOOBIG   len > GW_REDIRECTS_FILE_MAX;
 *   TR_EBUFSIZE  the expanded target does not fit in cap. */
int gw__redirects_eval(const char *f, size_t len, const char *path,
                       size_t pl, int *status, char *to, size_t cap,
                       char *err, size_t errcap);
/* A redirect's Location: to (an expanded target) with the request's query
 * (raw, without '?'; NULL or "" for none) merged in, the query's
 * parameters winning over to's of the same name (the spec); bytes that
 * may not stand in a URL percent-encoded.  0, TR_EBUFSIZE. */
int gw__redirects_location(const char *to, const char *query, char *out,
                           size_t cap);

/* gw_site.c: _redirects on sites with their own origin (the spec applies
 * it there only).  What origin a request has: */
enum {
  GW_SITE_NONE,      /* a path gateway: no _redirects */
  GW_SITE_IMMUTABLE, /* CID.ipfs.HOST */
  GW_SITE_MUTABLE,   /* NAME.ipns.HOST, a DNSLink site by its Host */
};
int gw__site_kind(http_req_t *req, const gw_ctx_t *ctx);
/* In gw__prepare, when t's path names nothing (rc TR_EPATH, TR_ENOTDIR) on
 * a site: read _redirects at t's root and apply its first matching rule.
 * Returns rc as it was (no file, no rule), GW_SITE_REWRITE (t's path is
 * now the rule's target: resolve it), 0 (t->redir_status to answer, or
 * t->status and t->cid, t->info: a custom page to serve), or a read's
 * error (b->miss, b->over as for any read). */
#define GW_SITE_REWRITE 1
int gw__site_redirects(gw_target_t *t, gw_budget_t *b, int rc);
/* In dispatch: answer t->redir_status (a redirect, or the 500). */
void gw__site_answer(http_req_t *req, const gw_target_t *t);

/* gw_host.c: what the request's host (X-Forwarded-Host, else Host) is. */
enum { GW_HOST_PATH, GW_HOST_GATEWAY, GW_HOST_SUBDOMAIN };
typedef struct gw_host {
  const gw_pubgw_t *gw; /* the gateway host (GATEWAY, SUBDOMAIN) */
  bool ipns;            /* SUBDOMAIN: NAME.ipns.HOST (else CID.ipfs.HOST) */
  bool https;           /* X-Forwarded-Proto: https */
  char label[256];      /* SUBDOMAIN: the CID or name label */
  char parent[300];     /* the gateway host as asked, its port kept */
} gw_host_t;
int gw__host_parse(http_req_t *req, const gw_ctx_t *ctx, gw_host_t *out);
/* The same on the header values themselves (host: X-Forwarded-Host or
 * Host, NULL when absent; proto: X-Forwarded-Proto or NULL): what
 * fuzz_gw_host drives.  A parent is a hostname and digits after ':' only:
 * it goes into Location headers. */
int gw__host_parse_str(const gw_ctx_t *ctx, const char *host,
                       const char *proto, gw_host_t *out);
/* On a gateway host with subdomains: answer /ipfs/CID/... and
 * /ipns/NAME/... with the redirect to the subdomain (or a 400: an invalid
 * CID, one too long for a DNS label).  False when the request is not one
 * to redirect (it is served on the path). */
bool gw__host_redirect(http_req_t *req, const gw_host_t *hp);
/* On a subdomain: the content path to serve (*out, to free), 0; or 1 when
 * the request was answered (a redirect to the canonical base32 CIDv1
 * label, a 400). */
int gw__host_subdomain_path(http_req_t *req, const gw_host_t *hp, char **out);
/* A CONNECT: 200 when its target (authority-form "host:port") names this
 * gateway, else 403 (gw__connect_ok says which).  The target names it when
 * it is the address and port the client connected to (lhost, lport, as
 * http_req_local gives them), "localhost" at that port on a loopback
 * address, or a gateway host (or a subdomain of one) at that port or 80. */
void gw__connect(http_req_t *req, const gw_ctx_t *ctx);
bool gw__connect_ok(const gw_ctx_t *ctx, const char *target, const char *lhost,
                    int lport);

#endif /* GW_INT_H */
