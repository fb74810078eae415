/*
 * ipns.c — IPNS records (parse, marshal, verify, select, create) and the
 * /ipns/ and /pk/ record validators; see ipns.h.
 *
 * The protobuf goes through protobuf-c (dht/proto/ipns.proto); the signed
 * DAG-CBOR data is read here, with dag/cbor.h's head reader and skipper,
 * and written with its encoder.  No I/O and no clock: time comes in.
 */
#include "ipns.h"

#include <errno.h>
#include <string.h>

#include "../dag/cbor.h"
#include "dht/proto/ipns.pb-c.h"

/* The signed data is prefixed with this before signing (the spec's
 * "Record Creation", step 5). */
static const char SIG_V2_PREFIX[] = "ipns-signature:";
#define SIG_V2_PREFIX_LEN (sizeof SIG_V2_PREFIX - 1)
/* fmt.Append of the protobuf enum EOL writes its name: the V1 signature
 * covers value + validity + "EOL". */
static const char V1_EOL[] = "EOL";
/* Room for either signed message: the data (or value and validity) of a
 * record that fits DHT_IPNS_RECORD_MAX, and the prefix or "EOL". */
#define SIG_BUF_MAX (DHT_IPNS_RECORD_MAX + 64)

static const char IPNS_PREFIX[] = "/ipns/";
static const char PK_PREFIX[] = "/pk/";

/* ----------------------------------------------------------- allocator */

static void *pb_alloc(void *data, size_t n) {
  (void)data;
  return tr_malloc(n);
}
static void pb_free(void *data, void *p) {
  (void)data;
  tr_free(p);
}
static ProtobufCAllocator pb_mem = {pb_alloc, pb_free, NULL};

/* ------------------------------------------------------- signed data */

/* The reserved keys, in the order of their DHT_IPNS_D_* bits. */
static const struct {
  const char *name;
  size_t len;
  bool bytes; /* a byte string; else an integer */
} RESERVED[] = {
    {"Value", 5, true},     {"Validity", 8, true}, {"ValidityType", 12, false},
    {"Sequence", 8, false}, {"TTL", 3, false},
};

/* A head as dag_cbor_head() reads it, refused unless in its shortest form
 * (DAG-CBOR's rule; boxo's decoder enforces it).  Major type 7 is not
 * checked: its argument is a float's bits, whose width is the float's. */
static int head_min(const uint8_t *in, size_t len, size_t *pos, int *major,
                    uint64_t *arg) {
  size_t start = *pos;
  int rc = dag_cbor_head(in, len, pos, major, arg);
  if (rc)
    return rc;
  size_t used = *pos - start, want;
  if (*arg < 24)
    want = 1;
  else if (*arg <= 0xff)
    want = 2;
  else if (*arg <= 0xffff)
    want = 3;
  else if (*arg <= 0xffffffffu)
    want = 5;
  else
    want = 9;
  return *major != 7 && used != want ? TR_ECBOR : 0;
}

/* Read the value of reserved key k at *pos into d, or skip it when it has
 * another kind (boxo fails only when it reads such a key). */
static int read_reserved(const uint8_t *in, size_t len, size_t *pos, int k,
                         dht_ipns_data_t *d) {
  size_t start = *pos;
  int major;
  uint64_t arg;
  int rc = head_min(in, len, pos, &major, &arg);
  if (rc)
    return rc;
  if (RESERVED[k].bytes && major == 2) {
    if (arg > len - *pos)
      return TR_ETRUNC;
    dht_ipns_bytes_t v = {in + *pos, (size_t)arg};
    *pos += (size_t)arg;
    if (k == 0)
      d->value = v;
    else
      d->validity = v;
    d->has |= 1u << k;
    return 0;
  }
  if (!RESERVED[k].bytes && (major == 0 || major == 1)) {
    int64_t v;
    if (arg > INT64_MAX) {
      /* go-ipld-prime keeps a uint over int64 as a Uint node that AsInt
       * refuses (absent here); a negative one it cannot decode at all. */
      if (major == 1)
        return TR_ECBOR;
      return 0;
    }
    v = major == 0 ? (int64_t)arg : -1 - (int64_t)arg;
    if (k == 2)
      d->validity_type = v;
    else if (k == 3)
      d->sequence = v;
    else
      d->ttl = v;
    d->has |= 1u << k;
    return 0;
  }
  *pos = start;
  return dag_cbor_skip(in, len, pos);
}

