/*
 * psa_client.h — a client of the IPFS Pinning Service API
 * (ipfs/pinning-services-api-spec, ipfs-pinning-service.yaml v1.0.0), as
 * go-pinning-service-http-client (Kubo's `ipfs pin remote`) talks to it:
 *
 *   list     GET    {endpoint}/pins?cid=&name=&match=&status=&before=&after=&limit=&meta=
 *   add      POST   {endpoint}/pins            body Pin       -> 202 PinStatus
 *   get      GET    {endpoint}/pins/{requestid}                -> 200 PinStatus
 *   replace  POST   {endpoint}/pins/{requestid} body Pin      -> 202 PinStatus
 *   delete   DELETE {endpoint}/pins/{requestid}                -> 202
 *
 * every request with "Authorization: Bearer KEY".  `trove pin remote`
 * (the CLI on its own loop, and the daemon's /api/v0/pin/remote/...) and
 * `trove mirror follow URL` (mirror/follow.c, on the daemon's loop) use it.
 *
 * http:// and https:// endpoints (http/client.h's TLS, certificates
 * checked against the system store); another scheme is -EPROTONOSUPPORT.
 *
 * Hostile answers.  A service is another party: every answer is bounded
 * (MIR_PSA_BODY_MAX bytes, MIR_PSA_RESULTS_MAX results a page, the
 * spec's caps on names, origins, delegates and meta) and checked field by
 * field before anyone sees it: a requestid that is empty, too long or has
 * control characters, a status outside the four, a CID that does not
 * parse, a created time that is not RFC 3339, a count below the results
 * given, non-string origins or meta values: the whole answer is refused
 * with TR_EPROTO (a list page is all or nothing, so a follower never acts
 * on half a page).  Unknown fields are ignored, as the spec allows.
 *
 * The parser (mir_psa_parse_*) is sans-I/O; the requests run on a libuv
 * loop (one thread: the loop's).
 */
#ifndef MIRROR_PSA_CLIENT_H
#define MIRROR_PSA_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../common/tr.h"

#define MIR_PSA_BODY_MAX (8u << 20)  /* an answer's body */
#define MIR_PSA_RESULTS_MAX 1000u    /* results of one page (spec: limit <= 1000) */
#define MIR_PSA_LIMIT_DEFAULT 1000u  /* page size asked when listing everything */
#define MIR_PSA_REQID_MAX 255u       /* a requestid's bytes */
#define MIR_PSA_CID_MAX 255u         /* a CID's text */
#define MIR_PSA_NAME_MAX 255u        /* spec: Pin.name maxLength */
#define MIR_PSA_ADDRS_MAX 20u        /* spec: origins / delegates maxItems */
#define MIR_PSA_ADDR_MAX 1024u       /* one multiaddr's text */
#define MIR_PSA_META_MAX 64u         /* meta entries */
#define MIR_PSA_META_LEN 4096u       /* meta key or value bytes */
#define MIR_PSA_REASON_MAX 256u      /* error.reason kept */
#define MIR_PSA_DETAILS_MAX 1024u    /* error.details kept */
#define MIR_PSA_URL_MAX 2048u        /* endpoint, and a whole request URL */
#define MIR_PSA_KEY_MAX 4096u        /* the access token */
#define MIR_PSA_TIMEOUT_MS 60000u    /* one request, start to end */
#define MIR_PSA_PAGES_MAX 100000u    /* pages one mir_psa_list_all reads */

/* ------------------------------------------------------------ objects */

enum { MIR_PSA_QUEUED = 1, MIR_PSA_PINNING = 2, MIR_PSA_PINNED = 4,
       MIR_PSA_FAILED = 8, MIR_PSA_ALL = 15 };

/* "queued" ... for one status bit; NULL for anything else. */
const char *mir_psa_status_name(unsigned st);
/* The bit of a status name, 0 if it is none. */
unsigned mir_psa_status_bit(const char *s, size_t n);
/* A comma-separated list of names ("queued,pinned") into bits: 0, or
 * TR_EUSAGE naming no valid status (an empty list too). */
int mir_psa_status_mask(const char *s, unsigned *out) TR_WUR;

