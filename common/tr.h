/*
 * tr.h — the helpers every trove module shares: the error table, the
 * swappable allocator and a few small utilities.
 *
 * Errors follow libuv: a function returns 0 (or a non-negative count) on
 * success and a negative code on failure.  System errors are -errno.  trove's
 * own codes live in the band [-49999, -40000], away from errno values and from
 * LMDB's own band (-30799..-30780), so one int can carry any of them.  Codes in
 * [-49999, -49000] are "fatal": the object that returned one must be torn down
 * (nghttp2's convention); nothing below the CLI aborts on them.
 *
 * All heap memory in trove goes through tr_malloc()/tr_free() so that tests
 * can swap in an allocator that fails the Nth call (tr_mem_set()).
 *
 * This file does no I/O.
 */
#ifndef TR_H
#define TR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(__GNUC__) || defined(__clang__)
#define TR_WUR __attribute__((warn_unused_result))
#define TR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TR_WUR
#define TR_PRINTF(a, b)
#endif

#define TR_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- errors */

/* XX(NAME, value, message).  Keep values stable: they are part of the ABI of
 * the RPC API's error messages and of scripts that check exit codes. */
#define TR_ERRNO_MAP(XX)                                                       \
  XX(EVARINT, -40001, "malformed varint")                                      \
  XX(EMULTIBASE, -40002, "malformed multibase string")                         \
  XX(EBASE, -40003, "unsupported multibase")                                   \
  XX(EMULTIHASH, -40004, "malformed multihash")                                \
  XX(EHASH, -40005, "unsupported hash function")                               \
  XX(ECID, -40006, "malformed CID")                                            \
  XX(ECODEC, -40007, "unsupported codec")                                      \
  XX(ETRUNC, -40008, "truncated input")                                        \
  XX(ETOOBIG, -40009, "input too large")                                       \
  XX(EBUFSIZE, -40010, "output buffer too small")                              \
  XX(ENOTFOUND, -40011, "block not found")                                     \
  XX(EMISMATCH, -40012, "block does not match its CID")                        \
  XX(EDAGPB, -40013, "malformed dag-pb node")                                  \
  XX(EUNIXFS, -40014, "malformed UnixFS data")                                 \
  XX(ECAR, -40015, "malformed CAR")                                            \
  XX(ECBOR, -40016, "malformed dag-cbor")                                      \
  XX(EPINNED, -40017, "block is pinned")                                       \
  XX(ENOTPINNED, -40018, "not pinned")                                         \
  XX(EINCOMPLETE, -40019, "DAG is incomplete: a block is missing")             \
  XX(EPATH, -40020, "no link by that name")                                    \
  XX(ENOREPO, -40021, "no trove repo there (run trove init)")                  \
  XX(EEXIST, -40022, "already exists")                                         \
  XX(ESCHEMA, -40023, "repo schema version not supported")                     \
  XX(ECONFIG, -40024, "bad config")                                            \
  XX(EUSAGE, -40025, "bad arguments")                                          \
  XX(EPINTYPE, -40026, "pinned with another type")                             \
  XX(EINDIRECT, -40027, "is pinned indirectly")                                \
  XX(ENOTFILE, -40028, "not a file")                                           \
  XX(ENOTDIR, -40029, "not a directory")                                       \
  XX(EUNSAFE, -40030, "unsafe name in DAG")                                    \
  XX(ECHUNKER, -40031, "bad chunker spec")                                     \
  XX(EMULTIPART, -40032, "malformed multipart body")                           \
  XX(EINUSE, -40033, "repo is in use by another process")                      \
  XX(EJSON, -40034, "malformed JSON")                                          \
  XX(EPATHREM, -40035, "path ends inside a block, not at a link")              \
  XX(EGIT, -40036, "malformed git object")                                     \
  XX(EFSCHANGED, -40037, "data in file did not match its filestore reference") \
  XX(EFSFILE, -40038, "the file of a filestore reference cannot be read")     \
  XX(EFSOUTSIDE, -40039, "cannot add filestore references outside the root") \
  XX(EFSOFF, -40040, "filestore is not enabled")                              \
  /* net/ (libp2p): -40100.. so that other modules can append below. */       \
  XX(EMULTIADDR, -40100, "malformed multiaddr")                                \
  XX(EPEERID, -40101, "malformed peer ID")                                     \
  XX(EKEY, -40102, "malformed or unsupported key")                             \
  XX(ESIG, -40103, "bad signature")                                            \
  XX(EPROTO, -40104, "peer broke the protocol")                                \
  XX(ENOPROTO, -40105, "protocol not supported by the peer")                   \
  XX(EPEER, -40106, "peer is not the one expected")                            \
  XX(EDECRYPT, -40107, "decryption failed")                                    \
  XX(ELIMIT, -40108, "limit reached")                                           \
  XX(EGOAWAY, -40109, "session is going away")                                \
  XX(ENOSTREAM, -40110, "no such stream, or it is closed")                     \
  XX(ENOTCONN, -40111, "not connected to that peer")                           \
  XX(EBACKOFF, -40112, "dial backoff: this dial failed moments ago")           \
  XX(ESWARMKEY, -40113, "malformed swarm.key")                                 \
  XX(EKEYTYPE, -40114, "key type not supported (Ed25519 only)")               \
  XX(ETLS, -40115, "TLS failed: handshake or certificate verification")       \
  XX(ENOADDR, -40116, "no address to dial")                                    \
  XX(ERESOLVE, -40117, "the name did not resolve to an address")              \
  XX(ENOTRANSPORT, -40118, "no transport for the address (trove dials TCP and /ws)") \
  XX(EFILTERED, -40119, "address blocked by Swarm.AddrFilters")               \
  /* dht/ records (IPNS, /pk/): -40200.. */                                    \
  XX(EIPNS, -40200, "malformed IPNS record")                                   \
  XX(EIPNSV1, -40201, "IPNS record's V1 fields differ from its signed data")   \
  XX(EVALIDITY, -40202, "unrecognized or malformed record validity")          \
  XX(EEXPIRED, -40203, "record expired")                                       \
  XX(ENOPUBKEY, -40204, "public key not found")                                \
  XX(EKEYMISMATCH, -40205, "public key does not match the name")               \
  XX(ERECKEY, -40206, "malformed record key")                                  \
  XX(ESTORE, -49001, "blockstore failure")                                     \
  XX(EMAPFULL, -49002, "repo map full and cannot grow")                        \
  XX(ECORRUPT, -49003, "repo is corrupt")

