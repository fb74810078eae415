/*
 * keystore.c — the repo's IPNS keys as files in $repo/keystore/
 * (keystore.h).  Not here: the node's own key (node/identity.c keeps it
 * in the config) and signing (name.c).
 */
#include "keystore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../dag/multibase.h"

/* "$repo/keystore/key_" + base32 of a name: room for both with slack. */
#define KS_PATH_MAX 4400

/* --------------------------------------------------------------- parsing */

int dht_key_file_parse(const uint8_t *b, size_t n, net_privkey_t *k) {
  int rc = net_privkey_unmarshal(k, b, n);
  if (rc != TR_EKEY)
    return rc;
  /* Not an Ed25519 key: tell a PrivateKey of another type (field 1, the
   * KeyType varint, first, as go-libp2p writes it) from garbage, so that
   * an RSA key exported by Kubo gets a clear refusal. */
  if (n >= 4 && b[0] == 0x08 && b[1] <= NET_KEY_ECDSA &&
      b[1] != NET_KEY_ED25519 && b[2] == 0x12)
    return TR_EKEYTYPE;
  return TR_EKEY;
}

/* ----------------------------------------------------------------- names */

static void errf(char *err, size_t n, const char *fmt, const char *a) {
  if (err && n)
    snprintf(err, n, fmt, a);
}

int dht_key_name_check(const char *name, char *err, size_t errn) {
  size_t l = strlen(name);
  if (!l) {
    errf(err, errn, "key name must be at least one character%s", "");
    return TR_EUSAGE;
  }
  if (l > DHT_KEY_NAME_MAX) {
    char m[16];
    snprintf(m, sizeof m, "%d", DHT_KEY_NAME_MAX);
    errf(err, errn, "key name too long: at most %s bytes", m);
    return TR_EUSAGE;
  }
  for (size_t i = 0; i < l; i++)
    if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
      errf(err, errn, "key name may not hold control characters%s", "");
      return TR_EUSAGE;
    }
  return 0;
}

static int dir_of(const char *repo, char *out, size_t n) {
  int k = snprintf(out, n, "%s/keystore", repo);
  return k < 0 || (size_t)k >= n ? TR_EBUFSIZE : 0;
}

/* The file of name: boxo's encode() ("key_" + lowercase unpadded
 * base32, which multibase 'b' is, without its prefix). */
static int path_of(const char *repo, const char *name, char *out, size_t n) {
  if (dht_key_name_check(name, NULL, 0))
    return TR_EUSAGE;
  char b32[2 + (DHT_KEY_NAME_MAX * 8 + 4) / 5 + 1];
  int bl = dag_mb_encode('b', (const uint8_t *)name, strlen(name), b32,
                         sizeof b32);
  if (bl < 0)
    return bl;
  int k = snprintf(out, n, "%s/keystore/key_%s", repo, b32 + 1);
  return k < 0 || (size_t)k >= n ? TR_EBUFSIZE : 0;
}

/* The name a file name stands for: 0, or -1 when it is not a key file. */
static int name_of(const char *file, char *out, size_t n) {
  if (strncmp(file, "key_", 4) || !file[4] ||
      strlen(file) > 4 + (DHT_KEY_NAME_MAX * 8 + 4) / 5)
    return -1;
  char mb[4 + (DHT_KEY_NAME_MAX * 8 + 4) / 5];
  mb[0] = 'b';
  size_t l = strlen(file + 4);
  for (size_t i = 0; i < l; i++) /* boxo decodes upper-cased */
    mb[1 + i] = (char)(file[4 + i] >= 'A' && file[4 + i] <= 'Z'
                           ? file[4 + i] + 32
                           : file[4 + i]);
  size_t ol;
  if (dag_mb_decode(mb, 1 + l, (uint8_t *)out, n - 1, &ol, NULL))
    return -1;
  out[ol] = 0;
  return strlen(out) == ol && !dht_key_name_check(out, NULL, 0) ? 0 : -1;
}

/* -------------------------------------------------------------- the files */

/* The file at path whole into buf[0..DHT_KEY_FILE_MAX): its length;
 * TR_EKEY (longer: no key is), TR_ENOTFOUND, -errno. */
static int read_file(const char *path, uint8_t *buf) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? TR_ENOTFOUND : -errno;
  size_t n = 0;
  int rc = 0;
  uint8_t more;
  for (;;) {
    bool full = n == DHT_KEY_FILE_MAX;
    ssize_t r = read(fd, full ? &more : buf + n,
                     full ? 1 : DHT_KEY_FILE_MAX - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      rc = r < 0 ? -errno : 0;
      break;
    }
    if (full) {
      rc = TR_EKEY;
      break;
    }
    n += (size_t)r;
  }
  close(fd);
  return rc ? rc : (int)n;
}

