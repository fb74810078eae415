/*
 * ipld.c — the IPLD data model: codec dispatch, path steps, and the
 * codecs that are not JSON: dag-cbor and cbor, dag-pb
 * (on dag/dagpb.c) and raw.  The JSON pair is in ipld_json.c, the arena
 * and the key orders both use in ipld_tree.c.  See ipld.h.
 *
 * Every rule below was checked against Kubo v0.43.1 (go-ipld-prime
 * v0.24.0, refmt v0.90.0, go-codec-dagpb v1.7.0) with `ipfs dag put` and
 * `ipfs dag get`; the comments say where Kubo's behaviour is surprising.
 * No I/O; memory only from the arena (through tr_malloc) and short-lived
 * sort arrays.
 */
#include "ipld_int.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "cbor.h"
#include "dagpb.h"

/* ------------------------------------------------------------ codecs */

/* The names are cid.c's table (one table of multicodec names). */
bool ipld_codec_known(uint64_t codec) {
  switch (codec) {
  case IPLD_CODEC_RAW:
  case IPLD_CODEC_DAG_PB:
  case IPLD_CODEC_CBOR:
  case IPLD_CODEC_DAG_CBOR:
  case IPLD_CODEC_JSON:
  case IPLD_CODEC_DAG_JSON:
  case IPLD_CODEC_DAG_JOSE:
  case DAG_CODEC_GIT_RAW:
    return true;
  default:
    return false;
  }
}

const char *ipld_codec_name(uint64_t codec) {
  return ipld_codec_known(codec) ? dag_codec_name(codec) : NULL;
}

uint64_t ipld_codec_code(const char *name) {
  uint64_t c;
  return name && !dag_codec_from_name(name, &c) && ipld_codec_known(c) ? c
                                                                       : 0;
}

/* ------------------------------------------------- dag-cbor decoding */

/* go-ipld-prime's allocation budget (dagcbor.DecodeOptions): each map and
 * list costs its declared length, each map entry 8 plus its key's length,
 * each list entry 4, each string and byte string its length, each other
 * scalar but null 1.  Kubo refuses a block that spends more than 10 MiB,
 * so trove does too (a block over ~1.7 MB of small items can hit it). */
#define CBOR_BUDGET 10485760

typedef struct cdec {
  const uint8_t *in;
  size_t len, pos;
  ipld_arena_t *a;
  int64_t budget;
  bool links; /* dag-cbor: tag 42 is a link; cbor: refused */
} cdec_t;

static int spend(cdec_t *d, uint64_t cost) {
  if (cost > (uint64_t)d->budget)
    return TR_ECBOR;
  d->budget -= (int64_t)cost;
  return 0;
}

/* One head; refmt v0.90 refuses any argument (length, count, tag, integer)
 * not in its shortest form, but reads floats of every width. */
static int c_head(cdec_t *d, int *major, uint64_t *arg, int *info) {
  if (d->pos >= d->len)
    return TR_ECBOR;
  *info = d->in[d->pos] & 31;
  if (dag_cbor_head(d->in, d->len, &d->pos, major, arg))
    return TR_ECBOR;
  if (*major != 7 && ((*info == 24 && *arg < 24) ||
                      (*info == 25 && *arg <= 0xff) ||
                      (*info == 26 && *arg <= 0xffff) ||
                      (*info == 27 && *arg <= 0xffffffffu)))
    return TR_ECBOR;
  return 0;
}

/* A head with at most one tag before it (refmt refuses two).  *tagged and
 * *tag say whether there was one. */
static int c_tagged_head(cdec_t *d, int *major, uint64_t *arg, int *info,
                         bool *tagged, uint64_t *tag) {
  int rc = c_head(d, major, arg, info);
  *tagged = false;
  if (rc == 0 && *major == 6) {
    *tagged = true;
    *tag = *arg;
    if ((rc = c_head(d, major, arg, info)) == 0 && *major == 6)
      rc = TR_ECBOR;
  }
  return rc;
}

static int c_item(cdec_t *d, int depth, ipld_node_t **out);

