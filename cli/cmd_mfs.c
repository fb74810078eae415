/*
 * cmd_mfs.c — `trove files ...`, Kubo's MFS commands (rpc/mfs.h):
 *
 *   trove files ls [-l] [-U] [PATH]        trove files mkdir [-p] PATH
 *   trove files stat [--format F|--hash|--size] [--with-local] PATH
 *   trove files read [-o N] [-n N] PATH    trove files write ... PATH [FILE]
 *   trove files cp [-p] [--force] SRC DST  trove files mv SRC DST
 *   trove files rm [-r] [--force] PATH...  trove files flush [PATH]
 *   trove files chcid [--cid-version N] [--hash H] PATH
 *   trove files chmod MODE PATH            trove files touch [--mtime S] PATH
 *   trove files chroot --confirm [CID]     (no daemon: Kubo's recovery)
 *
 * With a daemon the commands go through its API (cmd_remote.c's table
 * calls cli__remote_files); without one they run the same code
 * (rpc/mfs_cmd.c) on the repo.  Either way the output is Kubo's.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../dag/multihash.h"
#include "../dag/reader.h"
#include "../node/daemon.h"
#include "../rpc/mfs.h"
#include "remote_int.h"

static const struct {
  const char *word;
  mfs_op_t op;
  int min, max; /* positional arguments */
} ops[] = {
    {"ls", MFS_LS, 0, 1},       {"stat", MFS_STAT, 1, 1},
    {"flush", MFS_FLUSH, 0, 1}, {"mkdir", MFS_MKDIR, 1, 1},
    {"cp", MFS_CP, 2, 2},       {"mv", MFS_MV, 2, 2},
    {"rm", MFS_RM, 1, 1 << 20}, {"chcid", MFS_CHCID, 1, 1},
    {"chmod", MFS_CHMOD, 2, 2}, {"touch", MFS_TOUCH, 1, 1},
};

/* The command from the CLI's options (as rpc_mfs.c reads the API's). */
static int parse(cli_t *cli, const char *word, int argc, char **argv,
                 mfs_cmd_t *c) {
  size_t i = 0;
  while (i < TR_ARRAY_LEN(ops) && strcmp(ops[i].word, word))
    i++;
  if (i == TR_ARRAY_LEN(ops))
    return cli_failf("files %s: not a files command", word);
  if (argc - 1 < ops[i].min || argc - 1 > ops[i].max)
    return cli_failf("files %s: wrong number of arguments (see trove files "
                     "%s --help)", word, word);
  memset(c, 0, sizeof *c);
  c->op = ops[i].op;
  c->args = argv + 1;
  c->n = (size_t)argc - 1;
  char err[256];
  switch (c->op) {
  case MFS_LS:
    c->flag = CLI_BOOL(cli, "long");
    break;
  case MFS_STAT:
    c->flag = CLI_BOOL(cli, "with-local");
    if ((CLI_BOOL(cli, "hash") + CLI_BOOL(cli, "size") +
         (CLI_STR(cli, "format") != NULL)) > 1)
      return cli_failf("files stat: invalid parameters: format was set by "
                       "multiple options. Only one format option is "
                       "allowed");
    break;
  case MFS_CP:
    c->flag = CLI_BOOL(cli, "parents");
    c->force = CLI_BOOL(cli, "force");
    break;
  case MFS_RM:
    if (!CLI_BOOL(cli, "flush"))
      return cli_failf("files rm always flushes for safety. The --flush "
                       "flag cannot be set to false for this command");
    c->flag = CLI_BOOL(cli, "recursive");
    c->force = CLI_BOOL(cli, "force");
    break;
  case MFS_MKDIR:
  case MFS_CHCID:
    c->flag = c->op == MFS_MKDIR && CLI_BOOL(cli, "parents");
    if (mfs_cmd_prefix(c, CLI_SET(cli, "cid-version")
                              ? CLI_INT(cli, "cid-version") : -1,
                       CLI_STR(cli, "hash"), err, sizeof err))
      return cli_failf("files %s: %s", word, err);
    break;
  case MFS_CHMOD:
    if (mfs_cmd_mode(c, argv[1], err, sizeof err))
      return cli_failf("files chmod: %s", err);
    break;
  case MFS_TOUCH:
    mfs_cmd_touch_time(c, CLI_SET(cli, "mtime") ? CLI_INT(cli, "mtime") : 0,
                       CLI_SET(cli, "mtime-nsecs") ? CLI_INT(cli, "mtime-nsecs")
                                                   : 0);
    break;
  default:
    break;
  }
  return 0;
}