/* Decode the data map: text keys, the reserved ones into d, the others
 * skipped; one item exactly. */
static int parse_data(const uint8_t *in, size_t len, dht_ipns_data_t *d) {
  size_t pos = 0;
  int major, rc;
  uint64_t count;
  unsigned seen = 0;
  memset(d, 0, sizeof *d);
  if ((rc = head_min(in, len, &pos, &major, &count)))
    return rc;
  /* Each entry takes at least two bytes: refuse counts the data cannot
   * hold before looping. */
  if (major != 5 || count > (len - pos) / 2)
    return TR_ECBOR;
  for (uint64_t i = 0; i < count; i++) {
    uint64_t klen;
    if ((rc = head_min(in, len, &pos, &major, &klen)))
      return rc;
    if (major != 3 || klen > len - pos)
      return TR_ECBOR;
    const char *key = (const char *)in + pos;
    pos += (size_t)klen;
    int k = -1;
    for (int j = 0; j < (int)TR_ARRAY_LEN(RESERVED); j++)
      if (klen == RESERVED[j].len && !memcmp(key, RESERVED[j].name, klen))
        k = j;
    if (k < 0) {
      rc = dag_cbor_skip(in, len, &pos);
    } else {
      if (seen & (1u << k))
        return TR_ECBOR; /* a reserved key twice */
      seen |= 1u << k;
      rc = read_reserved(in, len, &pos, k, d);
    }
    if (rc)
      return rc;
  }
  return pos == len ? 0 : TR_ECBOR;
}

/* ------------------------------------------------------------ records */

static dht_ipns_bytes_t view(const ProtobufCBinaryData *b) {
  dht_ipns_bytes_t v = {b->data, b->len};
  return v;
}

/* protobuf-c answers NULL both for malformed input and for a failed
 * allocation.  To tell them apart (-ENOMEM is the caller's to retry, a bad
 * record the peer's fault) a NULL is retried with libc's allocator, which
 * fails only on bad input: a cold path, and the record is at most 10 KiB. */
static int unpack(const uint8_t *b, size_t n, Dhtpb__IpnsRecord **out) {
  *out = dhtpb__ipns_record__unpack(&pb_mem, n, b);
  if (*out)
    return 0;
  Dhtpb__IpnsRecord *m = dhtpb__ipns_record__unpack(NULL, n, b);
  if (!m)
    return TR_EIPNS;
  dhtpb__ipns_record__free_unpacked(m, NULL);
  return -ENOMEM;
}