static int c_float(cdec_t *d, int info, uint64_t arg, ipld_node_t *n) {
  double f = dag_cbor_float(info, arg);
  if (isnan(f) || isinf(f))
    return TR_ECBOR; /* refused in strict mode, whatever the width */
  n->kind = IPLD_FLOAT;
  n->u.f = f;
  return spend(d, 1);
}

static int c_link(cdec_t *d, uint64_t blen, ipld_node_t *n) {
  const uint8_t *p = d->in + d->pos;
  /* The 0x00 is the identity multibase prefix DAG-CBOR puts first. */
  if (blen < 1 || p[0] != 0)
    return TR_ECID;
  int rc = dag_cid_decode(&n->u.link, p + 1, (size_t)blen - 1);
  if (rc < 0 || (uint64_t)rc != blen - 1)
    return TR_ECID; /* go-cid's Cast refuses trailing bytes too */
  n->kind = IPLD_LINK;
  return 0;
}

static int c_list(cdec_t *d, int depth, uint64_t count, ipld_node_t *n) {
  /* Every item takes a byte at least: a count the input cannot hold fails
   * here, before anything is allocated for it. */
  if (count > d->len - d->pos || spend(d, count))
    return TR_ECBOR;
  n->kind = IPLD_LIST;
  n->u.list.n = (size_t)count;
  if (count &&
      !(n->u.list.v = ipld_alloc(d->a, (size_t)count * sizeof(void *))))
    return -ENOMEM;
  for (size_t i = 0; i < count; i++) {
    int rc = spend(d, 4);
    if (rc || (rc = c_item(d, depth + 1, &n->u.list.v[i])))
      return rc;
  }
  return 0;
}

static int c_map(cdec_t *d, int depth, uint64_t count, ipld_node_t *n) {
  if (count > (d->len - d->pos) / 2 || spend(d, count))
    return TR_ECBOR;
  n->kind = IPLD_MAP;
  n->u.map.n = (size_t)count;
  if (count &&
      !(n->u.map.v = ipld_alloc(d->a, (size_t)count * sizeof(ipld_entry_t))))
    return -ENOMEM;
  for (size_t i = 0; i < count; i++) {
    ipld_entry_t *e = &n->u.map.v[i];
    int major, info, rc;
    uint64_t klen, tag;
    bool tagged;
    /* A tag on a key is dropped like any tag on a non-bytes item. */
    if ((rc = c_tagged_head(d, &major, &klen, &info, &tagged, &tag)))
      return rc;
    if (major != 3 || klen > d->len - d->pos || klen > UINT64_MAX - 8 ||
        spend(d, klen + 8))
      return TR_ECBOR;
    e->key = (const char *)d->in + d->pos;
    e->klen = (size_t)klen;
    d->pos += (size_t)klen;
    if ((rc = c_item(d, depth + 1, &e->val)))
      return rc;
  }
  int dup = ipld__has_dup(n->u.map.v, n->u.map.n);
  return dup < 0 ? dup : dup ? TR_ECBOR : 0;
}

static int c_item(cdec_t *d, int depth, ipld_node_t **out) {
  int major, info, rc;
  uint64_t arg, tag = 0;
  bool tagged;
  if ((rc = c_tagged_head(d, &major, &arg, &info, &tagged, &tag)))
    return rc;
  ipld_node_t *n = *out = ipld_new(d->a, IPLD_NULL);
  if (!n)
    return -ENOMEM;
  switch (major) {
  case 0:
    n->kind = IPLD_INT;
    /* Kept above INT64_MAX (go-ipld-prime's uint node): dag-cbor writes it
     * back, dag-json fails on it, as Kubo does. */
    n->big = arg > INT64_MAX;
    n->u.u = arg;
    return spend(d, 1);
  case 1:
    if (arg > INT64_MAX)
      return TR_ECBOR; /* below INT64_MIN: refmt refuses it */
    n->kind = IPLD_INT;
    n->u.i = -1 - (int64_t)arg;
    return spend(d, 1);
  case 2:
  case 3:
    if (arg > d->len - d->pos || spend(d, arg))
      return TR_ECBOR;
    if (major == 2 && tagged) {
      /* A tag on a byte string must be 42 (and only where links are
       * allowed); a tag on anything else is dropped, so tag 42 on a text
       * string is just that string, as in Kubo. */
      if (tag != 42 || !d->links)
        return TR_ECBOR;
      rc = c_link(d, arg, n);
    } else {
      n->kind = major == 2 ? IPLD_BYTES : IPLD_STRING;
      n->u.s.p = d->in + d->pos;
      n->u.s.n = (size_t)arg;
    }
    d->pos += (size_t)arg;
    return rc;
  case 4:
  case 5:
    if (depth >= IPLD_MAX_DEPTH)
      return TR_ECBOR;
    return major == 4 ? c_list(d, depth, arg, n) : c_map(d, depth, arg, n);
  case 7:
    switch (info) {
    case 20:
    case 21:
      n->kind = IPLD_BOOL;
      n->u.b = info == 21;
      return spend(d, 1);
    case 22:
    case 23: /* undefined: read as null (refmt's CoerceUndefToNull) */
      return 0;
    case 25:
    case 26:
    case 27:
      return c_float(d, info, arg, n);
    default:
      return TR_ECBOR; /* simple values, 0xf8 xx, break */
    }
  default:
    return TR_ECBOR; /* a tag after a tag was caught above */
  }
}