/* ------------------------------------------------------------- printing */

static int by_name(const void *a, const void *b) {
  const char *x = json_string_value(json_object_get(*(json_t *const *)a,
                                                    "Name"));
  const char *y = json_string_value(json_object_get(*(json_t *const *)b,
                                                    "Name"));
  return strcmp(x ? x : "", y ? y : "");
}

static int print_ls(cli_t *cli, json_t *o) {
  json_t *a = json_object_get(o, "Entries");
  size_t n = json_array_size(a);
  json_t **v = tr_calloc(n ? n : 1, sizeof *v);
  if (!v)
    return cli_fail("files ls", -ENOMEM);
  for (size_t i = 0; i < n; i++)
    v[i] = json_array_get(a, i);
  if (!CLI_BOOL(cli, "U"))
    qsort(v, n, sizeof *v, by_name);
  for (size_t i = 0; i < n; i++) {
    const char *name = cli__jstr(v[i], "Name");
    if (CLI_BOOL(cli, "long"))
      printf("%s%s\t%s\t%lld\n", name,
             json_integer_value(json_object_get(v[i], "Type")) == 1 ? "/"
                                                                    : "",
             cli__jstr(v[i], "Hash"),
             (long long)json_integer_value(json_object_get(v[i], "Size")));
    else
      printf("%s\n", name);
  }
  tr_free(v);
  return 0;
}

/* Replace every tok in *s (malloc'd) by val. */
static int subst(char **s, const char *tok, const char *val) {
  size_t tl = strlen(tok), vl = strlen(val);
  for (char *p = strstr(*s, tok); p; p = strstr(*s, tok)) {
    size_t off = (size_t)(p - *s), l = strlen(*s);
    char *n = tr_malloc(l - tl + vl + 1);
    if (!n)
      return -ENOMEM;
    memcpy(n, *s, off);
    memcpy(n + off, val, vl);
    memcpy(n + off + vl, p + tl, l - off - tl + 1);
    tr_free(*s);
    *s = n;
    p = n + off + vl;
    if (!strstr(p, tok))
      break;
  }
  return 0;
}

/* Go's os.FileMode.String(), lowercased as Kubo prints it. */
static void mode_string(uint64_t m, char out[16]) {
  static const char types[] = "dalTLDpSugct?";
  size_t o = 0;
  for (int i = 0; i < 13; i++)
    if (m & (1ull << (31 - i)))
      out[o++] = types[i];
  if (!o)
    out[o++] = '-';
  static const char rwx[] = "rwxrwxrwx";
  for (int i = 0; i < 9; i++)
    out[o++] = m & (1u << (8 - i)) ? rwx[i] : '-';
  out[o] = 0;
  for (size_t i = 0; i < o; i++)
    if (out[i] >= 'A' && out[i] <= 'Z')
      out[i] = (char)(out[i] | 0x20);
}

