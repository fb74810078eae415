/*
 * mfs_cmd.c — the `files` commands over mfs.c, run alike by the API
 * (rpc_mfs.c) and the CLI (cli/cmd_mfs.c): argument forms, content paths,
 * Kubo's messages and answers.
 */
#include "mfs_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../config/config.h"
#include "../dag/multihash.h"

bool mfs_content_path(const char *p) {
  int ns;
  (void)dag_path_rest(p, &ns);
  return ns != DAG_NS_NONE || !strncmp(p, "/ipld/", 6);
}

int mfs_resolve(mfs_t *m, const char *arg, dag_cid_t *out) {
  if (m->resolve)
    return m->resolve(m, arg, out);
  int ns;
  const char *rest = dag_path_rest(arg, &ns);
  if (ns != DAG_NS_IPFS)
    return mfs__fail(m, TR_EUSAGE, "%s: only /ipfs/ paths resolve here",
                     arg);
  size_t cl = strcspn(rest, "/");
  dag_cid_t root;
  if (dag_cid_parse(&root, rest, cl))
    return mfs__fail(m, TR_ECID, "invalid path \"%s\"", arg);
  int rc = dag_resolve(&root, rest + cl, strlen(rest + cl), mfs__get_cb, m,
                       out);
  if (rc == TR_EPATH)
    return mfs__fail(m, rc, "no link named \"%s\" under %s",
                     strrchr(arg, '/') + 1, arg);
  return rc;
}

/* A content path's node, or an MFS path's. */
static int node_at(mfs_t *m, const char *arg, dag_cid_t *out) {
  return mfs_content_path(arg) ? mfs_resolve(m, arg, out)
                               : mfs_lookup(m, arg, out);
}

static int cp(mfs_t *m, const mfs_cmd_t *c) {
  char src[MFS_PATH_MAX + 2], dst[2 * MFS_PATH_MAX + 4];
  snprintf(src, sizeof src, "%s", c->args[0]);
  if (!mfs_content_path(src) &&
      mfs_check_path(m, c->args[0], src, sizeof src))
    return TR_EUSAGE;
  size_t l = strlen(src);
  while (l > 1 && src[l - 1] == '/')
    src[--l] = 0;
  if (mfs_check_path(m, c->args[1], dst, MFS_PATH_MAX + 2))
    return TR_EUSAGE;
  if (dst[strlen(dst) - 1] == '/') {
    const char *b = strrchr(src, '/');
    size_t dl = strlen(dst);
    snprintf(dst + dl, sizeof dst - dl, "%s", b ? b + 1 : src);
  }
  dag_cid_t node;
  uint64_t tsize;
  int kind, rc = node_at(m, src, &node);
  if (rc == TR_ENOTFOUND)
    return rc;
  if (rc) {
    char e[MFS_ERR_MAX];
    snprintf(e, sizeof e, "%s", m->err[0] ? m->err : tr_strerror(rc));
    m->err[0] = 0;
    return mfs__fail(m, rc, "cp: cannot get node from path %.200s: %.250s",
                     src, e);
  }
  if ((node.codec != DAG_CODEC_RAW && node.codec != DAG_CODEC_DAG_PB) ||
      (rc = mfs__kind(m, &node, &kind))) {
    if (rc == TR_ENOTFOUND)
      return rc;
    m->err[0] = 0;
    return mfs__fail(m, TR_EUNIXFS, "cp: source must be a valid UnixFS "
                     "(dag-pb or raw codec)");
  }
  if ((rc = mfs_cumulative(m, &node, &tsize)))
    return rc;
  return mfs_put(m, dst, &node, tsize, c->flag, c->force);
}

static int line(tr_bytes_t *lines, const char *msg) {
  json_t *s = json_string(msg);
  char *d = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
  json_decref(s);
  int rc = d && !tr_bytes_append(lines, d, strlen(d)) &&
                   !tr_bytes_append(lines, "\n", 1)
               ? 0
               : -ENOMEM;
  free(d);
  return rc;
}

/* Each path on its own (Kubo removes what it can); a missing block stops
 * all: the caller runs it again once the block is there. */
