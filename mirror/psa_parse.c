/*
 * psa_parse.c — the Pinning Service API client's answer parser
 * (mirror/psa_client.h): PinStatus, PinResults and Failure bodies checked
 * against the spec and trove's caps, free of I/O.  Also the status names,
 * the spec's time format, and Kubo's endpoint normalisation.
 *
 * Every field of a hostile answer is checked before it is copied, and a
 * page is all or nothing: a follower must never act on half a page.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../dag/cid.h"
#include "psa_client.h"

/* -------------------------------------------------------------- status */

static const char *const st_names[] = {"queued", "pinning", "pinned",
                                       "failed"};

const char *mir_psa_status_name(unsigned st) {
  for (unsigned i = 0; i < 4; i++)
    if (st == 1u << i)
      return st_names[i];
  return NULL;
}

unsigned mir_psa_status_bit(const char *s, size_t n) {
  for (unsigned i = 0; i < 4; i++)
    if (strlen(st_names[i]) == n && !memcmp(s, st_names[i], n))
      return 1u << i;
  return 0;
}

int mir_psa_status_mask(const char *s, unsigned *out) {
  unsigned m = 0;
  *out = 0;
  while (*s) {
    size_t n = strcspn(s, ",");
    unsigned b = mir_psa_status_bit(s, n);
    if (!b)
      return TR_EUSAGE;
    m |= b;
    s += n;
    if (*s == ',')
      s++;
  }
  if (!m)
    return TR_EUSAGE;
  *out = m;
  return 0;
}

/* ---------------------------------------------------------------- time */

static int digits(const char *s, int n, int *v) {
  *v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    *v = *v * 10 + (s[i] - '0');
  }
  return 0;
}

int mir_psa_parse_time(const char *s, int64_t *ms) {
  int64_t us;
  int rc = mir_psa_parse_time_us(s, &us);
  *ms = rc ? 0 : us / 1000;
  return rc;
}

int mir_psa_parse_time_us(const char *s, int64_t *us) {
  int Y, M, D, h, m, sec, frac = 0, fd = 0;
  *us = 0;
  if (strlen(s) < 20 || digits(s, 4, &Y) || s[4] != '-' ||
      digits(s + 5, 2, &M) || s[7] != '-' || digits(s + 8, 2, &D) ||
      (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
      s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' ||
      digits(s + 17, 2, &sec))
    return TR_EPROTO;
  const char *p = s + 19;
  if (*p == '.') {
    p++;
    while (*p >= '0' && *p <= '9') {
      if (fd < 6) {
        frac = frac * 10 + (*p - '0');
        fd++;
      }
      p++;
      if (p - s > 40)
        return TR_EPROTO;
    }
    if (p[-1] == '.')
      return TR_EPROTO;
    while (fd < 6) {
      frac *= 10;
      fd++;
    }
  }
  int off = 0;
  if ((*p == 'Z' || *p == 'z') && !p[1])
    off = 0;
  else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
    int oh, om;
    if (digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) || oh > 23 || om > 59)
      return TR_EPROTO;
    off = (oh * 60 + om) * (*p == '+' ? 1 : -1);
  } else
    return TR_EPROTO;
  if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 ||
      sec > 60)
    return TR_EPROTO;
  /* Days since 1970 (Howard Hinnant's days_from_civil). */
  int y = M <= 2 ? Y - 1 : Y;
  int era = y / 400;
  int yoe = y - era * 400;
  int doy = (153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = (int64_t)era * 146097 + doe - 719468;
  int64_t t = ((days * 24 + h) * 60 + m) * 60 + sec - (int64_t)off * 60;
  *us = t * 1000000 + frac;
  return 0;
}

void mir_psa_format_time(int64_t ms, char *out, size_t n) {
  mir_psa_format_time_us(ms * 1000, 3, out, n);
}