static int print_stat(cli_t *cli, json_t *o) {
  const char *dflt = "<hash>\nSize: <size>\nCumulativeSize: <cumulsize>\n"
                     "ChildBlocks: <childs>\nType: <type>\nMode: <mode> "
                     "(<mode-octal>)\nMtime: <mtime>";
  const char *f = CLI_BOOL(cli, "hash") ? "<hash>"
                  : CLI_BOOL(cli, "size") ? "<cumulsize>"
                  : CLI_STR(cli, "format") ? CLI_STR(cli, "format")
                                           : dflt;
  char *s = tr_strdup(f);
  char size[24], cum[24], childs[24], mode[16] = "not set",
       modeo[16] = "not set", mtime[48] = "not set", secs[24] = "not set",
       nsecs[24] = "not set";
  unsigned long long cs =
      (unsigned long long)json_integer_value(json_object_get(o,
                                                             "CumulativeSize"));
  snprintf(size, sizeof size, "%lld",
           (long long)json_integer_value(json_object_get(o, "Size")));
  snprintf(cum, sizeof cum, "%llu", cs);
  snprintf(childs, sizeof childs, "%lld",
           (long long)json_integer_value(json_object_get(o, "Blocks")));
  const char *ms = cli__jstr(o, "Mode");
  if (*ms) {
    uint64_t m = strtoull(ms, NULL, 8);
    mode_string(m, mode);
    snprintf(modeo, sizeof modeo, "0%llo", (unsigned long long)(m & 0777));
  }
  json_int_t mt = json_integer_value(json_object_get(o, "Mtime"));
  if (mt > 0) {
    json_int_t ns = json_integer_value(json_object_get(o, "MtimeNsecs"));
    time_t t = (time_t)mt;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(mtime, sizeof mtime, "%-d %b %Y, %H:%M:%S UTC", &tm);
    snprintf(secs, sizeof secs, "%lld", (long long)mt);
    snprintf(nsecs, sizeof nsecs, "%lld", (long long)ns);
  }
  int rc = s ? 0 : -ENOMEM;
  if (!rc)
    rc = subst(&s, "<hash>", cli__jstr(o, "Hash"));
  if (!rc)
    rc = subst(&s, "<size>", size);
  if (!rc)
    rc = subst(&s, "<cumulsize>", cum);
  if (!rc)
    rc = subst(&s, "<childs>", childs);
  if (!rc)
    rc = subst(&s, "<type>", cli__jstr(o, "Type"));
  if (!rc)
    rc = subst(&s, "<mode>", mode);
  if (!rc)
    rc = subst(&s, "<mode-octal>", modeo);
  if (!rc)
    rc = subst(&s, "<mtime>", mtime);
  if (!rc)
    rc = subst(&s, "<mtime-secs>", secs);
  if (!rc)
    rc = subst(&s, "<mtime-nsecs>", nsecs);
  if (rc) {
    tr_free(s);
    return cli_fail("files stat", rc);
  }
  printf("%s\n", s);
  tr_free(s);
  if (json_is_true(json_object_get(o, "WithLocality"))) {
    char a[32], b[32];
    uint64_t sl = (uint64_t)json_integer_value(json_object_get(o,
                                                               "SizeLocal"));
    printf("Local: %s of %s (%.2f%%)\n", cli_humanize(sl, a, sizeof a),
           cli_humanize(cs, b, sizeof b), cs ? 100.0 * (double)sl /
                                                   (double)cs
                                             : 0.0);
  }
  return 0;
}

static int print_answer(cli_t *cli, const mfs_cmd_t *c, json_t *o) {
  if (c->op == MFS_LS)
    return print_ls(cli, o);
  if (c->op == MFS_STAT)
    return print_stat(cli, o);
  /* flush: Kubo's CLI prints its JSON. */
  char *s = json_dumps(o, JSON_COMPACT);
  if (!s)
    return cli_fail("files flush", -ENOMEM);
  printf("%s\n", s);
  free(s);
  return 0;
}

/* ---------------------------------------------------------------- local */

int cmd_files(cli_t *cli, int argc, char **argv) {
  mfs_cmd_t c;
  if (parse(cli, argv[0], argc, argv, &c))
    return 1;
  bool change = c.op >= MFS_MKDIR;
  bs_env_t *env;
  if (cli_env(cli, change ? 0 : BS_RDONLY, &env))
    return 1;
  int lock = change ? bs_gc_lock_shared(env) : -1;
  if (change && lock < 0)
    return cli_fail("files: the gc lock", lock);
  bs_txn_t *txn;
  int rc = bs_txn_begin(env, change ? 0 : BS_RDONLY, &txn);
  if (rc) {
    bs_gc_unlock(lock);
    return cli_fail("files", rc);
  }
  mfs_t m = {.txn = txn};
  mfs_import_prefix(cli->repo, &m.dflt);
  json_t *answer = NULL;
  tr_bytes_t lines = {0};
  rc = mfs_run(&m, &c, &answer, &lines);
  if (change && (rc == 0 || rc == 1)) {
    int crc = bs_txn_commit(txn);
    if (crc)
      rc = crc;
  } else {
    bs_txn_abort(txn);
  }
  bs_gc_unlock(lock);
  int status;
  if (rc == 1) {
    fwrite(lines.data, 1, lines.len, stdout);
    status = cli_failf("files rm: can't remove some files");
  } else if (rc) {
    status = m.err[0] ? cli_failf("files %s: %s", argv[0], m.err)
                      : cli_fail(argv[0], rc);
  } else {
    status = answer ? print_answer(cli, &c, answer) : 0;
  }
  json_decref(answer);
  tr_bytes_free(&lines);
  return status;
}

static int out_cb(const uint8_t *p, size_t n, void *ud) {
  (void)ud;
  return cli_write_out(p, n);
}

