/*
 * ipld_jose.c — dag-jose (0x85) as Kubo v0.43.1 reads and writes it
 * through go-dag-jose v0.1.1: a JOSE object (a JWS or a JWE, RFC 7515 and
 * 7516, general serialization) stored as dag-cbor with its base64url
 * fields as bytes.  Trees only: ipld.c decodes and encodes the dag-cbor,
 * and hands the tree here and back, so that this file never calls ipld.c.
 *
 * Decoding (`dag get`): the dag-cbor map must fit go-dag-jose's schema,
 * tried as a JWE first, then as a JWS:
 *   JWE {aad?, ciphertext, iv?, protected?, recipients?: [{header?,
 *        encrypted_key?}], tag?, unprotected?}
 *   JWS {link?, payload, signatures?: [{header?, protected?, signature}]}
 * Every other key, a null, and a value of another kind are refused.  The
 * base64url fields (bytes in the block; a base64url string is taken too)
 * come out as unpadded base64url strings; header and unprotected are
 * schema "Any" (a string, bytes, an integer, a float, or a map or list of
 * those: no bool, null or link).  A JWS gains "link", its payload read as
 * a CID, unless it holds one; a payload that is not one is refused then.
 * Fields come out in the schema's order.
 *
 * Encoding (`dag put --store-codec dag-jose`): a map with "ciphertext" is a
 * JWE, else one with "payload" a JWS, as go-dag-jose's Encode tells them
 * apart; the flattened forms (a JWS's header/protected/signature, a JWE's
 * header/encrypted_key at the top) become the one-element general form;
 * "link" and every key the form does not name are dropped (go-dag-jose
 * rebuilds the object from the fields it knows); the base64url strings
 * become bytes (unpadded; a JWS payload must be a CID).  header,
 * unprotected and the recipients' and signatures' entries pass through
 * JSON and Go's float64 in go-dag-jose, which this mirrors: every number
 * becomes the nearest float64, written with %g (via_json says how), and
 * is read back as an integer when that shows no point nor exponent: 3.0
 * is stored as 3, 1000000 and 2^53 + 1 as floats; bytes and links there
 * are refused, as go-dag-jose refuses them ("cannot marshal IPLD bytes to
 * this codec").  Where trove parts from it: base64url strings with
 * non-zero trailing bits or line breaks are refused (Go's decoder takes
 * them).
 */
#include "ipld_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multibase.h"

/* ------------------------------------------------------------ helpers */

static const ipld_node_t *field(const ipld_node_t *m, const char *key) {
  return ipld__map_get(m, key, strlen(key));
}

/* An output map with room for n entries. */
static ipld_node_t *map_new(ipld_arena_t *a, size_t n) {
  ipld_node_t *m = ipld_new(a, IPLD_MAP);
  if (m && n && !(m->u.map.v = ipld_alloc(a, n * sizeof *m->u.map.v)))
    return NULL;
  return m;
}

/* An output list with room for n elements (its n still 0). */
static ipld_node_t *list_new(ipld_arena_t *a, size_t n) {
  ipld_node_t *l = ipld_new(a, IPLD_LIST);
  if (l && n && !(l->u.list.v = ipld_alloc(a, n * sizeof *l->u.list.v)))
    return NULL;
  return l;
}

static void put(ipld_node_t *m, const char *key, ipld_node_t *v) {
  m->u.map.v[m->u.map.n++] = (ipld_entry_t){key, strlen(key), v};
}

/* Bytes of an unpadded base64url string s (go's RawURLEncoding, strict
 * about trailing bits), in the arena. */
static int b64_decode(ipld_arena_t *a, const uint8_t *s, size_t n,
                      const uint8_t **out, size_t *olen) {
  uint8_t *buf = ipld_alloc(a, n + 2);
  char *ms = ipld_alloc(a, n + 2);
  if (!buf || !ms)
    return -ENOMEM;
  ms[0] = DAG_MB_BASE64URL;
  memcpy(ms + 1, s, n);
  if (dag_mb_decode(ms, n + 1, buf, n + 2, olen, NULL))
    return TR_ECODEC;
  *out = buf;
  return 0;
}