int dht_ipns_parse(dht_ipns_record_t *rec, const uint8_t *b, size_t n) {
  memset(rec, 0, sizeof *rec);
  if (n > DHT_IPNS_RECORD_MAX)
    return TR_ETOOBIG;
  Dhtpb__IpnsRecord *m;
  int rc = unpack(b, n, &m);
  if (rc)
    return rc;
  if (!m->has_data || m->data.len == 0) {
    dhtpb__ipns_record__free_unpacked(m, &pb_mem);
    return TR_EIPNS;
  }
  rc = parse_data(m->data.data, m->data.len, &rec->d);
  if (rc) {
    dhtpb__ipns_record__free_unpacked(m, &pb_mem);
    memset(rec, 0, sizeof *rec);
    return TR_EIPNS;
  }
  rec->pb = m;
  rec->size = n;
  rec->has = (m->has_value ? DHT_IPNS_HAS_VALUE : 0) |
             (m->has_signaturev1 ? DHT_IPNS_HAS_SIG_V1 : 0) |
             (m->has_validitytype ? DHT_IPNS_HAS_VALIDITY_TYPE : 0) |
             (m->has_validity ? DHT_IPNS_HAS_VALIDITY : 0) |
             (m->has_sequence ? DHT_IPNS_HAS_SEQUENCE : 0) |
             (m->has_ttl ? DHT_IPNS_HAS_TTL : 0) |
             (m->has_pubkey ? DHT_IPNS_HAS_PUBKEY : 0) |
             (m->has_signaturev2 ? DHT_IPNS_HAS_SIG_V2 : 0) |
             DHT_IPNS_HAS_DATA;
  rec->value = view(&m->value);
  rec->signature_v1 = view(&m->signaturev1);
  rec->validity = view(&m->validity);
  rec->pubkey = view(&m->pubkey);
  rec->signature_v2 = view(&m->signaturev2);
  rec->data = view(&m->data);
  rec->validity_type = (int32_t)m->validitytype;
  rec->sequence = m->sequence;
  rec->ttl = m->ttl;
  return 0;
}

void dht_ipns_record_free(dht_ipns_record_t *rec) {
  if (rec->pb)
    dhtpb__ipns_record__free_unpacked(rec->pb, &pb_mem);
  memset(rec, 0, sizeof *rec);
}

size_t dht_ipns_pb_size(const dht_ipns_record_t *rec) {
  return rec->pb ? dhtpb__ipns_record__get_packed_size(rec->pb) : 0;
}

static ProtobufCBinaryData bin(dht_ipns_bytes_t v) {
  ProtobufCBinaryData b = {v.len, (uint8_t *)v.p};
  return b;
}

int dht_ipns_marshal(const dht_ipns_record_t *rec, tr_bytes_t *out) {
  Dhtpb__IpnsRecord m = DHTPB__IPNS_RECORD__INIT;
  unsigned h = rec->has;
  m.has_value = !!(h & DHT_IPNS_HAS_VALUE);
  m.value = bin(rec->value);
  m.has_signaturev1 = !!(h & DHT_IPNS_HAS_SIG_V1);
  m.signaturev1 = bin(rec->signature_v1);
  m.has_validitytype = !!(h & DHT_IPNS_HAS_VALIDITY_TYPE);
  m.validitytype = (Dhtpb__IpnsRecord__ValidityType)rec->validity_type;
  m.has_validity = !!(h & DHT_IPNS_HAS_VALIDITY);
  m.validity = bin(rec->validity);
  m.has_sequence = !!(h & DHT_IPNS_HAS_SEQUENCE);
  m.sequence = rec->sequence;
  m.has_ttl = !!(h & DHT_IPNS_HAS_TTL);
  m.ttl = rec->ttl;
  m.has_pubkey = !!(h & DHT_IPNS_HAS_PUBKEY);
  m.pubkey = bin(rec->pubkey);
  m.has_signaturev2 = !!(h & DHT_IPNS_HAS_SIG_V2);
  m.signaturev2 = bin(rec->signature_v2);
  m.has_data = !!(h & DHT_IPNS_HAS_DATA);
  m.data = bin(rec->data);
  size_t n = dhtpb__ipns_record__get_packed_size(&m);
  if (tr_bytes_reserve(out, n))
    return -ENOMEM;
  dhtpb__ipns_record__pack(&m, out->data + out->len);
  out->len += n;
  return 0;
}

/* ------------------------------------------------------- verification */