enum {
#define TR__ERR_ENUM(name, val, msg) TR_##name = (val),
  TR_ERRNO_MAP(TR__ERR_ENUM)
#undef TR__ERR_ENUM
};

/* True for codes after which the returning object must be torn down. */
#define TR_IS_FATAL(e) ((e) <= -49000 && (e) >= -49999)

/* Message for any code: trove's own, -errno, or LMDB's.  Never NULL; the
 * string is static. */
const char *tr_strerror(int err);
/* Short symbolic name ("ECID", "ENOENT"); "UNKNOWN" when unknown. */
const char *tr_errname(int err);

/* ------------------------------------------------------------- allocator */

/* An allocator.  realloc(NULL, n) must behave as malloc(n).  data is passed
 * back to each function. */
typedef struct tr_mem {
  void *(*malloc)(size_t size, void *data);
  void (*free)(void *ptr, void *data);
  void *(*calloc)(size_t n, size_t size, void *data);
  void *(*realloc)(void *ptr, size_t size, void *data);
  void *data;
} tr_mem_t;

/* Replace the allocator (NULL restores libc's).  Call it only when no memory
 * from the previous allocator is still live, i.e. at start-up or in tests.
 * This is the one piece of process-wide state outside the event loop, kept
 * for the same reason as SQLITE_CONFIG_MALLOC: fault injection in tests. */
void tr_mem_set(const tr_mem_t *mem);