/* Is n in the schema's "Any" (string, bytes, int, float, or maps and
 * lists of them)? */
static bool any_ok(const ipld_node_t *n) {
  switch (n->kind) {
  case IPLD_STRING:
  case IPLD_BYTES:
  case IPLD_FLOAT:
    return true;
  case IPLD_INT:
    return !n->big;
  case IPLD_LIST:
    for (size_t i = 0; i < n->u.list.n; i++)
      if (!any_ok(n->u.list.v[i]))
        return false;
    return true;
  case IPLD_MAP:
    for (size_t i = 0; i < n->u.map.n; i++)
      if (!any_ok(n->u.map.v[i].val))
        return false;
    return true;
  default:
    return false;
  }
}

/* ----------------------------------------------------------- decoding */

/* A Base64Url field as go-dag-jose shows it: bytes (or a base64url
 * string, decoded and written again) as an unpadded base64url string;
 * its bytes in *raw when raw is not NULL. */
static int show_b64(ipld_arena_t *a, const ipld_node_t *v, ipld_node_t **out,
                    const uint8_t **raw, size_t *rawlen) {
  const uint8_t *p;
  size_t n;
  if (v->kind == IPLD_BYTES) {
    p = v->u.s.p, n = v->u.s.n;
  } else if (v->kind == IPLD_STRING) {
    int rc = b64_decode(a, v->u.s.p, v->u.s.n, &p, &n);
    if (rc)
      return rc;
  } else {
    return TR_ECODEC;
  }
  char *s = ipld_alloc(a, DAG_MB_ENCODED_MAX(n));
  ipld_node_t *o = ipld_new(a, IPLD_STRING);
  if (!s || !o)
    return -ENOMEM;
  int k = dag_mb_encode(DAG_MB_BASE64URL, p, n, s, DAG_MB_ENCODED_MAX(n));
  if (k < 1)
    return k < 0 ? k : TR_ECODEC;
  o->u.s.p = (const uint8_t *)s + 1; /* without the multibase prefix */
  o->u.s.n = (size_t)k - 1;
  *out = o;
  if (raw)
    *raw = p, *rawlen = n;
  return 0;
}

/* A list of maps, each with the keys of one entry of a JWE's recipients
 * or a JWS's signatures: kinds[i] 'a' (Any) or 'b' (Base64Url), req[i]
 * whether it must be there. */
static int show_list(ipld_arena_t *a, const ipld_node_t *l,
                     const char *const *keys, const char *kinds,
                     const bool *req, size_t nkeys, ipld_node_t **out) {
  if (l->kind != IPLD_LIST)
    return TR_ECODEC;
  ipld_node_t *o = list_new(a, l->u.list.n);
  if (!o)
    return -ENOMEM;
  for (size_t i = 0; i < l->u.list.n; i++) {
    const ipld_node_t *m = l->u.list.v[i];
    if (!ipld__keys_only(m, keys, nkeys))
      return TR_ECODEC;
    ipld_node_t *om = map_new(a, nkeys);
    if (!om)
      return -ENOMEM;
    for (size_t k = 0; k < nkeys; k++) {
      const ipld_node_t *v = field(m, keys[k]);
      ipld_node_t *ov = NULL;
      if (!v) {
        if (req[k])
          return TR_ECODEC;
        continue;
      }
      if (kinds[k] == 'a') {
        if (!any_ok(v))
          return TR_ECODEC;
        ov = (ipld_node_t *)v;
      } else {
        int rc = show_b64(a, v, &ov, NULL, NULL);
        if (rc)
          return rc;
      }
      put(om, keys[k], ov);
    }
    o->u.list.v[o->u.list.n++] = om;
  }
  *out = o;
  return 0;
}

