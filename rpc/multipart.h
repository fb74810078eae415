/*
 * multipart.h — a streaming multipart/form-data parser (RFC 7578 over the
 * multipart syntax of RFC 2046), the way Kubo's RPC API receives `add`,
 * `block put` and `dag import` uploads from kubo-rpc-client and the ipfs
 * CLI:
 *
 *   --BOUNDARY\r\n
 *   Content-Disposition: form-data; name="file"; filename="dir%2Fa.txt"\r\n
 *   Content-Type: application/octet-stream\r\n
 *   \r\n
 *   <bytes>\r\n
 *   --BOUNDARY\r\n
 *   Content-Disposition: form-data; name="dir-1"; filename="dir"\r\n
 *   Content-Type: application/x-directory\r\n
 *   \r\n
 *   \r\n
 *   --BOUNDARY--\r\n
 *
 * Sans-I/O, like the CAR reader (dag/car.h): the caller feeds the body in
 * whatever pieces it arrives in and gets one event at a time back - a part's
 * headers, a run of its bytes, its end, the end of the body.  A delimiter
 * split across two feeds is recognised all the same: the bytes at the end of
 * a feed that could be the start of a delimiter are held back (they are a
 * prefix of the delimiter, so holding them costs no buffer) until the next
 * feed decides.  As in Go's mime/multipart (which Kubo uses), a delimiter
 * counts only when a blank, CR, LF or "--" follows it; "\r\n--BOUNDARYx"
 * is part data.  Part bytes are handed out as views into the caller's input
 * whenever possible, so an upload is not copied here.
 *
 * What it does not do: percent-decode filenames (kubo-rpc-client sends them
 * URL-encoded and Kubo decodes them; that is the caller's business, since
 * what a name means depends on the command), follow nested multipart/mixed
 * parts (Kubo's old directory encoding; kubo-rpc-client sends flat parts
 * with paths), or accept bare-LF line endings.  Limits: a boundary of 1..70
 * characters (RFC 2046), part headers of at most max_header bytes.
 *
 * Errors are the negative TR_E* codes of common/tr.h: TR_EMULTIPART for
 * malformed input, TR_ETOOBIG for headers over the limit, TR_ETRUNC for a
 * body that ends before its closing delimiter.  They are sticky.
 */
#ifndef RPC_MULTIPART_H
#define RPC_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tr.h"

#define RPC_MP_MAX_BOUNDARY 70
/* Default cap on one part's header block. */
#define RPC_MP_MAX_HEADER (16u << 10)

/* What rpc_mp_feed() returns. */
enum {
  RPC_MP_NEED_MORE = 0, /* all input consumed, no event */
  RPC_MP_PART = 1,      /* a part begins: ev->part is set */
  RPC_MP_DATA = 2,      /* ev->data[0..ev->len) are bytes of the current part */
  RPC_MP_PART_END = 3,  /* the current part is complete */
  RPC_MP_END = 4,       /* the closing delimiter: the body is complete */
};

/* A part's headers.  The strings are NUL-terminated views into the parser's
 * header buffer, valid until the next RPC_MP_PART event or rpc_mp_free(). */
typedef struct rpc_mp_part {
  const char *name;         /* Content-Disposition name=, "" if absent */
  const char *filename;     /* filename= as sent; NULL if absent */
  const char *content_type; /* media type, lower-cased, no parameters;
                               "" if absent */
  const char *abspath;      /* the Abspath header (Kubo's nocopy adds) or
                               NULL */
  const char *abspath_encoded; /* Abspath-Encoded, or NULL */
} rpc_mp_part_t;

typedef struct rpc_mp_event {
  rpc_mp_part_t part;   /* RPC_MP_PART */
  const uint8_t *data; /* RPC_MP_DATA: a view, valid until the next call */
  size_t len;
} rpc_mp_event_t;

/* The parser's state: public so that it can live inside another object;
 * the fields are private. */
typedef struct rpc_mp {
  int state;
  int err;
  /* The delimiter "\r\n--" + boundary. */
  char delim[RPC_MP_MAX_BOUNDARY + 5];
  size_t dlen;
  size_t held;       /* bytes at the end of the input so far that equal
                        delim[0..held) and are not yet known to be data */
  size_t release;    /* delim[0..release) turned out to be data: to emit */
  bool dash;         /* a '-' after a whole delimiter, not yet decided */
  bool release_dash; /* ... that turned out to be data */
  uint8_t after[2];  /* bytes seen right after a delimiter */
  uint8_t nafter;
  bool pad;          /* inside transport padding after a delimiter */
  bool cr;           /* after the padding, a CR was seen */
  char *hbuf;        /* tr_malloc'ed header block */
  size_t hlen, hcap, max_header;
  uint64_t parts;
  size_t clean;      /* bytes ahead known to hold no whole delimiter */
} rpc_mp_t;

/* Set p up for a body whose Content-Type header value is content_type
 * ("multipart/form-data; boundary=..."; multipart/mixed is accepted too).
 * max_header 0 means RPC_MP_MAX_HEADER.  Allocates nothing.  Errors:
 * TR_EMULTIPART (not multipart, no or bad boundary). */
int rpc_mp_init(rpc_mp_t *p, const char *content_type, size_t max_header) TR_WUR;

/* Release the header buffer.  p may then be initialised again. */
void rpc_mp_free(rpc_mp_t *p);

/* Consume bytes from in[0..len) until one event is complete or the input
 * runs out; *used is set to the bytes consumed.  Call it in a loop,
 * advancing by *used, until it returns RPC_MP_NEED_MORE (len may be 0 to
 * collect pending events).  Events come in the order
 *   (PART DATA* PART_END)* END
 * and bytes before the first delimiter (the preamble) and after the closing
 * one (the epilogue) are skipped.  Errors (sticky): TR_EMULTIPART (no CRLF
 * after a delimiter, a header line without a colon), TR_ETOOBIG (a header
 * block over max_header), -ENOMEM. */
int rpc_mp_feed(rpc_mp_t *p, const uint8_t *in, size_t len, size_t *used,
               rpc_mp_event_t *ev) TR_WUR;

/* The delimiter ("\r\n--" + boundary, not NUL-terminated) and its length:
 * for a caller that searches its input for it beforehand (rpc_mp_clean).
 * A view into p, valid while p is; it never changes after rpc_mp_init. */
const char *rpc_mp_delim(const rpc_mp_t *p, size_t *len);
/* The next n bytes fed (over any number of calls) hold no whole delimiter:
 * the caller searched them already, while they were in its cache (the
 * loop, as it reads an upload: rpc_upload.c), and rpc_mp_feed does not
 * search them again.  A hint that is wrong makes the parser miss a
 * delimiter.  Replaces the hint before it. */
void rpc_mp_clean(rpc_mp_t *p, size_t n);

/* The input has ended: 0 if the closing delimiter was seen, else TR_ETRUNC
 * (or the sticky error). */
int rpc_mp_finish(const rpc_mp_t *p) TR_WUR;

/* Extract the boundary parameter of a Content-Type value into out (room for
 * RPC_MP_MAX_BOUNDARY + 1).  0 or TR_EMULTIPART.  Exposed for tests. */
int rpc_mp_boundary(const char *content_type, char *out, size_t outsz) TR_WUR;

#endif /* RPC_MULTIPART_H */