int cmd_files_read(cli_t *cli, int argc, char **argv) {
  if (argc != 2)
    return cli_failf("files read: usage: trove files read [-o N] [-n N] "
                     "PATH");
  int64_t off = CLI_INT(cli, "offset");
  int64_t count = CLI_SET(cli, "count") ? CLI_INT(cli, "count") : -1;
  if (CLI_SET(cli, "count") && count < 0)
    return cli_failf("files read: cannot specify negative 'count'");
  bs_env_t *env;
  bs_txn_t *txn;
  if (cli_env(cli, BS_RDONLY, &env) || bs_txn_begin(env, BS_RDONLY, &txn))
    return cli_failf("files read: cannot open the repo");
  mfs_t m = {.txn = txn};
  char clean[MFS_PATH_MAX + 2];
  dag_cid_t cid;
  dag_node_info_t info;
  int rc = mfs_check_path(&m, argv[1], clean, sizeof clean), status = 0;
  if (!rc && !(rc = mfs_lookup(&m, clean, &cid)))
    rc = dag_stat(&cid, bs_get_cb, txn, &info);
  if (rc)
    status = cli_failf("files read: %s%s%s", m.err[0] != 'p' ? clean : "",
                       m.err[0] != 'p' ? ": " : "",
                       m.err[0] ? m.err : tr_strerror(rc));
  else if (info.kind == DAG_NODE_SYMLINK)
    status = cli_failf("files read: symlinks not yet supported");
  else if (info.kind != DAG_NODE_FILE)
    status = cli_failf("files read: %s was not a file", clean);
  else if (off < 0) /* Kubo looks the path up first */
    status = cli_failf("files read: cannot specify negative offset");
  else if ((uint64_t)off > info.size)
    status = cli_failf("files read: offset was past end of file (%lld > "
                       "%llu)", (long long)off,
                       (unsigned long long)info.size);
  else if ((rc = dag_cat(&cid, (uint64_t)off,
                         count < 0 ? UINT64_MAX : (uint64_t)count, bs_get_cb,
                         txn, out_cb, NULL)))
    status = cli_fail("files read", rc);
  bs_txn_abort(txn);
  return status;
}

/* --------------------------------------------------------------- remote */

int cli__remote_files(remote_t *r, int argc, char **argv) {
  const char *word = r->what + 6; /* after "files " */
  if (!strcmp(word, "read"))
    return cli__qargs(r, argc, argv) || cli__call(r, "files/read") ||
           cli__body_out(r);
  mfs_cmd_t c;
  if (parse(r->cli, word, argc, argv, &c) || cli__qargs(r, argc, argv))
    return 1;
  char api[32];
  snprintf(api, sizeof api, "files/%s", word);
  if (c.op == MFS_RM) {
    if (cli__call(r, api))
      return 1;
    json_t *o;
    int rc;
    while ((rc = cli__next_value(r, &o)) > 0) {
      char *s = json_dumps(o, JSON_ENCODE_ANY);
      if (s)
        printf("%s\n", s);
      free(s);
      json_decref(o);
    }
    return rc < 0;
  }
  if (c.op >= MFS_MKDIR)
    return cli__call(r, api);
  json_t *o = cli__ask(r, api);
  if (!o)
    return 1;
  int status = print_answer(r->cli, &c, o);
  json_decref(o);
  return status;
}

/* ---------------------------------------------------------------- write */

int cmd_files_write(cli_t *cli, int argc, char **argv) {
  if (argc < 2 || argc > 3)
    return cli_failf("files write: usage: trove files write [options] PATH "
                     "[FILE]");
  mfs_write_t w = {
      .path = argv[1],
      .offset = CLI_INT(cli, "offset"),
      .count = CLI_SET(cli, "count") ? CLI_INT(cli, "count") : -1,
      .create = CLI_BOOL(cli, "create"),
      .parents = CLI_BOOL(cli, "parents"),
      .truncate = CLI_BOOL(cli, "truncate"),
      .raw_leaves = CLI_SET(cli, "raw-leaves") ? CLI_BOOL(cli, "raw-leaves")
                                               : -1,
  };
  mfs_cmd_t c = {0};
  char err[256];
  if (mfs_cmd_prefix(&c, CLI_SET(cli, "cid-version")
                             ? CLI_INT(cli, "cid-version") : -1,
                     CLI_STR(cli, "hash"), err, sizeof err))
    return cli_failf("files write: %s", err);
  w.has_pfx = c.has_pfx;
  w.pfx = c.pfx;
  if (w.offset < 0)
    return cli_failf("files write: cannot have negative write offset");
  if (CLI_SET(cli, "count") && w.count < 0)
    return cli_failf("files write: cannot have negative byte count");
  int fd = argc == 3 && strcmp(argv[2], "-")
               ? open(argv[2], O_RDONLY | O_CLOEXEC)
               : 0;
  if (fd < 0)
    return cli_failf("files write: %s: %s", argv[2], strerror(errno));
  bs_env_t *env;
  bs_txn_t *txn;
  int lock = -1, rc = cli_env(cli, 0, &env);
  if (!rc && (lock = bs_gc_lock_shared(env)) < 0)
    rc = lock;
  if (!rc)
    rc = bs_txn_begin(env, 0, &txn);
  mfs_t m = {0};
  mfs_import_prefix(cli->repo, &m.dflt);
  if (!rc) {
    m.txn = txn;
    rc = mfs_write_fd(&m, &w, fd);
    if (!rc)
      rc = bs_txn_commit(txn);
    else
      bs_txn_abort(txn);
  }
  bs_gc_unlock(lock);
  if (fd > 0)
    close(fd);
  if (rc)
    return m.err[0] ? cli_failf("files write: %s", m.err)
                    : cli_fail("files write", rc);
  return 0;
}