int dht_ipns_pubkey(const dht_ipns_record_t *rec, const net_peerid_t *name,
                    const net_pubkey_t *known, net_pubkey_t *pk) {
  net_peerid_t id;
  int rc;
  if (rec->pubkey.len) { /* boxo reads an empty pubKey as none */
    if ((rc = net_pubkey_unmarshal(pk, rec->pubkey.p, rec->pubkey.len)))
      return rc;
    if ((rc = net_peerid_from_pubkey(&id, pk)))
      return rc;
    return net_peerid_equal(&id, name) ? 0 : TR_EKEYMISMATCH;
  }
  /* The identity multihash (code 0) inlines the key. */
  if (name->len && name->bytes[0] == 0x00)
    return net_peerid_pubkey(name, pk);
  if (!known)
    return TR_ENOPUBKEY;
  if (!net_peerid_matches(name, known))
    return TR_EKEYMISMATCH;
  *pk = *known;
  return 0;
}

static bool bytes_eq(dht_ipns_bytes_t a, dht_ipns_bytes_t b) {
  return a.len == b.len && (a.len == 0 || !memcmp(a.p, b.p, a.len));
}

/* boxo's validateCborDataMatchesPbData: every V1 field equals the data's,
 * an absent V1 field reading as its zero value (Go's getters). */
static int v1_matches(const dht_ipns_record_t *rec) {
  const dht_ipns_data_t *d = &rec->d;
  unsigned all = DHT_IPNS_D_VALUE | DHT_IPNS_D_VALIDITY |
                 DHT_IPNS_D_VALIDITY_TYPE | DHT_IPNS_D_SEQUENCE |
                 DHT_IPNS_D_TTL;
  if ((d->has & all) != all)
    return TR_EIPNSV1;
  if (!bytes_eq(rec->value, d->value) || !bytes_eq(rec->validity, d->validity))
    return TR_EIPNSV1;
  if ((int64_t)rec->validity_type != d->validity_type ||
      rec->sequence != (uint64_t)d->sequence || rec->ttl != (uint64_t)d->ttl)
    return TR_EIPNSV1;
  return 0;
}

int dht_ipns_eol(const dht_ipns_record_t *rec, dht_ipns_time_t *eol) {
  const dht_ipns_data_t *d = &rec->d;
  if (!(d->has & DHT_IPNS_D_VALIDITY_TYPE))
    return TR_EIPNS;
  if (d->validity_type != 0)
    return TR_EVALIDITY;
  if (!(d->has & DHT_IPNS_D_VALIDITY))
    return TR_EIPNS;
  return dht_ipns_time_parse((const char *)d->validity.p, d->validity.len,
                             eol);
}

static int time_cmp(dht_ipns_time_t a, dht_ipns_time_t b) {
  if (a.sec != b.sec)
    return a.sec < b.sec ? -1 : 1;
  return a.nsec < b.nsec ? -1 : a.nsec > b.nsec;
}

int dht_ipns_verify(const dht_ipns_record_t *rec, const net_pubkey_t *pk,
                    dht_ipns_time_t now) {
  if (rec->size > DHT_IPNS_RECORD_MAX)
    return TR_ETOOBIG;
  if (rec->signature_v2.len == 0)
    return TR_ESIG;
  if (rec->data.len == 0)
    return TR_EIPNS;
  if (rec->data.len > SIG_BUF_MAX - SIG_V2_PREFIX_LEN)
    return TR_ETOOBIG; /* cannot come from a record within the limit */
  uint8_t msg[SIG_BUF_MAX];
  memcpy(msg, SIG_V2_PREFIX, SIG_V2_PREFIX_LEN);
  memcpy(msg + SIG_V2_PREFIX_LEN, rec->data.p, rec->data.len);
  int rc = net_verify(pk, msg, SIG_V2_PREFIX_LEN + rec->data.len,
                      rec->signature_v2.p, rec->signature_v2.len);
  if (rc)
    return rc;
  if (rec->signature_v1.len || rec->value.len)
    if ((rc = v1_matches(rec)))
      return rc;
  dht_ipns_time_t eol;
  if ((rc = dht_ipns_eol(rec, &eol)))
    return rc;
  if (time_cmp(now, eol) > 0)
    return TR_EEXPIRED;
  if ((rec->d.has & DHT_IPNS_D_TTL) && rec->d.ttl < 0)
    return TR_EIPNS;
  return 0;
}

