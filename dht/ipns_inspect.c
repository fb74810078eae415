/*
 * ipns_inspect.c — `name inspect` over a record's bytes (ipns_inspect.h):
 * boxo's getters, its ValidateWithName in words, and the text of Kubo's
 * text encoder.
 */
#include "ipns_inspect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../dag/cid.h"

static const char HEX[] = "0123456789abcdef";

static int put(tr_bytes_t *o, const void *p, size_t n) {
  return tr_bytes_append(o, p, n) ? -ENOMEM : 0;
}

static int puts_(tr_bytes_t *o, const char *s) { return put(o, s, strlen(s)); }

/* ------------------------------------------------------------ Go text */

/* unicode.IsPrint, for the code points above ASCII: the controls, the
 * spaces but U+0020, the format and private-use characters Go refuses
 * (see the header: its tables know more). */
static bool printable(uint32_t r) {
  return !(r <= 0xa0 || r == 0xad || r == 0x1680 ||
           (r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
           (r >= 0x205f && r <= 0x2064) || r == 0x3000 ||
           (r >= 0xe000 && r <= 0xf8ff) || r == 0xfeff ||
           (r >= 0xfff9 && r <= 0xfffb) || r >= 0xf0000);
}

static uint32_t rune(const uint8_t *s, size_t k) {
  if (k == 1)
    return s[0];
  uint32_t r = s[0] & (0x7f >> k);
  for (size_t i = 1; i < k; i++)
    r = r << 6 | (s[i] & 0x3f);
  return r;
}

int dht_go_quote(const char *str, size_t n, tr_bytes_t *o) {
  const uint8_t *s = (const uint8_t *)str;
  int rc = put(o, "\"", 1);
  for (size_t i = 0; !rc && i < n;) {
    size_t k = tr_utf8_seq(s + i, n - i);
    uint32_t r = k ? rune(s + i, k) : s[i];
    char e[12];
    int el = 0;
    if (!k) { /* a byte that begins no UTF-8 sequence */
      el = snprintf(e, sizeof e, "\\x%c%c", HEX[r >> 4], HEX[r & 15]);
      k = 1;
    } else if (r == '"' || r == '\\') {
      el = snprintf(e, sizeof e, "\\%c", (char)r);
    } else if ((r >= 0x20 && r < 0x7f) || (r >= 0x80 && printable(r))) {
      rc = put(o, s + i, k);
    } else if (r < 0x20 || r == 0x7f) {
      static const char named[] = "\a\b\f\n\r\t\v", names[] = "abfnrtv";
      const char *c = r ? strchr(named, (int)r) : NULL;
      el = c ? snprintf(e, sizeof e, "\\%c", names[c - named])
             : snprintf(e, sizeof e, "\\x%c%c", HEX[r >> 4], HEX[r & 15]);
    } else {
      el = snprintf(e, sizeof e, r < 0x10000 ? "\\u%04x" : "\\U%08x",
                    (unsigned)r);
    }
    if (el > 0)
      rc = put(o, e, (size_t)el);
    i += k;
  }
  return rc ? rc : put(o, "\"", 1);
}

int dht_hex_dump(const uint8_t *b, size_t n, tr_bytes_t *o) {
  int rc = 0;
  for (size_t off = 0; !rc && off < n; off += 16) {
    size_t m = n - off < 16 ? n - off : 16;
    char line[80];
    size_t l = (size_t)snprintf(line, sizeof line, "%08x  ",
                                (unsigned)(off & 0xffffffffu));
    for (size_t i = 0; i < 16; i++) {
      if (i < m) {
        line[l++] = HEX[b[off + i] >> 4];
        line[l++] = HEX[b[off + i] & 15];
      } else {
        line[l++] = ' ';
        line[l++] = ' ';
      }
      line[l++] = ' ';
      if (i == 7 || i == 15)
        line[l++] = ' ';
    }
    line[l++] = '|';
    for (size_t i = 0; i < m; i++) {
      uint8_t c = b[off + i];
      line[l++] = c < 32 || c > 126 ? '.' : (char)c;
    }
    line[l++] = '|';
    line[l++] = '\n';
    rc = put(o, line, l);
  }
  return rc;
}

/* --------------------------------------------------------------- Value */

/* boxo's path.NewPath: a rooted path, cleaned as Go's path.Clean does,
 * of a known namespace whose /ipfs/ and /ipld/ root is a CID.  Appended
 * to o; TR_EUSAGE when boxo refuses it. */
static int path_new(const uint8_t *s, size_t n, tr_bytes_t *o) {
  if (!n || s[0] != '/')
    return TR_EUSAGE;
  size_t *at = tr_malloc((n / 2 + 2) * 2 * sizeof *at), ns = 0;
  if (!at)
    return -ENOMEM;
  for (size_t i = 0; i < n;) {
    while (i < n && s[i] == '/')
      i++;
    size_t j = i;
    while (j < n && s[j] != '/')
      j++;
    if (j - i == 2 && s[i] == '.' && s[i + 1] == '.') {
      ns -= ns > 0; /* ".." above the root stays at the root */
    } else if (j > i && !(j - i == 1 && s[i] == '.')) {
      at[2 * ns] = i, at[2 * ns + 1] = j - i;
      ns++;
    }
    i = j;
  }
  int rc = TR_EUSAGE;
  if (ns >= 2) {
    const char *ns0 = (const char *)s + at[0];
    size_t l0 = at[1];
    dag_cid_t cid;
    bool immutable = (l0 == 4 && !memcmp(ns0, "ipfs", 4)) ||
                     (l0 == 4 && !memcmp(ns0, "ipld", 4));
    if (immutable)
      rc = dag_cid_parse(&cid, (const char *)s + at[2], at[3]) ? TR_EUSAGE
                                                                 : 0;
    else if (l0 == 4 && !memcmp(ns0, "ipns", 4))
      rc = 0;
  }
  for (size_t k = 0; !rc && k < ns; k++)
    rc = put(o, "/", 1) ? -ENOMEM : put(o, s + at[2 * k], at[2 * k + 1]);
  if (!rc && s[n - 1] == '/') /* boxo keeps the trailing slash */
    rc = put(o, "/", 1);
  tr_free(at);
  return rc;
}

/* boxo's Record.Value() as text into in->value: absent when it fails. */
static int value_of(const dht_ipns_data_t *d, dht_ipns_inspect_t *in) {
  if (!(d->has & DHT_IPNS_D_VALUE))
    return 0;
  tr_bytes_t o = {0};
  const uint8_t *v = d->value.p;
  size_t n = d->value.len;
  int rc;
  if (n == 0) { /* boxo's NoopValue, an empty identity CID */
    rc = puts_(&o, "/ipfs/bafkqaaa");
  } else if (v[0] == '/') {
    rc = path_new(v, n, &o);
  } else { /* a binary CID, the legacy form */
    dag_cid_t cid;
    char cs[DAG_CID_STR_MAX];
    rc = dag_cid_decode(&cid, v, n) != (int)n ||
                 dag_cid_format(&cid, 0, cs, sizeof cs) < 0
             ? TR_EUSAGE
             : puts_(&o, "/ipfs/") ? -ENOMEM : puts_(&o, cs);
  }
  if (!rc && !(rc = put(&o, "", 1))) {
    in->value = (char *)o.data;
    in->value_len = o.len - 1;
    in->has |= DHT_IPNS_D_VALUE;
    return 0;
  }
  tr_bytes_free(&o);
  return rc == -ENOMEM ? rc : 0;
}

/* ---------------------------------------------------------- validation */

/* The first V1 field that differs from the signed data's, in boxo's
 * order (validateCborDataMatchesPbData). */
static const char *v1_field(const dht_ipns_record_t *r) {
  const dht_ipns_data_t *d = &r->d;
  if (!(d->has & DHT_IPNS_D_VALUE) || r->value.len != d->value.len ||
      (r->value.len && memcmp(r->value.p, d->value.p, r->value.len)))
    return "Value";
  if (!(d->has & DHT_IPNS_D_VALIDITY) || r->validity.len != d->validity.len ||
      (r->validity.len &&
       memcmp(r->validity.p, d->validity.p, r->validity.len)))
    return "Validity";
  if (!(d->has & DHT_IPNS_D_VALIDITY_TYPE) ||
      (int64_t)r->validity_type != d->validity_type)
    return "ValidityType";
  if (!(d->has & DHT_IPNS_D_SEQUENCE) || r->sequence != (uint64_t)d->sequence)
    return "Sequence";
  return "TTL";
}

int dht_ipns_validate_name(const dht_ipns_record_t *r,
                           const net_peerid_t *name, dht_ipns_time_t now,
                           char *why, size_t n) {
  net_pubkey_t pk;
  int rc = dht_ipns_pubkey(r, name, NULL, &pk);
  if (!rc)
    rc = dht_ipns_verify(r, &pk, now);
  const char *m;
  switch (rc) {
  case 0:
    m = "";
    break;
  case TR_EKEY:
    /* a malformed pubKey or inlined key; a key net_verify() refuses
     * fails go-libp2p's Verify, which boxo words as the signature */
    m = r->pubkey.len || name->bytes[0] == 0x00 ? "public key invalid"
                                                : "signature verification "
                                                  "failed";
    break;
  case TR_EKEYMISMATCH:
    m = "record public key does not match the expected public key";
    break;
  case TR_ENOPUBKEY:
    m = "public key is not embedded in peer ID";
    break;
  case TR_ESIG:
    m = "signature verification failed";
    break;
  case TR_ETOOBIG:
    m = "record exceeds allowed size limit";
    break;
  case TR_EIPNSV1:
    snprintf(why, n, "field \"%s\" did not match between protobuf and CBOR",
             v1_field(r));
    return rc;
  case TR_EVALIDITY:
    m = r->d.validity_type != 0 ? "record contains an unrecognized validity "
                                  "type"
                                : "record contains an invalid validity";
    break;
  case TR_EEXPIRED:
    m = "record is expired";
    break;
  default: /* TR_EIPNS: a negative TTL, or no ValidityType or Validity */
    m = (r->d.has & DHT_IPNS_D_TTL) && r->d.ttl < 0 &&
                !dht_ipns_eol(r, &(dht_ipns_time_t){0, 0})
            ? "record is malformed: negative TTL"
            : "record is malformed";
  }
  snprintf(why, n, "%s", m);
  return rc;
}

/* ------------------------------------------------------------- inspect */

int dht_ipns_inspect(const uint8_t *b, size_t n, const char *verify,
                     bool dump, dht_ipns_time_t now, dht_ipns_inspect_t *out,
                     char *err, size_t errn) {
  memset(out, 0, sizeof *out);
  net_peerid_t name;
  dht_ipns_record_t r;
  int rc = dht_ipns_parse(&r, b, n);
  if (rc) {
    snprintf(err, errn, "%s", rc == TR_ETOOBIG ? "record exceeds allowed "
                                                 "size limit"
                              : rc == TR_EIPNS ? "record is malformed"
                                               : tr_strerror(rc));
    return rc;
  }
  const dht_ipns_data_t *d = &r.d;
  if ((rc = value_of(d, out)))
    goto fail;
  if (d->has & DHT_IPNS_D_VALIDITY_TYPE) {
    out->has |= DHT_IPNS_D_VALIDITY_TYPE;
    out->validity_type = d->validity_type;
  }
  dht_ipns_time_t eol;
  if (!dht_ipns_eol(&r, &eol) &&
      dht_ipns_time_format(eol, out->validity, sizeof out->validity) > 0)
    out->has |= DHT_IPNS_D_VALIDITY;
  if (d->has & DHT_IPNS_D_SEQUENCE) {
    out->has |= DHT_IPNS_D_SEQUENCE;
    out->sequence = (uint64_t)d->sequence;
  }
  if (d->has & DHT_IPNS_D_TTL) {
    out->has |= DHT_IPNS_D_TTL;
    out->ttl_ns = d->ttl;
  }
  out->pb_size = dht_ipns_pb_size(&r);
  out->sig_type = r.signature_v1.len || r.value.len ? "V1+V2" : "V2";
  if (verify) {
    const char *s = strncmp(verify, "/ipns/", 6) ? verify : verify + 6;
    if ((rc = net_peerid_parse(&name, s, strlen(s))) ||
        (rc = net_peerid_format(&name, 'k', out->name, sizeof out->name)) <
            0) {
      snprintf(err, errn, "failed to parse peer ID: %s", tr_strerror(rc));
      rc = TR_EPEERID;
      goto fail;
    }
    out->verified = true;
    out->valid = !dht_ipns_validate_name(&r, &name, now, out->reason,
                                         sizeof out->reason);
  }
  if (dump) {
    tr_bytes_t h = {0};
    if ((rc = dht_hex_dump(b, n, &h)) || (rc = put(&h, "", 1))) {
      tr_bytes_free(&h);
      goto fail;
    }
    out->hexdump = (char *)h.data;
  }
  dht_ipns_record_free(&r);
  return 0;
fail:
  if (rc == -ENOMEM)
    snprintf(err, errn, "out of memory");
  dht_ipns_record_free(&r);
  dht_ipns_inspect_free(out);
  return rc;
}

void dht_ipns_inspect_free(dht_ipns_inspect_t *in) {
  tr_free(in->value);
  tr_free(in->hexdump);
  memset(in, 0, sizeof *in);
}

/* --------------------------------------------------------------- text */

/* A row of the first tabwriter block: its widest label is always
 * "Signature Type:" (15), and a cell is padded by one. */
static int row(tr_bytes_t *o, const char *label, const char *v, size_t vl) {
  char l[20];
  snprintf(l, sizeof l, "%-16s", label);
  return puts_(o, l) || put(o, v, vl) || put(o, "\n", 1) ? -ENOMEM : 0;
}

int dht_ipns_inspect_text(const dht_ipns_inspect_t *in, tr_bytes_t *o) {
  char v[64];
  int rc = 0;
  if (in->has & DHT_IPNS_D_VALUE) {
    tr_bytes_t q = {0};
    rc = dht_go_quote(in->value, in->value_len, &q);
    if (!rc)
      rc = row(o, "Value:", (const char *)q.data, q.len);
    tr_bytes_free(&q);
  }
  if (!rc && (in->has & DHT_IPNS_D_VALIDITY_TYPE)) {
    snprintf(v, sizeof v, "%lld", (long long)in->validity_type);
    rc = row(o, "Validity Type:", v, strlen(v));
  }
  if (!rc && (in->has & DHT_IPNS_D_VALIDITY)) {
    snprintf(v, sizeof v, "\"%s\"", in->validity);
    rc = row(o, "Validity:", v, strlen(v));
  }
  if (!rc && (in->has & DHT_IPNS_D_SEQUENCE)) {
    snprintf(v, sizeof v, "%llu", (unsigned long long)in->sequence);
    rc = row(o, "Sequence:", v, strlen(v));
  }
  if (!rc && (in->has & DHT_IPNS_D_TTL)) {
    tr_format_duration(in->ttl_ns, v);
    rc = row(o, "TTL:", v, strlen(v));
  }
  if (!rc) {
    snprintf(v, sizeof v, "%zu", in->pb_size);
    rc = row(o, "Protobuf Size:", v, strlen(v));
  }
  if (!rc)
    rc = row(o, "Signature Type:", in->sig_type, strlen(in->sig_type));
  if (!rc && !in->verified) {
    rc = puts_(o, "\nThis record was not verified. Pass '--verify k51...' "
                  "to verify.\n");
  } else if (!rc) {
    /* The second block's cells: an empty one (width 1 with its
     * padding), then the labels, padded to the widest plus one. */
    int w = in->reason[0] ? 8 : 7;
    char line[160];
    snprintf(line, sizeof line, "\nValidation results:\n %-*s%s\n", w,
             "Valid:", in->valid ? "true" : "false");
    rc = puts_(o, line);
    if (!rc && in->reason[0]) {
      snprintf(line, sizeof line, " %-*s%s\n", w, "Reason:", in->reason);
      rc = puts_(o, line);
    }
    if (!rc) {
      snprintf(line, sizeof line, " %-*s%s\n", w, "Name:", in->name);
      rc = puts_(o, line);
    }
  }
  if (!rc && in->hexdump && in->hexdump[0])
    rc = puts_(o, "\nHex Dump:\n") ? -ENOMEM : puts_(o, in->hexdump);
  return rc;
}