void *tr_malloc(size_t size) TR_WUR;
void *tr_calloc(size_t n, size_t size) TR_WUR;
void *tr_realloc(void *ptr, size_t size) TR_WUR;
void tr_free(void *ptr);
/* Copy of s[0..n) with a trailing NUL; NULL on out-of-memory. */
char *tr_strndup(const char *s, size_t n) TR_WUR;
char *tr_strdup(const char *s) TR_WUR;

/* ------------------------------------------------------- thread slots */

/* A small number per thread, for data kept per thread where many threads
 * would otherwise write one cache line (common/brlock.h, the metrics'
 * shards): threads get slots in turn as they first ask, so the first
 * TR_SLOTS threads of the process each have their own; later ones share
 * (correct, only slower). */
#define TR_SLOTS 64

/* This thread's slot, in [0, TR_SLOTS). */
unsigned tr_thread_slot(void);

/* Bytes that keep one thread's data off another's cache lines: the pair
 * of 64-byte lines x86's adjacent-line prefetcher fetches together. */
#define TR_LINE_PAIR 128

/* n rounded up to a multiple of a, a power of two. */
static inline size_t tr_round_up(size_t n, size_t a) {
  return (n + a - 1) & ~(a - 1);
}

/* n zeroed bytes starting at a multiple of TR_LINE_PAIR (tr_calloc gives
 * only 16), or NULL when out of memory; *mem is what to tr_free. */
void *tr_calloc_pairs(size_t n, void **mem) TR_WUR;

/* ------------------------------------------------- little-endian words */

/* Unaligned little-endian loads and stores, for hash functions and file
 * formats that define their words so (on little-endian machines the
 * memcpy is one move). */
static inline uint32_t tr_le32(const uint8_t *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
#else
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
#endif
}

static inline uint64_t tr_le64(const uint8_t *p) {
  return (uint64_t)tr_le32(p) | (uint64_t)tr_le32(p + 4) << 32;
}