/* --------------------------------------------------------------- chroot */

/* files chroot --confirm [CID]: Kubo's recovery command, here on the repo
 * with no daemon running: the MFS root set to CID (a directory in the
 * repo) or the empty directory. */
int cmd_files_chroot(cli_t *cli, int argc, char **argv) {
  static const char empty[] = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";
  if (argc > 2)
    return cli_failf("files chroot: at most one argument, the new root");
  if (!CLI_BOOL(cli, "confirm"))
    return cli_failf("files chroot: this is a potentially destructive "
                     "operation; pass --confirm to proceed");
  char host[256];
  int port;
  if (node_daemon_api(cli->repo, host, sizeof host, &port) == 1)
    return cli_failf("files chroot: the daemon is running: stop it first");
  const char *arg = argc == 2 ? argv[1] : empty;
  dag_cid_t cid, old;
  if (dag_cid_parse(&cid, arg, strlen(arg)))
    return cli_failf("files chroot: invalid CID \"%s\"", arg);
  bs_env_t *env;
  bs_txn_t *txn;
  int lock = -1, rc = cli_env(cli, 0, &env), status = 0;
  if (!rc && (lock = bs_gc_lock_shared(env)) < 0)
    rc = lock;
  if (!rc)
    rc = bs_txn_begin(env, 0, &txn);
  if (rc) {
    bs_gc_unlock(lock);
    return cli_fail("files chroot", rc);
  }
  dag_node_info_t info = {.kind = DAG_NODE_DIR};
  const uint8_t *p;
  size_t n;
  char s[DAG_CID_STR_MAX], o[DAG_CID_STR_MAX];
  bool has_old = false;
  /* the empty directory is there whether stored or not (as in MFS) */
  bool is_empty = !strcmp(arg, empty);
  if (!is_empty && (rc = bs_get(txn, &cid, &p, &n)))
    status = rc == TR_ENOTFOUND
                 ? cli_failf("files chroot: new root %s does not exist "
                             "locally; fetch it first with 'trove block "
                             "get'", dag_cid_str(&cid, s))
                 : cli_fail("files chroot", rc);
  else if ((!is_empty && (rc = dag_stat(&cid, bs_get_cb, txn, &info))) ||
           info.kind != DAG_NODE_DIR)
    status = cli_failf("files chroot: new root must be a directory%s%s",
                       rc ? ": " : "", rc ? tr_strerror(rc) : "");
  else if (!(rc = bs_meta_get(txn, MFS_ROOT_KEY, &p, &n)))
    has_old = dag_cid_decode(&old, p, n) == (int)n;
  if (!status && rc && rc != TR_ENOTFOUND)
    status = cli_fail("files chroot", rc);
  if (!status && ((rc = bs_meta_put(txn, MFS_ROOT_KEY, cid.bytes, cid.len)) ||
                  (rc = bs_txn_commit(txn))))
    status = cli_fail("files chroot", rc);
  else if (status)
    bs_txn_abort(txn);
  bs_gc_unlock(lock);
  if (status)
    return status;
  dag_cid_str(&cid, s);
  if (has_old)
    printf("MFS root changed from %s to %s\nThe old root %s will be "
           "garbage collected unless pinned.\n", dag_cid_str(&old, o), s, o);
  else
    printf("MFS root set to %s\n", s);
  return 0;
}