static int rm(mfs_t *m, const mfs_cmd_t *c, tr_bytes_t *lines) {
  int bad = 0;
  for (size_t i = 0; i < c->n; i++) {
    char clean[MFS_PATH_MAX + 2], msg[MFS_PATH_MAX + MFS_ERR_MAX + 8];
    m->err[0] = 0;
    int rc = mfs_check_path(m, c->args[i], clean, sizeof clean);
    if (rc) {
      snprintf(msg, sizeof msg, "%s is not a valid path: %s", c->args[i],
               m->err);
    } else if ((rc = mfs_rm(m, clean, c->flag, c->force))) {
      if (rc == TR_ENOTFOUND)
        return rc;
      size_t cl = strlen(clean);
      if (cl > 1 && clean[cl - 1] == '/')
        clean[cl - 1] = 0;
      snprintf(msg, sizeof msg, "%s: %s", clean,
               m->err[0] ? m->err : tr_strerror(rc));
    }
    if (rc) {
      if (line(lines, msg))
        return -ENOMEM;
      bad++;
    }
  }
  m->err[0] = 0;
  return bad ? 1 : 0;
}

int mfs_run(mfs_t *m, const mfs_cmd_t *c, json_t **answer,
            tr_bytes_t *lines) {
  dag_cid_t cid;
  char s[DAG_CID_STR_MAX];
  int rc = 0;
  *answer = NULL;
  m->err[0] = 0;
  switch (c->op) {
  case MFS_LS:
    *answer = mfs_ls_json(m, c->n ? c->args[0] : "/", c->flag);
    break;
  case MFS_STAT:
    if (!(rc = node_at(m, c->args[0], &cid)))
      *answer = mfs_stat_json(m, &cid, c->flag);
    break;
  case MFS_FLUSH:
    if (!(rc = mfs_lookup(m, c->n ? c->args[0] : "/", &cid)))
      *answer = json_pack("{s:s}", "Cid", dag_cid_str(&cid, s));
    break;
  case MFS_MKDIR:
    return mfs_mkdir(m, c->args[0], c->flag, c->has_pfx ? &c->pfx : NULL);
  case MFS_CP:
    return cp(m, c);
  case MFS_MV:
    return mfs_mv(m, c->args[0], c->args[1]);
  case MFS_RM:
    return rm(m, c, lines);
  case MFS_CHCID:
    return mfs_chcid(m, c->args[0], c->has_pfx ? &c->pfx : NULL);
  case MFS_CHMOD:
    return mfs_chmod(m, c->args[1], c->mode);
  case MFS_TOUCH:
    return mfs_touch(m, c->args[0], c->sec, c->nsec);
  }
  if (!rc && !*answer)
    rc = m->rc ? m->rc : -ENOMEM;
  return rc;
}

int mfs_cmd_prefix(mfs_cmd_t *c, int64_t version, const char *hash,
                   char *err, size_t n) {
  if (version < 0 && !hash)
    return 0;
  /* Kubo's getPrefix: a hash makes CIDv1 (also over an explicit 0). */
  if (version < 0 || (hash && version == 0))
    version = hash ? 1 : 0;
  if (version > 1) {
    snprintf(err, n, "unknown CID version: %lld", (long long)version);
    return TR_EUSAGE;
  }
  c->has_pfx = true;
  c->pfx.version = (int)version;
  c->pfx.mh = DAG_MH_SHA2_256;
  if (hash) {
    char lower[64];
    size_t l = strlen(hash), i;
    for (i = 0; i < l && i < sizeof lower - 1; i++)
      lower[i] = (char)(hash[i] >= 'A' && hash[i] <= 'Z' ? hash[i] | 0x20
                                                         : hash[i]);
    lower[i] = 0;
    if (l >= sizeof lower || dag_mh_from_name(lower, &c->pfx.mh)) {
      snprintf(err, n, "unrecognized hash function: \"%s\"", lower);
      return TR_EUSAGE;
    }
  }
  return 0;
}

int mfs_cmd_mode(mfs_cmd_t *c, const char *mode, char *err, size_t n) {
  char *end;
  long long v = strtoll(mode, &end, 8);
  if (!*mode || *end || v < INT32_MIN || v > INT32_MAX) {
    snprintf(err, n, "strconv.ParseInt: parsing \"%s\": invalid syntax",
             mode);
    return TR_EUSAGE;
  }
  c->mode = (uint32_t)v;
  return 0;
}