static int jwe_decode(const ipld_node_t *m, ipld_arena_t *a,
                      ipld_node_t **out) {
  static const char *const KEYS[] = {"aad",        "ciphertext", "iv",
                                     "protected",  "recipients", "tag",
                                     "unprotected"};
  static const char *const RKEYS[] = {"header", "encrypted_key"};
  static const bool RREQ[] = {false, false};
  if (!field(m, "ciphertext") || !ipld__keys_only(m, KEYS, TR_ARRAY_LEN(KEYS)))
    return TR_ECODEC;
  ipld_node_t *o = map_new(a, TR_ARRAY_LEN(KEYS));
  if (!o)
    return -ENOMEM;
  for (size_t k = 0; k < TR_ARRAY_LEN(KEYS); k++) {
    const ipld_node_t *v = field(m, KEYS[k]);
    ipld_node_t *ov = NULL;
    int rc = 0;
    if (!v)
      continue;
    if (!strcmp(KEYS[k], "recipients"))
      rc = show_list(a, v, RKEYS, "ab", RREQ, 2, &ov);
    else if (!strcmp(KEYS[k], "unprotected"))
      rc = any_ok(v) ? (ov = (ipld_node_t *)v, 0) : TR_ECODEC;
    else
      rc = show_b64(a, v, &ov, NULL, NULL);
    if (rc)
      return rc;
    put(o, KEYS[k], ov);
  }
  *out = o;
  return 0;
}

static int jws_decode(const ipld_node_t *m, ipld_arena_t *a,
                      ipld_node_t **out) {
  static const char *const KEYS[] = {"link", "payload", "signatures"};
  static const char *const SKEYS[] = {"header", "protected", "signature"};
  static const bool SREQ[] = {false, false, true};
  if (!ipld__keys_only(m, KEYS, TR_ARRAY_LEN(KEYS)))
    return TR_ECODEC;
  const ipld_node_t *link = field(m, "link"), *pl = field(m, "payload"),
                    *sigs = field(m, "signatures");
  if (!pl || (link && link->kind != IPLD_LINK))
    return TR_ECODEC;
  ipld_node_t *o = map_new(a, 3), *opl, *osigs = NULL;
  if (!o)
    return -ENOMEM;
  const uint8_t *raw;
  size_t rawlen;
  int rc = show_b64(a, pl, &opl, &raw, &rawlen);
  if (!rc && sigs)
    rc = show_list(a, sigs, SKEYS, "abb", SREQ, 3, &osigs);
  if (rc)
    return rc;
  if (!link) {
    /* go-dag-jose adds it: the payload's bytes must be a CID, whole. */
    ipld_node_t *l = ipld_new(a, IPLD_LINK);
    if (!l)
      return -ENOMEM;
    int n = dag_cid_decode(&l->u.link, raw, rawlen);
    if (n < 0 || (size_t)n != rawlen)
      return TR_ECODEC;
    link = l;
  }
  put(o, "link", (ipld_node_t *)link);
  put(o, "payload", opl);
  if (osigs)
    put(o, "signatures", osigs);
  *out = o;
  return 0;
}

int ipld__jose_decode(const ipld_node_t *cbor, ipld_arena_t *a,
                      ipld_node_t **out) {
  int rc = jwe_decode(cbor, a, out);
  if (rc == -ENOMEM)
    return rc;
  return rc ? jws_decode(cbor, a, out) : 0;
}

/* ----------------------------------------------------------- encoding */

/* The decimal exponent of finite d != 0 written at its shortest (the
 * fewest digits that read back as d, as Go's strconv finds them). */
static int dec_exp(double d) {
  char buf[40];
  for (int p = 0; p < 17; p++) {
    snprintf(buf, sizeof buf, "%.*e", p, d);
    if (strtod(buf, NULL) == d)
      break;
  }
  const char *x = strchr(buf, 'e');
  return x ? atoi(x + 1) : 0;
}

/* A value of header, unprotected or an entry as it comes out of
 * go-dag-jose's trip through JSON and float64 (see the top). */