int dht_ipns_validate(const uint8_t *key, size_t keylen, const uint8_t *val,
                      size_t vlen, dht_ipns_time_t now,
                      const net_pubkey_t *known) {
  net_peerid_t name;
  int rc = dht_ipns_key_parse(key, keylen, &name);
  if (rc)
    return rc;
  dht_ipns_record_t rec;
  if ((rc = dht_ipns_parse(&rec, val, vlen)))
    return rc;
  net_pubkey_t pk;
  rc = dht_ipns_pubkey(&rec, &name, known, &pk);
  if (rc == 0)
    rc = dht_ipns_verify(&rec, &pk, now);
  dht_ipns_record_free(&rec);
  return rc;
}

/* ----------------------------------------------------------- selection */

int dht_ipns_compare(const dht_ipns_record_t *a, const dht_ipns_record_t *b,
                     int *cmp) {
  bool av2 = a->has & DHT_IPNS_HAS_SIG_V2, bv2 = b->has & DHT_IPNS_HAS_SIG_V2;
  if (av2 != bv2) {
    *cmp = av2 ? 1 : -1;
    return 0;
  }
  if (!(a->d.has & DHT_IPNS_D_SEQUENCE) || !(b->d.has & DHT_IPNS_D_SEQUENCE))
    return TR_EIPNS;
  uint64_t as = (uint64_t)a->d.sequence, bs = (uint64_t)b->d.sequence;
  if (as != bs) {
    *cmp = as > bs ? 1 : -1;
    return 0;
  }
  dht_ipns_time_t at, bt;
  int rc;
  if ((rc = dht_ipns_eol(a, &at)) || (rc = dht_ipns_eol(b, &bt)))
    return rc;
  *cmp = time_cmp(at, bt);
  return 0;
}

/* Go's bytes.Compare. */
static int raw_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
  size_t n = an < bn ? an : bn;
  int c = n ? memcmp(a, b, n) : 0;
  if (c)
    return c < 0 ? -1 : 1;
  return an < bn ? -1 : an > bn;
}

int dht_ipns_select(const uint8_t *const *vals, const size_t *lens,
                    size_t n) {
  if (n == 0)
    return TR_EUSAGE;
  /* boxo parses every record before comparing any: the first that does
   * not parse is the answer whatever its place.  Parse them all once
   * (freeing each), then compare two at a time. */
  dht_ipns_record_t best, next;
  int rc;
  for (size_t i = 0; i < n; i++) {
    if ((rc = dht_ipns_parse(&best, vals[i], lens[i])))
      return rc;
    dht_ipns_record_free(&best);
  }
  if (n == 1)
    return 0;
  if ((rc = dht_ipns_parse(&best, vals[0], lens[0])))
    return rc;
  size_t bi = 0;
  for (size_t j = 1; j < n; j++) {
    if ((rc = dht_ipns_parse(&next, vals[j], lens[j])))
      break;
    int cmp;
    if ((rc = dht_ipns_compare(&best, &next, &cmp))) {
      dht_ipns_record_free(&next);
      break;
    }
    if (cmp == 0)
      cmp = raw_cmp(vals[bi], lens[bi], vals[j], lens[j]);
    if (cmp < 0) {
      dht_ipns_record_free(&best);
      best = next;
      bi = j;
    } else {
      dht_ipns_record_free(&next);
    }
  }
  dht_ipns_record_free(&best);
  return rc ? rc : (int)bi;
}

/* ------------------------------------------------------------ creation */

/* The data map in DAG-CBOR key order: TTL, Value, Sequence, Validity,
 * ValidityType (length first, then bytewise).  boxo writes Sequence and
 * TTL with basicnode.NewInt(int64(x)): a sequence of 2^63 or more becomes
 * a negative integer, and so it does here, byte for byte. */
