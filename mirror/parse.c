/*
 * parse.c — the Pinning Service API's inputs, without I/O: a Pin body
 * (JSON) and the query string of GET /pins, checked against the spec's
 * schema (ipfs-pinning-service.yaml: Pin, the list parameters) with its
 * caps.  What fails gets a reason for the 400.  Fuzzed by
 * tests/fuzz/fuzz_psa.c.
 */
#include "mir_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BAD(...)                                                               \
  do {                                                                         \
    snprintf(err, errcap, __VA_ARGS__);                                        \
    return TR_EUSAGE;                                                          \
  } while (0)

void mir__body_free(mir__body_t *b) {
  json_decref(b->root);
  free(b->origins);
  free(b->meta);
  memset(b, 0, sizeof *b);
}

static bool strings_object(const json_t *o) {
  const char *k;
  json_t *v;
  if (!json_is_object(o))
    return false;
  json_object_foreach((json_t *)o, k, v) if (!json_is_string(v)) return false;
  return true;
}

int mir__parse_body(const char *s, size_t n, mir__body_t *b, char *err,
                    size_t errcap) {
  memset(b, 0, sizeof *b);
  json_error_t je;
  b->root = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
  if (!json_is_object(b->root))
    BAD("body is not a JSON object");
  json_t *cid = json_object_get(b->root, "cid");
  if (!json_is_string(cid))
    BAD("cid is required (a string)");
  if (dag_cid_parse(&b->pin.cid, json_string_value(cid),
                    json_string_length(cid)))
    BAD("cid is not a valid CID");
  json_t *name = json_object_get(b->root, "name");
  if (name && !json_is_null(name)) {
    if (!json_is_string(name))
      BAD("name must be a string");
    if (json_string_length(name) > MIR_NAME_MAX)
      BAD("name is longer than %d", MIR_NAME_MAX);
    if (memchr(json_string_value(name), 0, json_string_length(name)))
      BAD("name holds a NUL");
    b->pin.name = json_string_value(name);
    b->pin.name_len = json_string_length(name);
  }
  json_t *o = json_object_get(b->root, "origins");
  if (o && !json_is_null(o)) {
    size_t i;
    json_t *v;
    if (!json_is_array(o) || json_array_size(o) > MIR_ORIGINS_MAX)
      BAD("origins must be an array of at most %d multiaddrs",
          MIR_ORIGINS_MAX);
    json_array_foreach(o, i, v) {
      if (!json_is_string(v) || json_string_value(v)[0] != '/')
        BAD("origins must hold multiaddr strings");
    }
    if (json_array_size(o)) {
      b->origins = json_dumps(o, JSON_COMPACT);
      if (!b->origins)
        return -ENOMEM;
      b->pin.origins = b->origins;
      b->pin.origins_len = strlen(b->origins);
    }
  }
  json_t *m = json_object_get(b->root, "meta");
  if (m && !json_is_null(m)) {
    if (!strings_object(m))
      BAD("meta must be an object of strings");
    if (json_object_size(m)) {
      b->meta = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
      if (!b->meta)
        return -ENOMEM;
      b->pin.meta = b->meta;
      b->pin.meta_len = strlen(b->meta);
    }
  }
  if (b->pin.origins_len > MIR_JSON_MAX || b->pin.meta_len > MIR_JSON_MAX)
    BAD("origins or meta too large");
  return 0;
}

/* Split s[0..n) at commas, calling one per item; stop at an error. */
static int each_item(const char *s, char *err, size_t errcap,
                     int (*one)(const char *it, size_t n, void *ud, char *err,
                                size_t errcap),
                     void *ud) {
  const char *p = s;
  for (;;) {
    const char *c = strchr(p, ',');
    size_t n = c ? (size_t)(c - p) : strlen(p);
    int rc = one(p, n, ud, err, errcap);
    if (rc)
      return rc;
    if (!c)
      return 0;
    p = c + 1;
  }
}

static int one_cid(const char *it, size_t n, void *ud, char *err,
                   size_t errcap) {
  mir_query_t *q = ud;
  if (q->ncids == MIR_CIDS_MAX)
    BAD("at most %d CIDs in cid", MIR_CIDS_MAX);
  if (dag_cid_parse(&q->cids[q->ncids], it, n))
    BAD("cid: not a valid CID");
  q->ncids++;
  return 0;
}