static int via_json(ipld_arena_t *a, const ipld_node_t *v, ipld_node_t **out) {
  ipld_node_t *o;
  switch (v->kind) {
  case IPLD_STRING:
    *out = (ipld_node_t *)v;
    return 0;
  case IPLD_INT:
  case IPLD_FLOAT: {
    double d = v->kind == IPLD_FLOAT ? v->u.f
               : v->big             ? (double)v->u.u
                                    : (double)v->u.i;
    /* go-jose's JSON writes the float64 with %g at its shortest: in
     * exponent form below 1e-4 and from 1e6 on (dag-json then reads a
     * float), else plainly (an integer when it is integral, 0 for -0). */
    int e = d == 0 ? 0 : dec_exp(d);
    bool integral = d == trunc(d) && e >= -4 && e < 6;
    if (!(o = ipld_new(a, integral ? IPLD_INT : IPLD_FLOAT)))
      return -ENOMEM;
    if (integral)
      o->u.i = (int64_t)d;
    else
      o->u.f = d;
    *out = o;
    return 0;
  }
  case IPLD_LIST:
    if (!(o = list_new(a, v->u.list.n)))
      return -ENOMEM;
    for (size_t i = 0; i < v->u.list.n; i++) {
      int rc = via_json(a, v->u.list.v[i], &o->u.list.v[i]);
      if (rc)
        return rc;
    }
    o->u.list.n = v->u.list.n;
    *out = o;
    return 0;
  case IPLD_MAP:
    if (!(o = map_new(a, v->u.map.n)))
      return -ENOMEM;
    for (size_t i = 0; i < v->u.map.n; i++) {
      o->u.map.v[i] = v->u.map.v[i];
      int rc = via_json(a, v->u.map.v[i].val, &o->u.map.v[i].val);
      if (rc)
        return rc;
    }
    o->u.map.n = v->u.map.n;
    *out = o;
    return 0;
  default:
    /* bool and null do not fit "Any"; JSON has no bytes nor links. */
    return TR_ECODEC;
  }
}

/* A Raw field from a string (base64url) into bytes. */
static int raw_of(ipld_arena_t *a, const ipld_node_t *v, ipld_node_t **out) {
  if (v->kind != IPLD_STRING)
    return TR_ECODEC;
  ipld_node_t *o = ipld_new(a, IPLD_BYTES);
  if (!o)
    return -ENOMEM;
  int rc = b64_decode(a, v->u.s.p, v->u.s.n, &o->u.s.p, &o->u.s.n);
  if (rc)
    return rc;
  *out = o;
  return 0;
}

/* One entry of a signatures or recipients list: keys and kinds as in
 * show_list; the entry went through JSON (via_json) first. */
static int enc_entry(ipld_arena_t *a, const ipld_node_t *m,
                     const char *const *keys, const char *kinds,
                     const bool *req, size_t nkeys, ipld_node_t **out) {
  ipld_node_t *j;
  if (m->kind != IPLD_MAP)
    return TR_ECODEC;
  int rc = via_json(a, m, &j);
  if (rc)
    return rc;
  if (!ipld__keys_only(j, keys, nkeys))
    return TR_ECODEC;
  ipld_node_t *o = map_new(a, nkeys);
  if (!o)
    return -ENOMEM;
  for (size_t k = 0; k < nkeys; k++) {
    const ipld_node_t *v = field(j, keys[k]);
    ipld_node_t *ov;
    if (!v) {
      if (req[k])
        return TR_ECODEC;
      continue;
    }
    if (kinds[k] == 'a')
      ov = (ipld_node_t *)v; /* via_json made it "Any" */
    else if ((rc = raw_of(a, v, &ov)))
      return rc;
    put(o, keys[k], ov);
  }
  *out = o;
  return 0;
}

/* The general form's list (lst present) or the flattened one's single
 * entry from the top-level fields of m, encoded. */
