/*
 * fuzz_ipns.c — libFuzzer target for IPNS records and the /ipns/, /pk/
 * validators (dht/ipns.h): what a DHT peer sends in a PUT_VALUE or a
 * GET_VALUE answer.
 *
 * Input: one byte k, then a routing key of k bytes, then the record (the
 * seeds are gateway-conformance's records behind their own /ipns/ keys, so
 * mutations start from records that validate).  Properties:
 *   - dht_ipns_validate() and dht_ipns_pk_validate() return 0 or one of
 *     their documented errors, nothing else, and never crash;
 *   - a record that parses marshals to bytes that parse to the same
 *     fields, and marshal again to the same bytes; its views lie in the
 *     record's memory and its signed-data views inside its data;
 *   - dht_ipns_compare() of a record with itself is 0 when it succeeds, and
 *     dht_ipns_select() of it twice picks the first;
 *   - a Validity that parses formats to a timestamp that parses to the
 *     same time;
 *   - `name inspect` (dht/ipns_inspect.h) of the record, verified against
 *     the key's name when it is one: 0 exactly when the record parses, a
 *     verdict that agrees with dht_ipns_validate(), a text that ends its
 *     last line and holds every field inspected, quoted Values inside
 *     their quotes.
 * Build: make build-fuzz/fuzz_ipns; seeds in tests/fuzz/corpus/fuzz_ipns.
 */
#include "../../dht/ipns.h"
#include "../../dht/ipns_inspect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const dht_ipns_time_t NOW = {1767225600, 0}; /* 2026-01-01 */

static bool in_data(dht_ipns_bytes_t v, const dht_ipns_record_t *r) {
  return v.len == 0 ||
         (v.p >= r->data.p && v.p + v.len <= r->data.p + r->data.len);
}

static void same_fields(const dht_ipns_record_t *a,
                        const dht_ipns_record_t *b) {
#define EQ(f)                                                                  \
  if (a->f.len != b->f.len || (a->f.len && memcmp(a->f.p, b->f.p, a->f.len)))  \
  abort()
  EQ(value);
  EQ(signature_v1);
  EQ(validity);
  EQ(pubkey);
  EQ(signature_v2);
  EQ(data);
  EQ(d.value);
  EQ(d.validity);
#undef EQ
  if (a->has != b->has || a->d.has != b->d.has ||
      a->validity_type != b->validity_type || a->sequence != b->sequence ||
      a->ttl != b->ttl || a->d.sequence != b->d.sequence ||
      a->d.ttl != b->d.ttl || a->d.validity_type != b->d.validity_type)
    abort();
}

static void check_record(const uint8_t *rec, size_t n) {
  dht_ipns_record_t r, again;
  int rc = dht_ipns_parse(&r, rec, n);
  if (rc != 0 && rc != TR_EIPNS && rc != TR_ETOOBIG)
    abort();
  if (rc)
    return;
  if (!in_data(r.d.value, &r) || !in_data(r.d.validity, &r) || r.size != n)
    abort();
  tr_bytes_t out = {0}, out2 = {0};
  if (dht_ipns_marshal(&r, &out))
    abort();
  if (out.len > n + 64) /* only defaults can be dropped or added */
    abort();
  if (dht_ipns_parse(&again, out.data, out.len))
    abort();
  same_fields(&r, &again);
  if (dht_ipns_marshal(&again, &out2) || out2.len != out.len ||
      memcmp(out.data, out2.data, out.len))
    abort();
  dht_ipns_record_free(&again);

  int cmp = 7;
  rc = dht_ipns_compare(&r, &r, &cmp);
  if (rc == 0 && cmp != 0)
    abort();
  if (rc != 0 && rc != TR_EIPNS && rc != TR_EVALIDITY)
    abort();
  const uint8_t *vals[2] = {rec, rec};
  size_t lens[2] = {n, n};
  int s = dht_ipns_select(vals, lens, 2);
  if ((rc == 0) != (s == 0) || (s != 0 && s != rc))
    abort();

  dht_ipns_time_t t, t2;
  if (dht_ipns_eol(&r, &t) == 0) {
    char buf[DHT_IPNS_TIME_STR_MAX];
    int len = dht_ipns_time_format(t, buf, sizeof buf);
    if (len < 0 && len != TR_EUSAGE) /* an offset may leave 0000..9999 */
      abort();
    if (len > 0 && (dht_ipns_time_parse(buf, (size_t)len, &t2) ||
                    t2.sec != t.sec || t2.nsec != t.nsec))
      abort();
  }
  tr_bytes_free(&out);
  tr_bytes_free(&out2);
  dht_ipns_record_free(&r);
}