static int read_key(const char *path, net_privkey_t *k) {
  uint8_t buf[DHT_KEY_FILE_MAX];
  int n = read_file(path, buf);
  int rc = n < 0 ? n : dht_key_file_parse(buf, (size_t)n, k);
  sodium_memzero(buf, sizeof buf);
  return rc;
}

/* The PeerID of the key at path, of any type. */
static int read_id(const char *path, net_peerid_t *id) {
  uint8_t buf[DHT_KEY_FILE_MAX];
  net_pubkey_t pk;
  int n = read_file(path, buf);
  int rc = n < 0 ? n : net_privkey_any_pubkey(buf, (size_t)n, &pk);
  sodium_memzero(buf, sizeof buf);
  return rc ? rc : net_peerid_from_pubkey(id, &pk);
}

int dht_key_load(const char *repo, const char *name, net_privkey_t *k) {
  char path[KS_PATH_MAX];
  int rc = path_of(repo, name, path, sizeof path);
  return rc ? rc : read_key(path, k);
}

int dht_key_load_file(const char *repo, const char *name,
                      uint8_t buf[DHT_KEY_FILE_MAX], net_pubkey_t *pk) {
  char path[KS_PATH_MAX];
  int n = path_of(repo, name, path, sizeof path);
  if (!n)
    n = read_file(path, buf);
  int rc = n < 0 ? n : net_privkey_any_pubkey(buf, (size_t)n, pk);
  if (rc) {
    sodium_memzero(buf, DHT_KEY_FILE_MAX);
    return rc;
  }
  return n;
}

static void sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
}

/* Write b[0..n) whole into a fresh temporary file of dir: its path into
 * tmp. */
static int write_tmp(const char *dir, const uint8_t *b, size_t n, char *tmp,
                     size_t tn) {
  uint8_t rnd[8];
  char hex[17];
  randombytes_buf(rnd, sizeof rnd);
  tr_hex(rnd, sizeof rnd, hex);
  int l = snprintf(tmp, tn, "%s/.tmp-%s", dir, hex);
  if (l < 0 || (size_t)l >= tn)
    return TR_EBUFSIZE;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return -errno;
  ssize_t w = write(fd, b, n);
  int rc = w == (ssize_t)n ? 0 : w < 0 ? -errno : -EIO;
  if (!rc && fsync(fd))
    rc = -errno;
  if (close(fd) && !rc)
    rc = -errno;
  if (rc)
    unlink(tmp);
  return rc;
}

/* Store the marshalled key b[0..n) under a new name. */
static int store(const char *repo, const char *name, const uint8_t *b,
                 size_t n, char *err, size_t errn) {
  int rc = dht_key_name_check(name, err, errn);
  if (rc)
    return rc;
  if (!strcmp(name, DHT_KEY_SELF)) {
    errf(err, errn, "cannot create key with name '%s'", DHT_KEY_SELF);
    return TR_EUSAGE;
  }
  char dir[KS_PATH_MAX], path[KS_PATH_MAX], tmp[KS_PATH_MAX];
  if ((rc = dir_of(repo, dir, sizeof dir)) ||
      (rc = path_of(repo, name, path, sizeof path)))
    return rc;
  if (mkdir(dir, 0700) && errno != EEXIST)
    return -errno;
  if ((rc = write_tmp(dir, b, n, tmp, sizeof tmp)))
    return rc;
  /* link() refuses an existing target: no key is ever overwritten, even
   * by two stores racing for one name. */
  rc = link(tmp, path) ? -errno : 0;
  unlink(tmp);
  if (rc == -EEXIST) {
    errf(err, errn, "key with name '%s' already exists", name);
    return TR_EEXIST;
  }
  if (!rc)
    sync_dir(dir);
  return rc;
}

int dht_key_store(const char *repo, const char *name, const net_privkey_t *k,
                  char *err, size_t errn) {
  uint8_t pb[NET_PRIVKEY_PB_LEN];
  net_privkey_marshal(k, pb);
  int rc = store(repo, name, pb, sizeof pb, err, errn);
  sodium_memzero(pb, sizeof pb);
  return rc;
}

int dht_key_import(const char *repo, const char *name, const uint8_t *b,
                   size_t n, net_peerid_t *id, char *err, size_t errn) {
  net_privkey_t k;
  net_pubkey_t pk;
  int rc = dht_key_file_parse(b, n, &k);
  if (!rc) { /* written as Kubo writes it: the 64-byte form */
    net_privkey_pubkey(&k, &pk);
    rc = dht_key_store(repo, name, &k, err, errn);
    sodium_memzero(&k, sizeof k);
  } else if (rc == TR_EKEYTYPE || rc == TR_EKEY) {
    if (!(rc = net_privkey_any_pubkey(b, n, &pk)))
      rc = store(repo, name, b, n, err, errn);
  }
  return rc ? rc : net_peerid_from_pubkey(id, &pk);
}