static int cbor_decode(const uint8_t *in, size_t len, bool links,
                       ipld_arena_t *a, ipld_node_t **out) {
  cdec_t d = {in, len, 0, a, CBOR_BUDGET, links};
  int rc = c_item(&d, 0, out);
  if (rc == 0 && d.pos != len)
    rc = TR_ECBOR;
  return rc;
}

/* ------------------------------------------------- dag-cbor encoding */

static int c_enc(const ipld_node_t *n, bool dag, int depth, tr_bytes_t *out) {
  int rc = 0;
  if (depth > IPLD_MAX_DEPTH)
    return TR_ECODEC;
  switch (n->kind) {
  case IPLD_NULL:
    return tr_bytes_append(out, "\xf6", 1);
  case IPLD_BOOL:
    return tr_bytes_append(out, n->u.b ? "\xf5" : "\xf4", 1);
  case IPLD_INT:
    return n->big ? dag_cbor_put_head(out, 0, n->u.u)
                  : dag_cbor_put_int(out, n->u.i);
  case IPLD_FLOAT: {
    /* Always 64 bits, whatever width the value would fit (DAG-CBOR). */
    if (isnan(n->u.f) || isinf(n->u.f))
      return TR_ECODEC;
    uint64_t bits;
    memcpy(&bits, &n->u.f, sizeof bits);
    uint8_t b[9] = {0xfb};
    for (int i = 0; i < 8; i++)
      b[1 + i] = (uint8_t)(bits >> (56 - 8 * i));
    return tr_bytes_append(out, b, sizeof b);
  }
  case IPLD_STRING:
    return dag_cbor_put_text(out, (const char *)n->u.s.p, n->u.s.n);
  case IPLD_BYTES:
    return dag_cbor_put_bytes(out, n->u.s.p, n->u.s.n);
  case IPLD_LINK: {
    if (!dag)
      return TR_ECODEC;
    const dag_cid_t *c = &n->u.link;
    if ((rc = dag_cbor_put_head(out, 6, 42)) ||
        (rc = dag_cbor_put_head(out, 2, (uint64_t)c->len + 1)) ||
        (rc = tr_bytes_append(out, "", 1)))
      return rc;
    return tr_bytes_append(out, c->bytes, c->len);
  }
  case IPLD_LIST:
    if ((rc = dag_cbor_put_head(out, 4, n->u.list.n)))
      return rc;
    for (size_t i = 0; i < n->u.list.n && !rc; i++)
      rc = c_enc(n->u.list.v[i], dag, depth + 1, out);
    return rc;
  case IPLD_MAP: {
    size_t cnt = n->u.map.n;
    if ((rc = dag_cbor_put_head(out, 5, cnt)) || !cnt)
      return rc;
    /* dag-cbor sorts keys length first; cbor keeps the tree's order
     * (go-ipld-prime's cbor encoder does not sort). */
    const ipld_entry_t **s = NULL;
    if (dag && !(s = ipld__sorted(n->u.map.v, cnt, dag_cbor_key_cmp)))
      return -ENOMEM;
    for (size_t i = 0; i < cnt && !rc; i++) {
      const ipld_entry_t *e = s ? s[i] : &n->u.map.v[i];
      if ((rc = dag_cbor_put_text(out, e->key, e->klen)) == 0)
        rc = c_enc(e->val, dag, depth + 1, out);
    }
    tr_free(s);
    return rc;
  }
  }
  return TR_ECODEC;
}

