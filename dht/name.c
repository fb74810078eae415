/*
 * name.c — the node's own IPNS records, and the records held for other
 * names, in the repo (name.h).
 */
#include "name.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipns.h"

/* Self's record keeps the name it always had; another key's is named by
 * its PeerID, so that it follows the key through a rename and a removed
 * and re-imported key goes on from its last sequence. */
static int path_of(const char *repo, const char *id, char *out, size_t n) {
  int k = snprintf(out, n, "%s/ipns-%s.record", repo, id ? id : "self");
  return k < 0 || (size_t)k >= n ? TR_EBUFSIZE : 0;
}

int dht_name_last(const char *repo, const char *id, tr_bytes_t *out) {
  char path[4200];
  int rc = path_of(repo, id, path, sizeof path);
  if (rc)
    return rc;
  FILE *f = fopen(path, "rb");
  if (!f)
    return errno == ENOENT ? TR_ENOTFOUND : -errno;
  uint8_t buf[DHT_IPNS_RECORD_MAX + 1];
  size_t n = fread(buf, 1, sizeof buf, f);
  rc = ferror(f) ? -EIO : 0;
  fclose(f);
  return rc ? rc : tr_bytes_append(out, buf, n);
}

/* Write p[0..n) to path whole: a temporary file, synced, then renamed. */
static int save_path(const char *path, const uint8_t *p, size_t n) {
  char tmp[4300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f)
    return -errno;
  bool ok = fwrite(p, 1, n, f) == n && fflush(f) == 0 &&
            fsync(fileno(f)) == 0;
  ok &= fclose(f) == 0;
  if (!ok || rename(tmp, path)) {
    int e = errno ? -errno : -EIO;
    unlink(tmp);
    return e;
  }
  return 0;
}

static int save(const char *repo, const char *id, const uint8_t *p,
                size_t n) {
  char path[4200];
  int rc = path_of(repo, id, path, sizeof path);
  return rc ? rc : save_path(path, p, n);
}

int dht_name_sign(const net_privkey_t *sk, const char *repo, const char *id,
                  const char *value, uint64_t lifetime_ns, uint64_t ttl_ns,
                  uint64_t min_seq, tr_bytes_t *out) {
  tr_bytes_t last = {0};
  dht_ipns_record_t rec;
  bool have = false;
  uint64_t seq = 0;
  char v[1024] = "";
  int rc = dht_name_last(repo, id, &last);
  if (!rc && !dht_ipns_parse(&rec, last.data, last.len)) {
    have = true;
    seq = (uint64_t)rec.d.sequence + 1;
    size_t l = rec.d.value.len < sizeof v - 1 ? rec.d.value.len
                                              : sizeof v - 1;
    memcpy(v, rec.d.value.p, l);
    v[l] = 0;
    dht_ipns_record_free(&rec);
  }
  tr_bytes_free(&last);
  if (rc && rc != TR_ENOTFOUND)
    return rc;
  if (value)
    snprintf(v, sizeof v, "%s", value);
  else if (!have)
    return TR_ENOTFOUND;
  if (min_seq > seq)
    seq = min_seq;
  if (ttl_ns > lifetime_ns)
    ttl_ns = lifetime_ns;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t eol = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec +
                 lifetime_ns;
  dht_ipns_time_t t = {(int64_t)(eol / 1000000000),
                       (uint32_t)(eol % 1000000000)};
  tr_bytes_t fresh = {0};
  rc = dht_ipns_create(sk, (const uint8_t *)v, strlen(v), seq, t,
                       (int64_t)ttl_ns, 0, &fresh);
  if (!rc)
    rc = save(repo, id, fresh.data, fresh.len);
  if (!rc)
    rc = tr_bytes_append(out, fresh.data, fresh.len);
  tr_bytes_free(&fresh);
  return rc;
}

/* ------------------------------------------- records held for others */

#define HELD_PREFIX "ipns-held-"
#define HELD_SUFFIX ".record"

static int held_path(const char *repo, const net_peerid_t *id, char *out,
                     size_t n) {
  char s[NET_PEERID_STR_MAX];
  if (net_peerid_format(id, 0, s, sizeof s) < 0)
    return TR_EBUFSIZE;
  int k = snprintf(out, n, "%s/" HELD_PREFIX "%s" HELD_SUFFIX, repo, s);
  return k < 0 || (size_t)k >= n ? TR_EBUFSIZE : 0;
}

/* The name of a held record's file name, or -1. */
static int held_name(const char *f, net_peerid_t *id) {
  size_t pl = sizeof HELD_PREFIX - 1, sl = sizeof HELD_SUFFIX - 1,
         n = strlen(f);
  if (n <= pl + sl || strncmp(f, HELD_PREFIX, pl) ||
      strcmp(f + n - sl, HELD_SUFFIX))
    return -1;
  return net_peerid_parse(id, f + pl, n - pl - sl) ? -1 : 0;
}

static void count_one(void *ud, const net_peerid_t *id, const uint8_t *rec,
                      size_t n) {
  (void)id, (void)rec, (void)n;
  ++*(size_t *)ud;
}

int dht_name_hold(const char *repo, const net_peerid_t *id,
                  const uint8_t *rec, size_t n) {
  char path[4200];
  if (n > DHT_IPNS_RECORD_MAX)
    return TR_ETOOBIG;
  int rc = held_path(repo, id, path, sizeof path);
  if (rc)
    return rc;
  if (access(path, F_OK)) { /* a new name: within the cap */
    size_t held = 0;
    if ((rc = dht_name_held(repo, count_one, &held)))
      return rc;
    if (held >= DHT_NAME_HELD_MAX)
      return TR_ETOOBIG;
  }
  return save_path(path, rec, n);
}

int dht_name_held(const char *repo, dht_name_held_fn fn, void *ud) {
  DIR *d = opendir(repo);
  if (!d)
    return errno == ENOENT ? 0 : -errno;
  uint8_t buf[DHT_IPNS_RECORD_MAX + 1];
  struct dirent *e;
  while ((e = readdir(d))) {
    net_peerid_t id;
    char path[4200];
    if (held_name(e->d_name, &id) ||
        (size_t)snprintf(path, sizeof path, "%s/%s", repo, e->d_name) >=
            sizeof path)
      continue;
    FILE *f = fopen(path, "rb");
    if (!f)
      continue;
    size_t n = fread(buf, 1, sizeof buf, f);
    bool bad = ferror(f) || n > DHT_IPNS_RECORD_MAX;
    fclose(f);
    if (!bad)
      fn(ud, &id, buf, n);
  }
  closedir(d);
  return 0;
}

int dht_name_unhold(const char *repo, const net_peerid_t *id) {
  char path[4200];
  int rc = held_path(repo, id, path, sizeof path);
  if (rc)
    return rc;
  if (unlink(path))
    return errno == ENOENT ? TR_ENOTFOUND : -errno;
  return 0;
}

int dht_name_rekey(const char *repo, const char *id) {
  char from[4200], to[4200];
  int rc = path_of(repo, NULL, from, sizeof from);
  if (!rc)
    rc = path_of(repo, id, to, sizeof to);
  if (!rc && rename(from, to))
    rc = errno == ENOENT ? 0 : -errno;
  return rc;
}