static inline void tr_put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static inline void tr_put_le64(uint8_t *p, uint64_t v) {
  tr_put_le32(p, (uint32_t)v);
  tr_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* -------------------------------------------------------- growable bytes */

/* A growable byte buffer for cold paths (CLI output, building small
 * messages).  Hot paths use caller memory instead. */
typedef struct tr_bytes {
  uint8_t *data;
  size_t len;
  size_t cap;
  bool borrowed; /* data is caller memory (tr_bytes_borrow): never freed */
} tr_bytes_t;

/* Start b over caller memory buf[0..cap); the first growth past it moves the
 * bytes to the heap.  Lets hot paths avoid malloc for the common small case.
 * tr_bytes_free() must still be called. */
static inline void tr_bytes_borrow(tr_bytes_t *b, void *buf, size_t cap) {
  b->data = (uint8_t *)buf;
  b->len = 0;
  b->cap = cap;
  b->borrowed = true;
}

/* Append n bytes.  0, or -ENOMEM (b is unchanged then). */
int tr_bytes_append(tr_bytes_t *b, const void *p, size_t n) TR_WUR;
/* Ensure room for n more bytes.  0 or -ENOMEM. */
int tr_bytes_reserve(tr_bytes_t *b, size_t n) TR_WUR;
void tr_bytes_free(tr_bytes_t *b);

/* ------------------------------------------------- set of fingerprints */

/* A 128-bit fingerprint of a block (see dag_mh_fp()).  128 bits, keyed per
 * process, because walks trust the set: a block found in it is taken as
 * already walked, so a false hit would skip a subtree (GC would delete it,
 * a CAR would lack it).  At 2^-128 per pair that cannot happen by chance,
 * and the secret key keeps a peer from crafting one. */
typedef struct tr_fp {
  uint64_t hi, lo;
} tr_fp_t;

static inline bool tr_fp_eq(tr_fp_t a, tr_fp_t b) {
  return a.hi == b.hi && a.lo == b.lo;
}

/* An open-addressing set of non-zero fingerprints: what GC's mark, DAG
 * walks, `refs --unique` and CAR responses use to remember the blocks they
 * have seen, at 32 bytes a block at most.  Zero-initialise it; free it with
 * tr_fpset_free(). */
typedef struct tr_fpset {
  tr_fp_t *slots;
  size_t cap; /* a power of two, or 0 */
  size_t n;
} tr_fpset_t;

/* Add v (which must not be all zero).  1 if added, 0 if it was there,
 * -ENOMEM. */
int tr_fpset_add(tr_fpset_t *s, tr_fp_t v) TR_WUR;
bool tr_fpset_has(const tr_fpset_t *s, tr_fp_t v);
void tr_fpset_free(tr_fpset_t *s);

/* A map from non-zero fingerprints to pointers (open addressing, linear
 * probing, deletion by backward shift so no tombstones pile up): what
 * bitswap keeps its wants and ledgers by CID in.  Zero-initialise it; free
 * it with tr_fpmap_free() (the values are the caller's). */
typedef struct tr_fpmap {
  tr_fp_t *keys;
  void **vals;
  size_t cap; /* a power of two, or 0 */
  size_t n;
} tr_fpmap_t;

/* Set k to v (replacing).  0 or -ENOMEM. */
int tr_fpmap_put(tr_fpmap_t *m, tr_fp_t k, void *v) TR_WUR;
void *tr_fpmap_get(const tr_fpmap_t *m, tr_fp_t k); /* NULL: absent */
/* Remove k; returns its value (NULL: absent). */
void *tr_fpmap_del(tr_fpmap_t *m, tr_fp_t k);
/* Visit each value (the map must not change meanwhile). */
void tr_fpmap_each(const tr_fpmap_t *m, void (*fn)(void *ud, void *v),
                   void *ud);
void tr_fpmap_free(tr_fpmap_t *m);

/* ------------------------------------------------------------- durations */

/* A duration as Go's time.ParseDuration reads it, with Kubo's "d" (24 h)
 * too: one or more decimal numbers, each with a unit (ns, us, µs, ms, s,
 * m, h, d): "300ms", "1.5h", "48h0m0s", "7d2h45m"; a bare "0" as Go
 * takes it.  No sign.  Into *ns.
 * 0 or TR_EUSAGE (malformed, or over UINT64_MAX ns). */
int tr_parse_duration(const char *s, uint64_t *ns) TR_WUR;

/* Longest text tr_format_duration() writes, with its NUL. */
#define TR_DURATION_STR_MAX 32
/* ns as Go's time.Duration.String() writes it: "5m0s", "1h0m0s",
 * "1.5s", "300ms", "1.5\xc2\xb5s", "0s", "-2ns" (hours the largest unit,
 * fractions without trailing zeros).  Returns the length. */
int tr_format_duration(int64_t ns, char out[TR_DURATION_STR_MAX]);

/* ----------------------------------------------------------------- rates */

/* A rate as the config writes one: an integer string (bytes per second)
 * or a number with a unit, "50MiB", "8 MB/s", "1GiB" (B, kB/KB, KiB, MB,
 * MiB, GB, GiB; an optional "/s").  Into *rate.  0 or TR_ECONFIG
 * (malformed, negative, or over 1e15). */
int tr_parse_rate(const char *s, uint64_t *rate) TR_WUR;

/* A token bucket (rate.c), sans-I/O: the caller passes its clock (ms) and
 * arms its own timer from tr_bucket_wait_ms.  Tokens may go below zero
 * (tr_bucket_take charges what was really read, which can be more than
 * was available), and the debt is paid back before any is available
 * again, so over any span T the bytes charged stay under
 * burst + rate * T + the last charge.  rate 0: unlimited (avail is
 * UINT64_MAX, wait 0).  Rates and bursts are capped at
 * TR_BUCKET_RATE_MAX.  A plain struct: no allocation, nothing to free. */
#define TR_BUCKET_RATE_MAX 1000000000000ull /* 1 TB/s */
typedef struct tr_bucket {
  uint64_t rate;  /* bytes per second; 0: unlimited */
  uint64_t burst; /* most bytes the bucket holds (>= 1) */
  int64_t tokens; /* thousandths of a byte, may be negative */
  uint64_t at_ms; /* the clock at the last refill */
} tr_bucket_t;

/* Start full, at now_ms. */
void tr_bucket_init(tr_bucket_t *b, uint64_t rate, uint64_t burst,
                    uint64_t now_ms);
/* Whole bytes that may be taken now (0 while in debt). */
uint64_t tr_bucket_avail(tr_bucket_t *b, uint64_t now_ms);
/* Charge n bytes (taken already, or about to be). */
void tr_bucket_take(tr_bucket_t *b, uint64_t n, uint64_t now_ms);
/* Milliseconds from now_ms until want bytes (at most the burst) are
 * available; 0 if they are now. */
uint64_t tr_bucket_wait_ms(tr_bucket_t *b, uint64_t want, uint64_t now_ms);

/* --------------------------------------------------------------- logging */

enum { TR_LOG_ERROR = 0, TR_LOG_WARN, TR_LOG_INFO, TR_LOG_DEBUG };

/* Log one line to stderr: "2026-11-26T02:50:00Z INFO  message".  Lines
 * above the level set by tr_log_level() (default INFO; the TROVE_LOG
 * environment variable, "error".."debug", sets it at start-up) are
 * dropped.  The level, like the allocator, is process-wide configuration. */
void tr_log(int level, const char *fmt, ...) TR_PRINTF(2, 3);
void tr_log_level(int level);
/* The level lines are logged at now (TROVE_LOG's at start-up). */
int tr_log_current(void);
/* Parse "error", "warn", "info", "debug"; -1 if unknown. */
int tr_log_parse(const char *name);
/* A tap on the log (the daemon's `log tail`): fn(ud, level, ts, line)
 * for every line written, from whichever thread logs it, under a lock
 * (so fn must be quick and must not log).  One tap; fn NULL removes it,
 * and once tr_log_tap returns, the old fn is not running and will not
 * run again. */
typedef void (*tr_log_tap_fn)(void *ud, int level, const char *ts,
                              const char *line);
void tr_log_tap(tr_log_tap_fn fn, void *ud);

/* --------------------------------------------------------------- I/O */

/* Read up to n bytes of fd into p, fewer only at its end (read(2) again
 * after short counts and EINTR): the count, or -errno. */
ssize_t tr_read_full(int fd, void *p, size_t n) TR_WUR;

/* -------------------------------------------------------------- hex */

/* Lower-case hex of in[0..n) into out (2n+1 bytes, NUL-terminated). */
void tr_hex(const uint8_t *in, size_t n, char *out);
/* The value of one hex digit, either case; -1 for any other byte. */
int tr_hexval(int c);

/* FNV-1a of p[0..n): a cheap 64-bit hash, not resistant to chosen input
 * (an ETag, a table bucket of keys that are hashes already). */
uint64_t tr_fnv1a(const void *p, size_t n);

/* ------------------------------------------------------------- utf-8 */

/* The length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) at s[0..n), or 0 when s does not
 * start with one.  n must be > 0.  (common/utf8.c) */
size_t tr_utf8_seq(const uint8_t *s, size_t n);
/* The UTF-8 of code point c (at most U+10FFFF) into out: its length,
 * 1 to 4. */
size_t tr_utf8_put(uint32_t c, uint8_t out[4]);
/* Whether s[0..n) is valid UTF-8 throughout. */
bool tr_utf8_valid(const char *s, size_t n);
/* A copy of s[0..n) made valid UTF-8 the way Go's encoding/json writes a
 * string (and so Kubo's JSON answers): each byte that does not begin a
 * valid sequence becomes U+FFFD.  NUL-terminated; its length in *outlen
 * (may be NULL).  NULL on out-of-memory. */
char *tr_utf8_fix(const char *s, size_t n, size_t *outlen) TR_WUR;

#endif /* TR_H */
