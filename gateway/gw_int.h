/*
 * gw_int.h — what the gateway's files share (internal to gateway/):
 * gateway.c (request parsing, path resolution, headers, dispatch),
 * gw_file.c (file bodies, Range, content types), gw_dir.c (HTML
 * listings), gw_car.c (trustless CAR responses).
 */
#ifndef GW_INT_H
#define GW_INT_H

#include "../dag/reader.h"
#include "gateway.h"
#include "stream.h"

#define GW_MAX_SEGMENTS 64
#define GW_CACHE_IMMUTABLE "public, max-age=29030400, immutable"

/* A resolved /ipfs/ request. */
typedef struct gw_target {
  dag_cid_t root;      /* the CID in the URL */
  dag_cid_t cid;       /* what the content path resolves to */
  dag_cid_t path_cids[GW_MAX_SEGMENTS + 1]; /* root ... parent of cid */
  size_t npath;        /* blocks on the way (root included, cid excluded) */
  dag_node_info_t info;
  char ipfs_path[2048]; /* "/ipfs/<root>/<path>" as requested (decoded) */
  char roots_hdr[4096]; /* X-Ipfs-Roots: CIDs of each step */
  char last_name[512];  /* last path segment (for content types) */
  bool trailing_slash;
} gw_target_t;

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

/* Common headers: X-Ipfs-Path, X-Ipfs-Roots, Cache-Control immutable, ETag
 * and the caller's.  Writes into h (room for n + 6) and returns the count. */
size_t gw__std_headers(const gw_target_t *t, const char *etag,
                       gw_header_t *h, size_t n);

/* If-None-Match matches etag: answer 304 and return true. */
bool gw__not_modified(gw_req_t *req, const gw_target_t *t, const char *etag);

/* Serve the file at t->cid (Range, content type, streaming). */
void gw__serve_file(gw_req_t *req, gw_ctx_t *ctx, gw_target_t *t);
/* Serve an HTML listing of the directory at t->cid. */
void gw__serve_dir_listing(gw_req_t *req, gw_ctx_t *ctx, gw_target_t *t);
/* Trustless CAR: dag-scope (all|entity|block), entity-bytes, dups. */
void gw__serve_car(gw_req_t *req, gw_ctx_t *ctx, gw_target_t *t);
/* Trustless raw block of t->cid. */
void gw__serve_raw(gw_req_t *req, gw_ctx_t *ctx, gw_target_t *t);

/* HTML-escape s into out (NUL-terminated, truncated to outsz). */
void gw__html_escape(const char *s, size_t n, char *out, size_t outsz);
/* Percent-encode a path segment for an href. */
void gw__url_escape(const char *s, size_t n, char *out, size_t outsz);

#endif /* GW_INT_H */