static int put_data(tr_bytes_t *d, const uint8_t *value, size_t vlen,
                    uint64_t seq, const char *validity, size_t tlen,
                    int64_t ttl) {
  int rc;
  if ((rc = dag_cbor_put_head(d, 5, 5)) ||
      (rc = dag_cbor_put_text(d, "TTL", 3)) ||
      (rc = dag_cbor_put_int(d, ttl)) ||
      (rc = dag_cbor_put_text(d, "Value", 5)) ||
      (rc = dag_cbor_put_bytes(d, value, vlen)) ||
      (rc = dag_cbor_put_text(d, "Sequence", 8)) ||
      (rc = dag_cbor_put_int(d, (int64_t)seq)) ||
      (rc = dag_cbor_put_text(d, "Validity", 8)) ||
      (rc = dag_cbor_put_bytes(d, validity, tlen)) ||
      (rc = dag_cbor_put_text(d, "ValidityType", 12)) ||
      (rc = dag_cbor_put_int(d, 0)))
    return rc;
  return 0;
}

int dht_ipns_create(const net_privkey_t *sk, const uint8_t *value,
                    size_t vlen, uint64_t seq, dht_ipns_time_t eol,
                    int64_t ttl_ns, unsigned flags, tr_bytes_t *out) {
  char validity[DHT_IPNS_TIME_STR_MAX];
  int tlen = dht_ipns_time_format(eol, validity, sizeof validity);
  if (tlen < 0)
    return TR_EUSAGE;
  if (vlen > DHT_IPNS_RECORD_MAX)
    return TR_ETOOBIG; /* and so the signed messages fit SIG_BUF_MAX */
  int64_t ttl = ttl_ns < 0 ? 0 : ttl_ns;
  uint8_t dbuf[256];
  tr_bytes_t d;
  tr_bytes_borrow(&d, dbuf, sizeof dbuf);
  int rc = put_data(&d, value, vlen, seq, validity, (size_t)tlen, ttl);
  if (rc) {
    tr_bytes_free(&d);
    return rc;
  }
  if (d.len > DHT_IPNS_RECORD_MAX) {
    tr_bytes_free(&d);
    return TR_ETOOBIG;
  }
  uint8_t msg[SIG_BUF_MAX], sig2[64], sig1[64];
  memcpy(msg, SIG_V2_PREFIX, SIG_V2_PREFIX_LEN);
  memcpy(msg + SIG_V2_PREFIX_LEN, d.data, d.len);
  net_sign(sk, msg, SIG_V2_PREFIX_LEN + d.len, sig2);

  dht_ipns_record_t r;
  memset(&r, 0, sizeof r);
  r.has = DHT_IPNS_HAS_SIG_V2 | DHT_IPNS_HAS_DATA;
  r.signature_v2 = (dht_ipns_bytes_t){sig2, sizeof sig2};
  r.data = (dht_ipns_bytes_t){d.data, d.len};
  if (!(flags & DHT_IPNS_V2_ONLY)) {
    r.has |= DHT_IPNS_HAS_VALUE | DHT_IPNS_HAS_SIG_V1 |
             DHT_IPNS_HAS_VALIDITY_TYPE | DHT_IPNS_HAS_VALIDITY |
             DHT_IPNS_HAS_SEQUENCE | DHT_IPNS_HAS_TTL;
    r.value = (dht_ipns_bytes_t){value, vlen};
    r.validity = (dht_ipns_bytes_t){(const uint8_t *)validity, (size_t)tlen};
    r.validity_type = 0;
    r.sequence = seq;
    r.ttl = (uint64_t)ttl;
    size_t m = 0;
    if (vlen)
      memcpy(msg, value, vlen);
    m += vlen;
    memcpy(msg + m, validity, (size_t)tlen);
    m += (size_t)tlen;
    memcpy(msg + m, V1_EOL, sizeof V1_EOL - 1);
    m += sizeof V1_EOL - 1;
    net_sign(sk, msg, m, sig1);
    r.signature_v1 = (dht_ipns_bytes_t){sig1, sizeof sig1};
  }
  uint8_t pkb[NET_PUBKEY_PB_MAX];
  if (flags & DHT_IPNS_EMBED_KEY) {
    net_pubkey_t pk;
    net_privkey_pubkey(sk, &pk);
    int pkl = net_pubkey_marshal(&pk, pkb, sizeof pkb);
    if (pkl < 0) {
      tr_bytes_free(&d);
      return pkl;
    }
    r.has |= DHT_IPNS_HAS_PUBKEY;
    r.pubkey = (dht_ipns_bytes_t){pkb, (size_t)pkl};
  }
  size_t start = out->len;
  rc = dht_ipns_marshal(&r, out);
  tr_bytes_free(&d);
  if (rc == 0 && out->len - start > DHT_IPNS_RECORD_MAX) {
    out->len = start;
    rc = TR_ETOOBIG;
  }
  return rc;
}

