/*
 * deleg_parse.c — the answers of delegated routers (node/delegated.h),
 * sans-I/O: an NDJSON stream cut into lines as its bytes come (a line may
 * span any number of reads; one over the cap is dropped up to its
 * newline, never buffered whole), or one JSON document kept up to its cap
 * and parsed at the end.  Every record is a JSON object; the ones of
 * schema "peer" with a valid PeerID become dht_peer_t, what the DHT's
 * lookups report, so that node/routing.c merges both alike.  Anything else
 * is counted as skipped and the parse goes on: one bad record from a
 * router must not hide the good ones after it.
 */
#include <errno.h>
#include <string.h>

#include "../net/multiaddr.h"
#include "delegated.h"

void node_dparse_init(node_dparse_t *p, bool ndjson, size_t limit,
                      size_t max_records, node_dparse_cb on_peer, void *ud) {
  memset(p, 0, sizeof *p);
  p->ndjson = ndjson;
  p->limit = limit ? limit : ndjson ? NODE_DELEG_LINE_MAX : NODE_DELEG_BODY_MAX;
  p->max_records = max_records ? max_records : NODE_DELEG_RECORDS_MAX;
  p->on_peer = on_peer;
  p->ud = ud;
}

void node_dparse_free(node_dparse_t *p) {
  tr_free(p->buf);
  p->buf = NULL;
  p->len = p->cap = 0;
}

static int append(node_dparse_t *p, const uint8_t *d, size_t n) {
  if (!n)
    return 0; /* buf may still be NULL */
  if (p->len + n > p->cap) {
    size_t cap = p->cap ? p->cap : 1024;
    while (cap < p->len + n)
      cap *= 2;
    if (cap > p->limit)
      cap = p->limit;
    uint8_t *b = tr_realloc(p->buf, cap);
    if (!b)
      return -ENOMEM;
    p->buf = b, p->cap = cap;
  }
  memcpy(p->buf + p->len, d, n);
  p->len += n;
  return 0;
}

/* ------------------------------------------------------------ records */

static int parse_addrs(json_t *a, dht_peer_t *out, const net_peerid_t *id) {
  const uint8_t *ptr[DHT_PEER_ADDRS_MAX];
  size_t len[DHT_PEER_ADDRS_MAX], n = 0;
  uint8_t bin[DHT_PEER_ADDRS_MAX][DHT_ADDR_MAX];
  uint8_t tmp[NET_MA_MAX];
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    if (!json_is_string(v))
      return TR_EPROTO;
    if (n == DHT_PEER_ADDRS_MAX)
      continue;
    int l = net_ma_parse(json_string_value(v), json_string_length(v), tmp,
                         sizeof tmp);
    if (l <= 0 || (size_t)l > DHT_ADDR_MAX)
      continue; /* unknown to us, or too long for the DHT's shape */
    memcpy(bin[n], tmp, (size_t)l);
    ptr[n] = bin[n], len[n] = (size_t)l, n++;
  }
  dht_peer_set(out, id, ptr, len, n);
  return 0;
}

static int record_obj(json_t *o, dht_peer_t *out) {
  if (!json_is_object(o))
    return TR_EPROTO;
  json_t *schema = json_object_get(o, "Schema");
  if (!json_is_string(schema))
    return TR_EPROTO;
  if (strcmp(json_string_value(schema), "peer"))
    return TR_ENOTFOUND; /* "bitswap" (deprecated) and future schemas */
  json_t *jid = json_object_get(o, "ID");
  json_t *addrs = json_object_get(o, "Addrs");
  if (!json_is_string(jid) || (addrs && !json_is_null(addrs) &&
                               !json_is_array(addrs)))
    return TR_EPROTO;
  net_peerid_t id;
  if (net_peerid_parse(&id, json_string_value(jid), json_string_length(jid)))
    return TR_EPEERID;
  return parse_addrs(json_is_array(addrs) ? addrs : NULL, out, &id);
}

int node_dparse_record(const char *s, size_t n, dht_peer_t *out) {
  json_error_t err;
  json_t *o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &err);
  if (!o)
    return TR_EPROTO;
  int rc = record_obj(o, out);
  json_decref(o);
  return rc;
}

/* One record seen: count it, hand it on.  1 when the parse is over. */
static int take(node_dparse_t *p, json_t *o, const char *s, size_t n) {
  if (p->records >= p->max_records) {
    p->stopped = true;
    return 1;
  }
  p->records++;
  dht_peer_t peer;
  int rc = o ? record_obj(o, &peer) : node_dparse_record(s, n, &peer);
  if (rc) {
    p->skipped++;
    return 0;
  }
  p->peers++;
  if (p->on_peer(p->ud, &peer)) {
    p->stopped = true;
    return 1;
  }
  return 0;
}

static bool blank(const uint8_t *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
      return false;
  return true;
}

/* ------------------------------------------------------------- NDJSON */

static int line_end(node_dparse_t *p) {
  int rc = 0;
  if (p->skipping && p->records >= p->max_records) {
    p->stopped = true; /* as take() does */
    rc = 1;
  } else if (p->skipping) /* a record all the same, for the caps */
    p->records++, p->skipped++;
  else if (!blank(p->buf, p->len))
    rc = take(p, NULL, (const char *)p->buf, p->len);
  p->len = 0;
  p->skipping = false;
  return rc;
}

static int feed_ndjson(node_dparse_t *p, const uint8_t *d, size_t n) {
  while (n) {
    const uint8_t *nl = memchr(d, '\n', n);
    size_t part = nl ? (size_t)(nl - d) : n;
    if (!p->skipping && p->len + part > p->limit) {
      p->skipping = true; /* dropped up to its newline */
      p->len = 0;
    }
    if (!p->skipping) {
      int rc = append(p, d, part);
      if (rc)
        return rc;
    }
    d += part, n -= part;
    if (nl) {
      d++, n--;
      int rc = line_end(p);
      if (rc)
        return rc;
    }
  }
  return 0;
}

/* --------------------------------------------------------------- JSON */

static int end_json(node_dparse_t *p) {
  json_error_t err;
  if (!p->len)
    return 0;
  json_t *doc = json_loadb((const char *)p->buf, p->len, 0, &err);
  if (!doc)
    return 0; /* garbage: no records */
  int rc = 0;
  static const char *const KEYS[] = {"Providers", "Peers"};
  for (size_t k = 0; !rc && k < TR_ARRAY_LEN(KEYS); k++) {
    json_t *a = json_object_get(doc, KEYS[k]);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
      if ((rc = take(p, v, NULL, 0)))
        break;
    }
  }
  json_decref(doc);
  return rc;
}

int node_dparse_feed(node_dparse_t *p, const uint8_t *d, size_t n) {
  if (p->stopped)
    return 1;
  if (p->ndjson)
    return feed_ndjson(p, d, n);
  if (p->len + n > p->limit)
    return TR_ETOOBIG;
  return append(p, d, n);
}

int node_dparse_end(node_dparse_t *p) {
  if (p->stopped)
    return 1;
  int rc = p->ndjson ? (p->len || p->skipping ? line_end(p) : 0)
                     : end_json(p);
  node_dparse_free(p);
  return rc;
}