/* ----------------------------------------------------------- dag-pb */

typedef struct pbctx {
  ipld_arena_t *a;
  ipld_node_t **links;
  bool plain;
} pbctx_t;

static int pb_link_cb(const dag_pb_link_t *l, size_t i, void *ud) {
  pbctx_t *c = ud;
  ipld_node_t *m = ipld_new(c->a, IPLD_MAP);
  ipld_entry_t *e = ipld_alloc(c->a, 3 * sizeof *e);
  ipld_node_t *h = ipld_new(c->a, IPLD_LINK);
  if (!m || !e || !h)
    return -ENOMEM;
  h->u.link = l->cid;
  size_t k = 0;
  e[k++] = (ipld_entry_t){"Hash", 4, h};
  if (l->has_name || !c->plain) {
    ipld_node_t *v =
        l->has_name ? ipld_new(c->a, IPLD_STRING) : ipld__absent(c->a);
    if (!v)
      return -ENOMEM;
    v->u.s.p = (const uint8_t *)l->name;
    v->u.s.n = l->name_len;
    e[k++] = (ipld_entry_t){"Name", 4, v};
  }
  if (l->has_tsize || !c->plain) {
    ipld_node_t *v =
        l->has_tsize ? ipld_new(c->a, IPLD_INT) : ipld__absent(c->a);
    if (!v)
      return -ENOMEM;
    /* go-codec-dagpb stores the uint64 in an int64 as it is, so Kubo
     * shows a Tsize of 2^63 as -9223372036854775808; dag_pb_decode
     * refuses varints that long (multiformats' 9-byte limit), so such a
     * block is TR_EDAGPB here, and this cast only mirrors Go's. */
    v->u.u = l->tsize;
    e[k++] = (ipld_entry_t){"Tsize", 5, v};
  }
  m->u.map.v = e;
  m->u.map.n = k;
  c->links[i] = m;
  return 0;
}

/* The typed form (go-codec-dagpb's PBNode as `dag get` walks it): Links
 * then Data, every field present.  The plain form (its decoder filling a
 * basic map, as `dag put --input-codec=dag-pb` does): only the fields the
 * block has, in the block's order, Links last when the block has none. */
static int pb_decode(const uint8_t *in, size_t len, bool plain,
                     ipld_arena_t *a, ipld_node_t **out) {
  dag_pb_node_t pb;
  int rc = dag_pb_decode(in, len, NULL, NULL, &pb); /* validate, count */
  if (rc)
    return rc == -ENOMEM ? rc : TR_EDAGPB;
  ipld_node_t *m = ipld_new(a, IPLD_MAP), *links = ipld_new(a, IPLD_LIST);
  ipld_entry_t *e = ipld_alloc(a, 2 * sizeof *e);
  pbctx_t c = {a, NULL, plain};
  if (!m || !links || !e ||
      (pb.nlinks && !(c.links = ipld_alloc(a, pb.nlinks * sizeof(void *)))))
    return -ENOMEM;
  links->u.list.v = c.links;
  links->u.list.n = pb.nlinks;
  if ((rc = dag_pb_decode(in, len, pb_link_cb, &c, &pb)))
    return rc == -ENOMEM ? rc : TR_EDAGPB;
  ipld_node_t *data = NULL;
  if (pb.has_data) {
    if (!(data = ipld_new(a, IPLD_BYTES)))
      return -ENOMEM;
    data->u.s.p = pb.data;
    data->u.s.n = pb.data_len;
  } else if (!plain && !(data = ipld__absent(a)))
    return -ENOMEM;
  size_t k = 0;
  bool data_first = plain && pb.has_data && (!pb.canonical || !pb.nlinks);
  if (data_first)
    e[k++] = (ipld_entry_t){"Data", 4, data};
  e[k++] = (ipld_entry_t){"Links", 5, links};
  if (data && !data_first)
    e[k++] = (ipld_entry_t){"Data", 4, data};
  m->u.map.v = e;
  m->u.map.n = k;
  *out = m;
  return 0;
}