/* Load an existing key for rm and rename: Kubo's words when it is not. */
static int existing(const char *name, const char *path, net_peerid_t *id,
                    char *err, size_t errn) {
  int rc = read_id(path, id);
  if (rc == TR_ENOTFOUND || rc == TR_EKEY) {
    errf(err, errn, "no key named %s was found", name);
    return TR_ENOTFOUND;
  }
  return rc;
}

int dht_key_remove(const char *repo, const char *name, net_peerid_t *id,
                   char *err, size_t errn) {
  if (!strcmp(name, DHT_KEY_SELF)) {
    errf(err, errn, "cannot remove key with name '%s'", DHT_KEY_SELF);
    return TR_EUSAGE;
  }
  char path[KS_PATH_MAX];
  if (path_of(repo, name, path, sizeof path)) {
    errf(err, errn, "no key named %s was found", name);
    return TR_ENOTFOUND;
  }
  int rc = existing(name, path, id, err, errn);
  if (rc)
    return rc;
  if (unlink(path))
    return -errno;
  char dir[KS_PATH_MAX];
  if (!dir_of(repo, dir, sizeof dir))
    sync_dir(dir);
  return 0;
}

int dht_key_rename(const char *repo, const char *from, const char *to,
                   bool force, net_peerid_t *id, bool *overwritten, char *err,
                   size_t errn) {
  *overwritten = false;
  if (!strcmp(from, DHT_KEY_SELF)) {
    errf(err, errn, "cannot rename key with name '%s'", DHT_KEY_SELF);
    return TR_EUSAGE;
  }
  if (!strcmp(to, DHT_KEY_SELF)) {
    errf(err, errn, "cannot overwrite key with name '%s'", DHT_KEY_SELF);
    return TR_EUSAGE;
  }
  char src[KS_PATH_MAX], dst[KS_PATH_MAX], dir[KS_PATH_MAX];
  if (path_of(repo, from, src, sizeof src)) {
    errf(err, errn, "no key named %s was found", from);
    return TR_ENOTFOUND;
  }
  int rc = existing(from, src, id, err, errn);
  if (rc)
    return rc;
  if (!strcmp(from, to))
    return 0;
  if ((rc = dht_key_name_check(to, err, errn)) ||
      (rc = path_of(repo, to, dst, sizeof dst)) ||
      (rc = dir_of(repo, dir, sizeof dir)))
    return rc;
  if (force) {
    /* rename() replaces the target in one step. */
    *overwritten = access(dst, F_OK) == 0;
    if (rename(src, dst))
      return -errno;
  } else if (link(src, dst)) {
    if (errno == EEXIST) {
      errf(err, errn, "key by that name already exists, refusing to "
           "overwrite%s", "");
      return TR_EEXIST;
    }
    return -errno;
  } else if (unlink(src)) {
    return -errno;
  }
  sync_dir(dir);
  return 0;
}

/* -------------------------------------------------------------- listing */

static int by_name(const void *a, const void *b) {
  return strcmp(((const dht_key_entry_t *)a)->name,
                ((const dht_key_entry_t *)b)->name);
}

int dht_key_list(const char *repo, dht_key_entry_t **out, size_t *n) {
  *out = NULL, *n = 0;
  char dir[KS_PATH_MAX];
  int rc = dir_of(repo, dir, sizeof dir);
  if (rc)
    return rc;
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : -errno;
  size_t cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    dht_key_entry_t ent;
    char path[KS_PATH_MAX];
    if (name_of(e->d_name, ent.name, sizeof ent.name) ||
        path_of(repo, ent.name, path, sizeof path) ||
        read_id(path, &ent.id))
      continue; /* boxo logs and skips such files */
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 8;
      dht_key_entry_t *v = tr_realloc(*out, nc * sizeof *v);
      if (!v) {
        rc = -ENOMEM;
        break;
      }
      *out = v, cap = nc;
    }
    (*out)[(*n)++] = ent;
  }
  closedir(d);
  if (rc) {
    tr_free(*out);
    *out = NULL, *n = 0;
    return rc;
  }
  if (*n > 1)
    qsort(*out, *n, sizeof **out, by_name);
  return 0;
}

int dht_key_format_id(const net_peerid_t *id, const char *base, char *out,
                      size_t outsize) {
  char prefix = 0; /* net_peerid_format's bare base58btc */
  if (strcmp(base, "b58mh") && strcmp(base, "v0") &&
      (dag_mb_from_name(base, &prefix) || prefix == DAG_MB_IDENTITY))
    return TR_EBASE;
  return net_peerid_format(id, prefix, out, outsize);
}