/* ---------------------------------------------------------- timestamps */

static bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int64_t y, int m) {
  static const uint8_t days[12] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* The decimal number s[0..n), all digits, in [lo, hi]; -1 otherwise. */
static int num(const char *s, size_t n, int lo, int hi) {
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v >= lo && v <= hi ? v : -1;
}

int dht_ipns_time_parse(const char *s, size_t n, dht_ipns_time_t *t) {
  /* "2006-01-02T15:04:05": 19 bytes, then the fraction and zone. */
  if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':')
    return TR_EVALIDITY;
  int y = num(s, 4, 0, 9999), mo = num(s + 5, 2, 1, 12);
  if (y < 0 || mo < 0)
    return TR_EVALIDITY;
  int d = num(s + 8, 2, 1, days_in(y, mo)), h = num(s + 11, 2, 0, 23),
      mi = num(s + 14, 2, 0, 59), se = num(s + 17, 2, 0, 59);
  if (d < 0 || h < 0 || mi < 0 || se < 0)
    return TR_EVALIDITY;
  size_t i = 19;
  uint32_t nsec = 0;
  if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
    int digits = 0;
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
      if (digits < 9) { /* Go ignores digits past the ninth */
        nsec = nsec * 10 + (uint32_t)(s[i] - '0');
        digits++;
      }
    for (; digits < 9; digits++)
      nsec *= 10;
  }
  int64_t off = 0;
  if (n - i == 1 && s[i] == 'Z') {
    /* UTC */
  } else if (n - i == 6 && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh = num(s + i + 1, 2, 0, 23), om = num(s + i + 4, 2, 0, 59);
    if (oh < 0 || om < 0)
      return TR_EVALIDITY;
    off = (int64_t)(oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
  } else {
    return TR_EVALIDITY;
  }
  t->sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
  t->nsec = nsec;
  return 0;
}

int dht_ipns_time_format(dht_ipns_time_t t, char *out, size_t cap) {
  if (t.nsec > 999999999u)
    return TR_EUSAGE;
  /* Floor division: a negative sec still has a time of day >= 0. */
  int64_t days = t.sec / 86400, rem = t.sec % 86400;
  if (rem < 0) {
    rem += 86400;
    days--;
  }
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 0 || y > 9999)
    return TR_EUSAGE;
  char buf[DHT_IPNS_TIME_STR_MAX];
  int len = 0;
  int h = (int)(rem / 3600), mi = (int)(rem / 60 % 60), s = (int)(rem % 60);
  const int f[6] = {(int)y, m, d, h, mi, s};
  const int w[6] = {4, 2, 2, 2, 2, 2};
  const char sep[6] = {'-', '-', 'T', ':', ':', 0};
  for (int k = 0; k < 6; k++) {
    for (int j = w[k] - 1, v = f[k]; j >= 0; j--, v /= 10)
      buf[len + j] = (char)('0' + v % 10);
    len += w[k];
    if (sep[k])
      buf[len++] = sep[k];
  }
  if (t.nsec) {
    char frac[9];
    uint32_t v = t.nsec;
    for (int j = 8; j >= 0; j--, v /= 10)
      frac[j] = (char)('0' + v % 10);
    int fl = 9;
    while (frac[fl - 1] == '0')
      fl--;
    buf[len++] = '.';
    memcpy(buf + len, frac, (size_t)fl);
    len += fl;
  }
  buf[len++] = 'Z';
  if ((size_t)len + 1 > cap)
    return TR_EBUFSIZE;
  memcpy(out, buf, (size_t)len);
  out[len] = 0;
  return len;
}