/* A PinStatus, checked.  Strings are NUL-terminated copies; origins,
 * delegates and meta are owned JSON values (arrays of strings, an object
 * of strings; never NULL after a parse: empty when absent). */
typedef struct mir_psa_pin {
  char requestid[MIR_PSA_REQID_MAX + 1];
  unsigned status;               /* one MIR_PSA_* bit */
  char created[40];              /* as sent (RFC 3339) */
  int64_t created_ms;            /* the same, ms since 1970 (UTC) */
  int64_t created_us;            /* and in microseconds: a walk's order
                                  * (trove's created are unique per µs) */
  char cid[MIR_PSA_CID_MAX + 1];
  char name[MIR_PSA_NAME_MAX + 1];
  json_t *origins, *delegates, *meta;
} mir_psa_pin_t;

void mir_psa_pin_free(mir_psa_pin_t *p); /* the JSON values; not p */

typedef struct mir_psa_page {
  uint64_t count;       /* the service's total of matching pins */
  size_t n;             /* results on this page */
  mir_psa_pin_t *pins;  /* n of them, owned */
} mir_psa_page_t;

void mir_psa_page_free(mir_psa_page_t *pg);

/* ------------------------------------------------------------- parser */

/* One PinStatus (JSON text s[0..n)) into *out (zeroed first): 0,
 * TR_EPROTO (malformed or out of bounds), TR_ETOOBIG (over
 * MIR_PSA_BODY_MAX), -ENOMEM.  On error *out holds nothing to free. */
int mir_psa_parse_status(const char *s, size_t n, mir_psa_pin_t *out) TR_WUR;
/* A PinResults page: same codes; also TR_EPROTO past MIR_PSA_RESULTS_MAX
 * or more results than count. */
int mir_psa_parse_page(const char *s, size_t n, mir_psa_page_t *out) TR_WUR;
/* The spec's Failure {"error":{"reason","details"}}: reason/details
 * copied (truncated to rn/dn-1 bytes, control characters replaced by
 * '?'); when the body is not one, reason is "HTTP_<code>"-free "" and 0
 * is still returned.  Never fails. */
void mir_psa_parse_failure(const char *s, size_t n, char *reason, size_t rn,
                           char *details, size_t dn);
/* The spec's time format "2006-01-02T15:04:05[.frac](Z|+hh:mm)" into ms:
 * 0 or TR_EPROTO. */
int mir_psa_parse_time(const char *s, int64_t *ms) TR_WUR;
/* The same in microseconds (digits past the sixth dropped). */
int mir_psa_parse_time_us(const char *s, int64_t *us) TR_WUR;
/* ms as "2006-01-02T15:04:05.000Z" into out (>= 25 bytes). */
void mir_psa_format_time(int64_t ms, char *out, size_t n);
/* us as "2006-01-02T15:04:05Z" with digits (0..6) of fraction. */
void mir_psa_format_time_us(int64_t us, int digits, char *out, size_t n);

/* ------------------------------------------------------------- client */

typedef struct mir_psa mir_psa_t;
typedef struct mir_psa_op mir_psa_op_t;

/* The endpoint as Kubo normalises it (pin/remotepin.go normalizeEndpoint):
 * an http:// or https:// URL without query, path cleaned of duplicate
 * and trailing slashes, not ending in /pins.  out gets it (n bytes).
 * 0, TR_EUSAGE with a message in err[0..en) (Kubo's words). */
int mir_psa_endpoint_normalize(const char *in, char *out, size_t n,
                               char *err, size_t en) TR_WUR;

/* A client of one service on loop.  endpoint (normalised or not) and key
 * are copied.  0, TR_EUSAGE (bad endpoint, or a key with control
 * characters or over MIR_PSA_KEY_MAX), -EPROTONOSUPPORT (https://),
 * -ENOMEM, http_client_new()'s errors. */
int mir_psa_new(uv_loop_t *loop, const char *endpoint, const char *key,
                mir_psa_t **out) TR_WUR;
/* Close: operations still running end with on_done(-ECANCELED) from the
 * loop; memory goes once the loop has run.  NULL is a no-op. */