static int enc_list(ipld_arena_t *a, const ipld_node_t *m,
                    const ipld_node_t *lst, const char *const *keys,
                    const char *kinds, const bool *req, size_t nkeys,
                    bool drop_empty, ipld_node_t **out) {
  ipld_node_t *o;
  if (!lst) {
    ipld_node_t *one = map_new(a, nkeys);
    if (!one)
      return -ENOMEM;
    for (size_t k = 0; k < nkeys; k++) {
      const ipld_node_t *v = field(m, keys[k]);
      if (!v)
        continue;
      /* go-dag-jose reads a flattened header into a Go map, strings
       * with AsString: other kinds fail there. */
      if (kinds[k] == 'a' ? v->kind != IPLD_MAP : v->kind != IPLD_STRING)
        return TR_ECODEC;
      put(one, keys[k], (ipld_node_t *)v);
    }
    if (!one->u.map.n && drop_empty) {
      *out = NULL; /* a JWE without recipients */
      return 0;
    }
    if (!(o = list_new(a, 1)))
      return -ENOMEM;
    int rc = enc_entry(a, one, keys, kinds, req, nkeys, &o->u.list.v[0]);
    if (rc)
      return rc;
    o->u.list.n = 1;
    *out = o;
    return 0;
  }
  for (size_t k = 0; k < nkeys; k++)
    if (field(m, keys[k]))
      return TR_ECODEC; /* "invalid ... serialization": both forms */
  if (lst->kind != IPLD_LIST || (drop_empty && !lst->u.list.n))
    return TR_ECODEC; /* a list of maps; a JWE's needs [0] (go indexes it) */
  if (drop_empty && lst->u.list.v[0]->kind == IPLD_MAP &&
      !lst->u.list.v[0]->u.map.n) {
    /* go-dag-jose keeps a JWE's recipients only when the first one has
     * something. */
    for (size_t i = 0; i < lst->u.list.n; i++)
      if (lst->u.list.v[i]->kind != IPLD_MAP)
        return TR_ECODEC;
    *out = NULL;
    return 0;
  }
  if (!(o = list_new(a, lst->u.list.n)))
    return -ENOMEM;
  for (size_t i = 0; i < lst->u.list.n; i++) {
    int rc = enc_entry(a, lst->u.list.v[i], keys, kinds, req, nkeys,
                       &o->u.list.v[i]);
    if (rc)
      return rc;
  }
  o->u.list.n = lst->u.list.n;
  *out = o;
  return 0;
}

static int jwe_encode(const ipld_node_t *m, ipld_arena_t *a,
                      ipld_node_t **out) {
  static const char *const RKEYS[] = {"header", "encrypted_key"};
  static const bool RREQ[] = {false, false};
  static const char *const B64[] = {"aad", "ciphertext", "iv", "protected",
                                    "tag"};
  ipld_node_t *o = map_new(a, 7), *v;
  if (!o)
    return -ENOMEM;
  for (size_t k = 0; k < TR_ARRAY_LEN(B64); k++) {
    const ipld_node_t *f = field(m, B64[k]);
    if (!f)
      continue;
    int rc = raw_of(a, f, &v);
    if (rc)
      return rc;
    put(o, B64[k], v);
  }
  ipld_node_t *rec;
  int rc = enc_list(a, m, field(m, "recipients"), RKEYS, "ab", RREQ, 2, true,
                    &rec);
  if (rc)
    return rc;
  if (rec)
    put(o, "recipients", rec);
  const ipld_node_t *u = field(m, "unprotected");
  if (u) {
    if (u->kind != IPLD_MAP || (rc = via_json(a, u, &v)))
      return rc ? rc : TR_ECODEC;
    put(o, "unprotected", v);
  }
  *out = o;
  return 0;
}

static int jws_encode(const ipld_node_t *m, ipld_arena_t *a,
                      ipld_node_t **out) {
  static const char *const SKEYS[] = {"header", "protected", "signature"};
  static const bool SREQ[] = {false, false, true};
  ipld_node_t *o = map_new(a, 2), *pl, *sigs;
  if (!o)
    return -ENOMEM;
  int rc = raw_of(a, field(m, "payload"), &pl);
  if (rc)
    return rc;
  dag_cid_t cid;
  int n = dag_cid_decode(&cid, pl->u.s.p, pl->u.s.n);
  if (n < 0 || (size_t)n != pl->u.s.n)
    return TR_ECODEC; /* "payload is not a valid CID" */
  if ((rc = enc_list(a, m, field(m, "signatures"), SKEYS, "abb", SREQ, 3,
                     false, &sigs)))
    return rc;
  put(o, "payload", pl);
  put(o, "signatures", sigs);
  *out = o;
  return 0;
}

int ipld__jose_encode(const ipld_node_t *n, ipld_arena_t *a,
                      ipld_node_t **out) {
  if (n->kind != IPLD_MAP)
    return TR_ECODEC;
  if (field(n, "ciphertext"))
    return jwe_encode(n, a, out);
  if (field(n, "payload"))
    return jws_encode(n, a, out);
  return TR_ECODEC; /* "invalid JOSE object" */
}