/* name inspect of rec, against the name of routing key key when it has
 * one; vrc is dht_ipns_validate()'s answer for them. */
static void check_inspect(const uint8_t *key, size_t k, const uint8_t *rec,
                          size_t n, int vrc) {
  net_peerid_t id;
  char name[NET_PEERID_STR_MAX];
  const char *verify = NULL;
  if (!dht_ipns_key_parse(key, k, &id) &&
      net_peerid_format(&id, 'k', name, sizeof name) > 0)
    verify = name;
  dht_ipns_record_t r;
  int prc = dht_ipns_parse(&r, rec, n);
  dht_ipns_record_free(&r);
  dht_ipns_inspect_t in;
  char err[160];
  int rc = dht_ipns_inspect(rec, n, verify, true, NOW, &in, err, sizeof err);
  if ((rc == 0) != (prc == 0) || (rc && rc != prc && rc != -ENOMEM))
    abort();
  if (rc)
    return;
  /* The verdict is the validator's, whose key comes from the name only
   * when the record has none (known is NULL for both). */
  if (verify && in.valid != (vrc == 0))
    abort();
  tr_bytes_t t = {0};
  if (!dht_ipns_inspect_text(&in, &t)) {
    if (!t.len || t.data[t.len - 1] != '\n' ||
        !memmem(t.data, t.len, "Signature Type: ", 16) ||
        ((in.has & DHT_IPNS_D_VALUE) && !memmem(t.data, t.len, "Value:", 6)))
      abort();
  }
  tr_bytes_free(&t);
  dht_ipns_inspect_free(&in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  size_t k = data[0];
  if (k > size - 1)
    k = size - 1;
  const uint8_t *key = data + 1, *rec = data + 1 + k;
  size_t n = size - 1 - k;

  int rc = dht_ipns_validate(key, k, rec, n, NOW, NULL), vrc = rc;
  switch (rc) {
  case 0:
  case TR_ERECKEY:
  case TR_EPEERID:
  case TR_ETOOBIG:
  case TR_EIPNS:
  case TR_EKEY:
  case TR_EKEYMISMATCH:
  case TR_ENOPUBKEY:
  case TR_ESIG:
  case TR_EIPNSV1:
  case TR_EVALIDITY:
  case TR_EEXPIRED:
    break;
  default:
    abort();
  }
  rc = dht_ipns_pk_validate(key, k, rec, n);
  if (rc != 0 && rc != TR_ERECKEY && rc != TR_EPEERID && rc != TR_EKEY &&
      rc != TR_EKEYMISMATCH)
    abort();
  check_record(rec, n);
  check_inspect(key, k, rec, n, vrc);

  /* The record bytes as a timestamp. */
  dht_ipns_time_t t, t2;
  if (dht_ipns_time_parse((const char *)rec, n, &t) == 0) {
    char buf[DHT_IPNS_TIME_STR_MAX];
    int len = dht_ipns_time_format(t, buf, sizeof buf);
    if (len > 0 && (dht_ipns_time_parse(buf, (size_t)len, &t2) ||
                    t2.sec != t.sec || t2.nsec != t.nsec))
      abort();
  }
  return 0;
}