void mir_psa_format_time_us(int64_t us, int digits, char *out, size_t n) {
  time_t t = (time_t)(us / 1000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char b[32];
  strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
  char f[8] = ".";
  snprintf(f + 1, sizeof f - 1, "%06u", (unsigned)(us % 1000000));
  f[digits > 0 && digits <= 6 ? 1 + digits : 0] = 0;
  snprintf(out, n, "%s%sZ", b, f);
}

/* ------------------------------------------------------------- objects */

void mir_psa_pin_free(mir_psa_pin_t *p) {
  if (!p)
    return;
  json_decref(p->origins);
  json_decref(p->delegates);
  json_decref(p->meta);
  p->origins = p->delegates = p->meta = NULL;
}

void mir_psa_page_free(mir_psa_page_t *pg) {
  if (!pg)
    return;
  for (size_t i = 0; i < pg->n; i++)
    mir_psa_pin_free(&pg->pins[i]);
  tr_free(pg->pins);
  memset(pg, 0, sizeof *pg);
}

/* A string without control characters, 1..max bytes, into out. */
static bool str_ok(json_t *v, size_t max, bool empty_ok) {
  const char *s = json_string_value(v);
  if (!s)
    return false;
  size_t n = json_string_length(v);
  if (n > max || (!n && !empty_ok) || strlen(s) != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
      return false;
  return true;
}

/* An optional array of multiaddr strings: a copy (empty when absent). */
static int addrs(json_t *v, json_t **out) {
  *out = NULL;
  if (v && !json_is_null(v) &&
      (!json_is_array(v) || json_array_size(v) > MIR_PSA_ADDRS_MAX))
    return TR_EPROTO;
  size_t i;
  json_t *e;
  json_array_foreach(v, i, e) if (!str_ok(e, MIR_PSA_ADDR_MAX, false) ||
                                  json_string_value(e)[0] != '/')
      return TR_EPROTO;
  *out = v && json_is_array(v) ? json_copy(v) : json_array();
  return *out ? 0 : -ENOMEM;
}

static int meta(json_t *v, json_t **out) {
  *out = NULL;
  if (v && !json_is_null(v) &&
      (!json_is_object(v) || json_object_size(v) > MIR_PSA_META_MAX))
    return TR_EPROTO;
  const char *k;
  json_t *e;
  json_object_foreach(v, k, e) if (strlen(k) > MIR_PSA_META_LEN ||
                                   !str_ok(e, MIR_PSA_META_LEN, true))
      return TR_EPROTO;
  *out = v && json_is_object(v) ? json_copy(v) : json_object();
  return *out ? 0 : -ENOMEM;
}

static int pin_from(json_t *o, mir_psa_pin_t *out) {
  memset(out, 0, sizeof *out);
  json_t *pin = json_object_get(o, "pin");
  json_t *rid = json_object_get(o, "requestid");
  json_t *st = json_object_get(o, "status");
  json_t *cr = json_object_get(o, "created");
  json_t *cid = json_object_get(pin, "cid");
  json_t *name = json_object_get(pin, "name");
  if (!json_is_object(o) || !json_is_object(pin) ||
      !str_ok(rid, MIR_PSA_REQID_MAX, false) || !json_is_string(st) ||
      !str_ok(cr, sizeof out->created - 1, false) ||
      !str_ok(cid, MIR_PSA_CID_MAX, false) ||
      (name && !json_is_null(name) && !str_ok(name, MIR_PSA_NAME_MAX, true)))
    return TR_EPROTO;
  out->status = mir_psa_status_bit(json_string_value(st),
                                   json_string_length(st));
  if (!out->status)
    return TR_EPROTO;
  dag_cid_t c;
  if (dag_cid_parse(&c, json_string_value(cid), json_string_length(cid)))
    return TR_EPROTO;
  if (mir_psa_parse_time_us(json_string_value(cr), &out->created_us))
    return TR_EPROTO;
  out->created_ms = out->created_us / 1000;
  strcpy(out->requestid, json_string_value(rid));
  strcpy(out->created, json_string_value(cr));
  strcpy(out->cid, json_string_value(cid));
  if (json_is_string(name))
    strcpy(out->name, json_string_value(name));
  int rc = addrs(json_object_get(pin, "origins"), &out->origins);
  if (!rc)
    rc = addrs(json_object_get(o, "delegates"), &out->delegates);
  if (!rc)
    rc = meta(json_object_get(pin, "meta"), &out->meta);
  if (rc)
    mir_psa_pin_free(out);
  return rc;
}

/* JSON text into a value, within the body cap; duplicate keys refused (a
 * field that means two things). */
static int load(const char *s, size_t n, json_t **out) {
  *out = NULL;
  if (n > MIR_PSA_BODY_MAX)
    return TR_ETOOBIG;
  json_error_t e;
  *out = json_loadb(s, n, JSON_REJECT_DUPLICATES, &e);
  if (!*out)
    return json_error_code(&e) == json_error_out_of_memory ? -ENOMEM
                                                           : TR_EPROTO;
  return 0;
}

int mir_psa_parse_status(const char *s, size_t n, mir_psa_pin_t *out) {
  memset(out, 0, sizeof *out);
  json_t *o;
  int rc = load(s, n, &o);
  if (rc)
    return rc;
  rc = pin_from(o, out);
  json_decref(o);
  return rc;
}

int mir_psa_parse_page(const char *s, size_t n, mir_psa_page_t *out) {
  memset(out, 0, sizeof *out);
  json_t *o;
  int rc = load(s, n, &o);
  if (rc)
    return rc;
  json_t *cnt = json_object_get(o, "count");
  json_t *res = json_object_get(o, "results");
  size_t nr = json_array_size(res);
  if (!json_is_object(o) || !json_is_integer(cnt) ||
      json_integer_value(cnt) < 0 || !json_is_array(res) ||
      nr > MIR_PSA_RESULTS_MAX || (uint64_t)json_integer_value(cnt) < nr) {
    json_decref(o);
    return TR_EPROTO;
  }
  out->count = (uint64_t)json_integer_value(cnt);
  if (nr && !(out->pins = tr_calloc(nr, sizeof *out->pins)))
    rc = -ENOMEM;
  for (size_t i = 0; !rc && i < nr; i++) {
    rc = pin_from(json_array_get(res, i), &out->pins[i]);
    if (!rc)
      out->n++;
  }
  json_decref(o);
  if (rc)
    mir_psa_page_free(out);
  return rc;
}

static void copy_clean(const char *s, char *out, size_t n) {
  if (!n)
    return;
  size_t i = 0;
  for (; s && s[i] && i + 1 < n; i++)
    out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
  out[i] = 0;
}

void mir_psa_parse_failure(const char *s, size_t n, char *reason, size_t rn,
                           char *details, size_t dn) {
  copy_clean("", reason, rn);
  copy_clean("", details, dn);
  json_t *o;
  if (load(s, n, &o))
    return;
  json_t *e = json_object_get(o, "error");
  copy_clean(json_string_value(json_object_get(e, "reason")), reason, rn);
  copy_clean(json_string_value(json_object_get(e, "details")), details, dn);
  json_decref(o);
}

/* ------------------------------------------------------------ endpoint */

int mir_psa_endpoint_normalize(const char *in, char *out, size_t n, char *err,
                               size_t en) {
  const char *bad = "service endpoint must be a valid HTTP URL";
  size_t sl = !strncmp(in, "http://", 7) ? 7 : !strncmp(in, "https://", 8) ? 8 : 0;
  const char *host = in + sl;
  size_t hl = strcspn(host, "/?#");
  if (!sl || !hl || strlen(in) >= MIR_PSA_URL_MAX || strlen(in) >= n)
    goto fail;
  for (const char *p = in; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == 0x7f)
      goto fail;
  if (strchr(in, '?')) {
    bad = "service endpoint should be provided without any query parameters";
    goto fail;
  }
  if (strchr(in, '#'))
    goto fail;
  /* The path, cleaned: no empty or "." segments, ".." pops one. */
  char segs[MIR_PSA_URL_MAX];
  size_t sn = 0;
  const char *p = host + hl;
  while (*p) {
    while (*p == '/')
      p++;
    size_t l = strcspn(p, "/");
    if (!l)
      break;
    if (l == 1 && *p == '.') {
    } else if (l == 2 && !memcmp(p, "..", 2)) {
      while (sn && segs[sn - 1] != '/')
        sn--;
      if (sn)
        sn--;
    } else {
      segs[sn++] = '/';
      memcpy(segs + sn, p, l);
      sn += l;
    }
    p += l;
  }
  segs[sn] = 0;
  if (sn >= 5 && !strcmp(segs + sn - 5, "/pins")) {
    bad = "service endpoint should be provided without the /pins suffix";
    goto fail;
  }
  snprintf(out, n, "%.*s%s", (int)(sl + hl), in, segs);
  return 0;
fail:
  snprintf(err, en, "%s", bad);
  return TR_EUSAGE;
}