/* Look a field up for the dag-pb encoder: NULL when missing or absent. */
static const ipld_node_t *pb_field(const ipld_node_t *m, const char *key) {
  const ipld_node_t *v = ipld_step(m, key, strlen(key));
  return v && v->kind == IPLD_NULL && v->absent ? NULL : v;
}

typedef struct pbsort {
  dag_pb_link_t l;
  size_t i;
} pbsort_t;

static int pb_name_cmp(const void *x, const void *y) {
  const pbsort_t *a = x, *b = y;
  int c = ipld__key_cmp_bytes(a->l.name, a->l.name_len, b->l.name,
                              b->l.name_len);
  return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

static int pb_link_of(const ipld_node_t *m, pbsort_t *s) {
  static const char *const keys[] = {"Hash", "Name", "Tsize"};
  if (!ipld__keys_only(m, keys, 3))
    return TR_ECODEC;
  const ipld_node_t *h = pb_field(m, "Hash"), *nm = pb_field(m, "Name"),
                    *ts = pb_field(m, "Tsize");
  if (!h || h->kind != IPLD_LINK || (nm && nm->kind != IPLD_STRING) ||
      (ts && (ts->kind != IPLD_INT || ts->big || ts->u.i < 0)))
    return TR_ECODEC;
  s->l.cid = h->u.link;
  s->l.has_name = nm != NULL;
  s->l.name = nm ? (const char *)nm->u.s.p : "";
  s->l.name_len = nm ? nm->u.s.n : 0;
  s->l.has_tsize = ts != NULL;
  s->l.tsize = ts ? (uint64_t)ts->u.i : 0;
  return 0;
}

static int pb_encode(const ipld_node_t *n, tr_bytes_t *out) {
  static const char *const keys[] = {"Data", "Links"};
  if (!ipld__keys_only(n, keys, 2))
    return TR_ECODEC;
  const ipld_node_t *data = pb_field(n, "Data"), *links = pb_field(n, "Links");
  /* Links is required; a null that is not an absent field is refused, as
   * Kubo refuses {"Links":[],"Data":null}. */
  if (!links || links->kind != IPLD_LIST || (data && data->kind != IPLD_BYTES))
    return TR_ECODEC;
  size_t nl = links->u.list.n;
  if (nl > SIZE_MAX / sizeof(pbsort_t) / 2)
    return -ENOMEM;
  pbsort_t *s = nl ? tr_malloc(nl * sizeof *s) : NULL;
  dag_pb_link_t *l = nl ? tr_malloc(nl * sizeof *l) : NULL;
  int rc = nl && (!s || !l) ? -ENOMEM : 0;
  for (size_t i = 0; i < nl && !rc; i++) {
    s[i].i = i;
    rc = pb_link_of(links->u.list.v[i], &s[i]);
  }
  if (rc == 0) {
    /* go-codec-dagpb sorts links by name, stably (no name sorts as ""). */
    if (nl)
      qsort(s, nl, sizeof *s, pb_name_cmp);
    for (size_t i = 0; i < nl; i++)
      l[i] = s[i].l;
    const uint8_t *dp = data ? data->u.s.p : NULL;
    size_t dn = data ? data->u.s.n : 0;
    size_t need = dag_pb_encoded_size(l, nl, dp, dn, data != NULL);
    if (need && (rc = tr_bytes_reserve(out, need)) == 0) {
      int w = dag_pb_encode(l, nl, dp, dn, data != NULL, out->data + out->len,
                            need);
      if (w < 0)
        rc = TR_ECODEC;
      else
        out->len += (size_t)w;
    }
  }
  tr_free(s);
  tr_free(l);
  return rc;
}

/* --------------------------------------------------------- dispatch */

static int decode1(uint64_t codec, const uint8_t *in, size_t len, bool plain,
                   ipld_arena_t *a, ipld_node_t **out) {
  switch (codec) {
  case IPLD_CODEC_RAW: {
    ipld_node_t *n = ipld_new(a, IPLD_BYTES);
    if (!n)
      return -ENOMEM;
    n->u.s.p = in;
    n->u.s.n = len;
    *out = n;
    return 0;
  }
  case IPLD_CODEC_DAG_PB:
    return pb_decode(in, len, plain, a, out);
  case IPLD_CODEC_CBOR:
  case IPLD_CODEC_DAG_CBOR:
    return cbor_decode(in, len, codec == IPLD_CODEC_DAG_CBOR, a, out);
  case IPLD_CODEC_JSON:
  case IPLD_CODEC_DAG_JSON:
    return ipld__json_decode(in, len, codec == IPLD_CODEC_DAG_JSON, a, out);
  case IPLD_CODEC_DAG_JOSE: {
    ipld_node_t *t;
    int rc = cbor_decode(in, len, true, a, &t);
    return rc ? rc : ipld__jose_decode(t, a, out);
  }
  case DAG_CODEC_GIT_RAW:
    return ipld__git_decode(in, len, a, out);
  default:
    return TR_ECODEC;
  }
}

/* On error *out is NULL, never a half-built tree. */
static int decode(uint64_t codec, const uint8_t *in, size_t len, bool plain,
                  ipld_arena_t *a, ipld_node_t **out) {
  int rc = decode1(codec, in, len, plain, a, out);
  if (rc)
    *out = NULL;
  return rc;
}

int ipld_decode(uint64_t codec, const uint8_t *in, size_t len,
                ipld_arena_t *a, ipld_node_t **out) {
  return decode(codec, in, len, false, a, out);
}

int ipld_decode_input(uint64_t codec, const uint8_t *in, size_t len,
                      ipld_arena_t *a, ipld_node_t **out) {
  return decode(codec, in, len, true, a, out);
}

int ipld_encode(uint64_t codec, const ipld_node_t *n, tr_bytes_t *out) {
  switch (codec) {
  case IPLD_CODEC_RAW:
    if (n->kind != IPLD_BYTES)
      return TR_ECODEC;
    return n->u.s.n ? tr_bytes_append(out, n->u.s.p, n->u.s.n) : 0;
  case IPLD_CODEC_DAG_PB:
    return pb_encode(n, out);
  case IPLD_CODEC_CBOR:
  case IPLD_CODEC_DAG_CBOR:
    return c_enc(n, codec == IPLD_CODEC_DAG_CBOR, 0, out);
  case IPLD_CODEC_JSON:
  case IPLD_CODEC_DAG_JSON:
    return ipld__json_encode(n, codec == IPLD_CODEC_DAG_JSON, out);
  case IPLD_CODEC_DAG_JOSE: {
    ipld_arena_t *a = ipld_arena_new();
    ipld_node_t *t;
    int rc = a ? ipld__jose_encode(n, a, &t) : -ENOMEM;
    if (!rc)
      rc = c_enc(t, true, 0, out);
    ipld_arena_free(a);
    return rc;
  }
  default:
    return TR_ECODEC;
  }
}

/* -------------------------------------------------------------- paths */

/* A list index as strconv.ParseInt(seg, 10, 64) reads it: an optional sign,
 * then decimal digits (leading zeros allowed).  -1 when it is not one, is
 * negative or overflows. */
static int64_t index_of(const char *s, size_t len) {
  size_t i = 0;
  bool neg = false;
  if (len && (s[0] == '+' || s[0] == '-'))
    neg = s[i++] == '-';
  if (i == len)
    return -1;
  int64_t v = 0;
  for (; i < len; i++) {
    int d = s[i] - '0';
    if (d < 0 || d > 9 || v > (INT64_MAX - d) / 10)
      return -1;
    v = v * 10 + d;
  }
  return neg && v ? -1 : v;
}

const ipld_node_t *ipld_step(const ipld_node_t *n, const char *seg,
                             size_t len) {
  if (n->kind == IPLD_MAP)
    return ipld__map_get(n, seg, len);
  if (n->kind == IPLD_LIST) {
    int64_t i = index_of(seg, len);
    return i >= 0 && (uint64_t)i < n->u.list.n ? n->u.list.v[i] : NULL;
  }
  return NULL;
}

/* ------------------------------------------------------------- links */

bool ipld_codec_has_links(uint64_t codec) {
  return codec == IPLD_CODEC_DAG_PB || codec == IPLD_CODEC_DAG_CBOR ||
         codec == IPLD_CODEC_DAG_JSON || codec == DAG_CODEC_DAG_JOSE ||
         codec == DAG_CODEC_GIT_RAW;
}

typedef struct links_ctx {
  ipld_link_cb cb;
  void *ud;
} links_ctx_t;

static int pb_link_only(const dag_pb_link_t *l, size_t i, void *ud) {
  (void)i;
  links_ctx_t *c = ud;
  return c->cb(&l->cid, c->ud);
}

/* The decoder bounds the depth (IPLD_MAX_DEPTH), and so this recursion. */
static int tree_links(const ipld_node_t *n, ipld_link_cb cb, void *ud) {
  int rc = 0;
  switch (n->kind) {
  case IPLD_LINK:
    return cb(&n->u.link, ud);
  case IPLD_LIST:
    for (size_t i = 0; i < n->u.list.n && !rc; i++)
      rc = tree_links(n->u.list.v[i], cb, ud);
    return rc;
  case IPLD_MAP:
    for (size_t i = 0; i < n->u.map.n && !rc; i++)
      rc = tree_links(n->u.map.v[i].val, cb, ud);
    return rc;
  default:
    return 0;
  }
}

/* dag-jose, as go-dag-jose v0.1.1 (Kubo's) decodes it: dag-cbor, whose
 * JWS form gains a "link" to its payload (the bytes of a CID) unless it
 * holds one; its schema has no place for another link.  Kubo will not
 * walk a block that fits neither the JWS nor the JWE schema; such a block
 * here keeps every link it holds, the payload's too, so that what a pin
 * may reach is never taken for garbage. */
static int jose_links(const ipld_node_t *root, ipld_link_cb cb, void *ud) {
  int rc = tree_links(root, cb, ud);
  const ipld_node_t *l = ipld_step(root, "link", 4),
                    *p = ipld_step(root, "payload", 7);
  if (rc || (l && l->kind == IPLD_LINK) || !p || p->kind != IPLD_BYTES)
    return rc;
  dag_cid_t cid;
  int n = dag_cid_decode(&cid, p->u.s.p, p->u.s.n);
  return n >= 0 && (size_t)n == p->u.s.n ? cb(&cid, ud) : 0;
}

int ipld_links(uint64_t codec, const uint8_t *in, size_t len, ipld_link_cb cb,
               void *ud) {
  if (codec == IPLD_CODEC_DAG_PB) {
    links_ctx_t c = {cb, ud};
    dag_pb_node_t node;
    return dag_pb_decode(in, len, pb_link_only, &c, &node);
  }
  if (codec == IPLD_CODEC_DAG_CBOR)
    return dag_cbor_links(in, len, cb, ud);
  if (codec == DAG_CODEC_GIT_RAW) {
    /* The links Kubo walks are those of the decoded object; one that does
     * not decode (Kubo walks nothing) keeps every link a scan finds. */
    ipld_arena_t *a = ipld_arena_new();
    ipld_node_t *root;
    int rc = a ? ipld__git_decode(in, len, a, &root) : -ENOMEM;
    if (!rc)
      rc = tree_links(root, cb, ud);
    else if (rc == TR_EGIT)
      rc = ipld__git_links(in, len, cb, ud);
    ipld_arena_free(a);
    return rc;
  }
  if (codec != IPLD_CODEC_DAG_JSON && codec != DAG_CODEC_DAG_JOSE)
    return 0;
  ipld_arena_t *a = ipld_arena_new();
  if (!a)
    return -ENOMEM;
  ipld_node_t *root;
  bool jose = codec == DAG_CODEC_DAG_JOSE;
  int rc = ipld_decode(jose ? IPLD_CODEC_DAG_CBOR : codec, in, len, a, &root);
  if (!rc)
    rc = jose ? jose_links(root, cb, ud) : tree_links(root, cb, ud);
  ipld_arena_free(a);
  return rc;
}