void mir_psa_free(mir_psa_t *c);

/* A list query; zero fields are left out of the URL. */
typedef struct mir_psa_query {
  const char *cids;     /* "c1,c2" (spec: up to 10) */
  const char *name;
  const char *match;    /* exact, iexact, partial, ipartial */
  unsigned status;      /* MIR_PSA_* bits; 0: the spec's default (pinned) */
  const char *before;   /* RFC 3339 */
  const char *after;
  unsigned limit;       /* 0: the service's default (10) */
  const char *meta;     /* a JSON object's text */
} mir_psa_query_t;

/* The end of an operation, once, from the loop.  status: 0; TR_EPROTO
 * (the answer broke the spec or its caps, or an HTTP status other than
 * the one expected: http_status says which, reason/details the service's
 * Failure when it sent one); TR_ENOTFOUND (404); -EACCES (401, 403);
 * http/client.h's transport errors; -ECANCELED.  On 0: a list gives
 * page, add/get/replace give pin, delete neither.  All views are valid
 * during the call only. */
typedef struct mir_psa_result {
  int status;
  int http_status;                 /* 0 when no answer came */
  const char *reason, *details;    /* never NULL; "" when none */
  const mir_psa_page_t *page;
  const mir_psa_pin_t *pin;
} mir_psa_result_t;

typedef void (*mir_psa_done_cb)(void *ud, const mir_psa_result_t *r);

/* One page of GET /pins.  0 with *out (may be NULL) set; TR_EUSAGE (a
 * field with control characters, or a URL over MIR_PSA_URL_MAX),
 * -ECANCELED (closing), -ENOMEM, http_client_request()'s errors.  No
 * callback on error. */
int mir_psa_list(mir_psa_t *c, const mir_psa_query_t *q, mir_psa_done_cb cb,
                 void *ud, mir_psa_op_t **out) TR_WUR;

/* POST /pins (add) or POST /pins/{id} (replace, id non-NULL): cid, name
 * (may be NULL), origins (NULL or a JSON array of strings) and meta (NULL
 * or a JSON object of strings), which are not stolen.  Same codes. */
int mir_psa_add(mir_psa_t *c, const char *id, const char *cid,
                const char *name, json_t *origins, json_t *meta,
                mir_psa_done_cb cb, void *ud, mir_psa_op_t **out) TR_WUR;
/* GET /pins/{id}, DELETE /pins/{id}.  Same codes. */
int mir_psa_get(mir_psa_t *c, const char *id, mir_psa_done_cb cb, void *ud,
                mir_psa_op_t **out) TR_WUR;
int mir_psa_delete(mir_psa_t *c, const char *id, mir_psa_done_cb cb,
                   void *ud, mir_psa_op_t **out) TR_WUR;

/* Every pin matching q (q->before is the walk's own; q->limit the page
 * size, 0: MIR_PSA_LIMIT_DEFAULT), page by page: each next page is asked
 * with before= one unit of the service's precision past the oldest
 * created of the last one (go-pinning-service-http-client's Ls asks
 * before= that time itself, and skips the pins sharing it that did not
 * fit the page), the pins handed out already skipped by requestid; times
 * compared at microsecond precision.  Until a page comes back short or
 * holds all its count (the pins matching the query it was asked with,
 * before= included).  on_pin is called once for each pin (return non-zero
 * to stop: on_done then gets 0); on_done once at the end with r->page
 * NULL.  A page whose pins are not all older than the before= it was
 * asked with is TR_EPROTO (a service that would loop us); more pins
 * created at one time than a page holds, TR_ELIMIT (they cannot all be
 * listed).  Codes as mir_psa_list. */
typedef int (*mir_psa_pin_cb)(void *ud, const mir_psa_pin_t *p);
int mir_psa_list_all(mir_psa_t *c, const mir_psa_query_t *q,
                     mir_psa_pin_cb on_pin, mir_psa_done_cb on_done,
                     void *ud, mir_psa_op_t **out) TR_WUR;

/* Stop op: no callback after this.  Never after its on_done. */
void mir_psa_cancel(mir_psa_op_t *op);

#endif /* MIRROR_PSA_CLIENT_H */