static int one_status(const char *it, size_t n, void *ud, char *err,
                      size_t errcap) {
  mir_query_t *q = ud;
  int s = mir_status_parse(it, n);
  if (s < 0)
    BAD("status: unknown status");
  q->statuses |= MIR_ST(s);
  return 0;
}

/* Longest value of one query parameter, decoded. */
#define QVAL_MAX (MIR_JSON_MAX + 1024)

int mir__parse_query(const char *query, mir_query_t *q, unsigned *limit,
                     char **meta_buf, char *err, size_t errcap) {
  mir_query_init(q);
  q->statuses = 0;
  *limit = MIR_LIMIT_DEFAULT;
  *meta_buf = NULL;
  char *v = tr_malloc(QVAL_MAX + 1);
  if (!v)
    return -ENOMEM;
  int rc = 0;
  const char *p = query;
  while (!rc && p && *p) {
    const char *amp = strchr(p, '&');
    size_t n = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', n);
    size_t kl = eq ? (size_t)(eq - p) : n;
    const char *val = eq ? eq + 1 : p + n;
    size_t vl = n - kl - (eq ? 1 : 0);
    int dl = vl > QVAL_MAX ? -1 : http_pct_decode(val, vl, v);
#define KEY(s) (kl == strlen(s) && !memcmp(p, s, kl))
    if (dl < 0 && (KEY("cid") || KEY("name") || KEY("match") ||
                   KEY("status") || KEY("before") || KEY("after") ||
                   KEY("limit") || KEY("meta"))) {
      snprintf(err, errcap, "malformed query parameter");
      rc = TR_EUSAGE;
      break;
    }
    if (dl >= 0)
      v[dl] = 0;
    if (KEY("cid")) {
      rc = each_item(v, err, errcap, one_cid, q);
    } else if (KEY("status")) {
      rc = each_item(v, err, errcap, one_status, q);
    } else if (KEY("name")) {
      if (dl > MIR_NAME_MAX || memchr(v, 0, (size_t)dl)) {
        snprintf(err, errcap, "name is longer than %d", MIR_NAME_MAX);
        rc = TR_EUSAGE;
      } else {
        tr_free((void *)q->name);
        q->name = tr_strdup(v);
        rc = q->name ? 0 : -ENOMEM;
      }
    } else if (KEY("match")) {
      static const char *const M[] = {"exact", "iexact", "partial",
                                      "ipartial"};
      q->match = -1;
      for (int i = 0; i < 4; i++)
        if (!strcmp(v, M[i]))
          q->match = i;
      if (q->match < 0) {
        snprintf(err, errcap, "match: unknown strategy");
        rc = TR_EUSAGE;
      }
    } else if (KEY("before") || KEY("after")) {
      uint64_t t;
      if (mir_time_parse(v, (size_t)dl, &t) || !t) {
        snprintf(err, errcap, "%s: not an RFC 3339 date-time",
                 KEY("before") ? "before" : "after");
        rc = TR_EUSAGE;
      } else {
        *(KEY("before") ? &q->before : &q->after) = t;
      }
    } else if (KEY("limit")) {
      char *end;
      long l = strtol(v, &end, 10);
      if (!*v || *end || l < 1 || l > MIR_LIMIT_MAX) {
        snprintf(err, errcap, "limit must be 1..%d", MIR_LIMIT_MAX);
        rc = TR_EUSAGE;
      } else {
        *limit = (unsigned)l;
      }
    } else if (KEY("meta")) {
      json_t *m = json_loadb(v, (size_t)dl, 0, NULL);
      bool ok = strings_object(m);
      json_decref(m);
      if (!ok) {
        snprintf(err, errcap, "meta must be a JSON object of strings");
        rc = TR_EUSAGE;
      } else {
        tr_free(*meta_buf);
        *meta_buf = tr_strdup(v);
        if (!*meta_buf)
          rc = -ENOMEM;
        q->meta = *meta_buf;
        q->meta_len = *meta_buf ? (size_t)dl : 0;
      }
    }
#undef KEY
    p = amp ? amp + 1 : NULL;
  }
  tr_free(v);
  if (!q->statuses)
    q->statuses = MIR_ST(MIR_PINNED);
  if (!rc && q->before && q->after && q->after >= q->before) {
    /* An empty window, not an error: nothing matches. */
  }
  return rc;
}