int mfs_to_files(mfs_t *m, const char *to, const char *name,
                 const dag_cid_t *cid, bool *linked) {
  char dst[2 * MFS_PATH_MAX + 4], e[MFS_ERR_MAX];
  dag_cid_t at;
  int kind = 0, rc;
  if (!*name)
    return mfs__fail(m, TR_EUSAGE, "to-files: cannot add unnamed files to "
                     "MFS");
  if ((rc = mfs_check_path(m, *to ? to : "/", dst, MFS_PATH_MAX + 2))) {
    snprintf(e, sizeof e, "%s", m->err);
    m->err[0] = 0;
    return mfs__fail(m, rc, "to-files: %s", e);
  }
  bool as_dir = dst[strlen(dst) - 1] == '/';
  if (as_dir) {
    rc = mfs_lookup(m, dst, &at);
    if (rc == TR_ENOTFOUND)
      return rc;
    if (rc) {
      snprintf(e, sizeof e, "%s", m->err);
      m->err[0] = 0;
      return mfs__fail(m, rc, "to-files: MFS destination directory \"%s\" "
                       "does not exist: %s", dst, e);
    }
    if ((rc = mfs__kind(m, &at, &kind)))
      return rc;
    if (kind != DAG_NODE_DIR)
      return mfs__fail(m, TR_ENOTDIR, "to-files: MFS destination \"%s\" is "
                       "not a directory", dst);
    const char *b = strrchr(name, '/');
    size_t l = strlen(dst);
    snprintf(dst + l, sizeof dst - l, "%s", b ? b + 1 : name);
  }
  if (*linked && !as_dir)
    return mfs__fail(m, TR_EEXIST, "to-files: MFS destination is a file: "
                     "only one entry can be copied to \"%s\"", dst);
  char parent[sizeof dst];
  memcpy(parent, dst, sizeof parent);
  char *slash = strrchr(parent, '/');
  if (slash)
    slash[slash == parent ? 1 : 0] = 0;
  if ((rc = mfs_lookup(m, parent, &at))) {
    if (rc == TR_ENOTFOUND)
      return rc;
    snprintf(e, sizeof e, "%s", m->err);
    m->err[0] = 0;
    return mfs__fail(m, rc, "to-files: MFS destination parent \"%s\" \"%s\" "
                     "does not exist: %s", dst, parent, e);
  }
  uint64_t tsize;
  if ((rc = mfs_cumulative(m, cid, &tsize)))
    return rc;
  /* boxo's PutNode: the parent's AddChild. */
  if ((rc = mfs_put(m, dst, cid, tsize, false, false))) {
    const char *why = strstr(m->err, "directory already has");
    snprintf(e, sizeof e, "%s", why ? why : m->err);
    m->err[0] = 0;
    return mfs__fail(m, rc, "to-files: cannot put node in path \"%s\": %s",
                     dst, e);
  }
  *linked = true;
  return 0;
}

void mfs_import_prefix(const char *repo, mfs_prefix_t *p) {
  *p = (mfs_prefix_t){0, DAG_MH_SHA2_256};
  json_t *cfg;
  if (!repo || config_load(repo, &cfg))
    return;
  json_t *v = config_get(cfg, "Import.CidVersion");
  const char *h = json_string_value(config_get(cfg, "Import.HashFunction"));
  if (json_is_integer(v) && (json_integer_value(v) == 0 ||
                             json_integer_value(v) == 1))
    p->version = (int)json_integer_value(v);
  uint64_t mh;
  if (h && !dag_mh_from_name(h, &mh) && mh != DAG_MH_SHA2_256) {
    p->mh = mh;
    p->version = 1;
  }
  json_decref(cfg);
}

void mfs_cmd_touch_time(mfs_cmd_t *c, int64_t mtime, int64_t nsecs) {
  if (!mtime) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->sec = ts.tv_sec;
    c->nsec = (uint32_t)ts.tv_nsec;
    return;
  }
  c->sec = mtime + nsecs / 1000000000;
  c->nsec = (uint32_t)(nsecs % 1000000000);
}