/* ---------------------------------------------------------------- keys */

static int key_make(const char *prefix, size_t plen, const net_peerid_t *id,
                    uint8_t *out, size_t cap) {
  if (plen + id->len > cap)
    return TR_EBUFSIZE;
  memcpy(out, prefix, plen);
  memcpy(out + plen, id->bytes, id->len);
  return (int)(plen + id->len);
}

static int key_parse(const char *prefix, size_t plen, const uint8_t *k,
                     size_t n, net_peerid_t *id) {
  if (n < plen || memcmp(k, prefix, plen))
    return TR_ERECKEY;
  return net_peerid_from_bytes(id, k + plen, n - plen);
}

int dht_ipns_key(const net_peerid_t *id, uint8_t *out, size_t cap) {
  return key_make(IPNS_PREFIX, sizeof IPNS_PREFIX - 1, id, out, cap);
}

int dht_ipns_key_parse(const uint8_t *k, size_t n, net_peerid_t *id) {
  return key_parse(IPNS_PREFIX, sizeof IPNS_PREFIX - 1, k, n, id);
}

int dht_ipns_pk_key(const net_peerid_t *id, uint8_t *out, size_t cap) {
  return key_make(PK_PREFIX, sizeof PK_PREFIX - 1, id, out, cap);
}

int dht_ipns_pk_key_parse(const uint8_t *k, size_t n, net_peerid_t *id) {
  return key_parse(PK_PREFIX, sizeof PK_PREFIX - 1, k, n, id);
}

int dht_ipns_pk_validate(const uint8_t *key, size_t keylen,
                         const uint8_t *val, size_t vlen) {
  net_peerid_t id;
  net_pubkey_t pk;
  int rc = dht_ipns_pk_key_parse(key, keylen, &id);
  if (rc)
    return rc;
  if ((rc = net_pubkey_unmarshal(&pk, val, vlen)))
    return rc;
  return net_peerid_matches(&id, &pk) ? 0 : TR_EKEYMISMATCH;
}

/* ------------------------------------------------ the DHT's validator */

int dht_record_validate(void *ud, const uint8_t *key, size_t kl,
                        const uint8_t *val, size_t vl, uint64_t now_ms) {
  (void)ud;
  if (kl > 6 && !memcmp(key, "/ipns/", 6)) {
    dht_ipns_time_t now = {(int64_t)(now_ms / 1000),
                           (uint32_t)(now_ms % 1000) * 1000000u};
    return dht_ipns_validate(key, kl, val, vl, now, NULL);
  }
  if (kl > 4 && !memcmp(key, "/pk/", 4))
    return dht_ipns_pk_validate(key, kl, val, vl);
  return TR_ERECKEY;
}

size_t dht_record_select(void *ud, const uint8_t *key, size_t kl,
                         const uint8_t *const *vals, const size_t *lens,
                         size_t n) {
  (void)ud;
  if (kl > 6 && !memcmp(key, "/ipns/", 6)) {
    int best = dht_ipns_select(vals, lens, n);
    return best > 0 ? (size_t)best : 0;
  }
  return 0; /* /pk/: every valid value is the same key */
}
