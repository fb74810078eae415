/*
 * rpc_diag.c — Kubo's `diag` commands:
 *
 *   diag/cmds [verbose]     the request log, as go-ipfs-cmds' ReqLog: every
 *                           API command with its arguments and options,
 *                           running or recently ended
 *   diag/cmds/clear         drop the ended ones
 *   diag/cmds/set-time T    keep ended ones T (a Go duration) after they end
 *   diag/sys                the machine and process, in Kubo's keys
 *   diag/healthy            "ok" while the node answers and can read its
 *                           store (container health checks)
 *
 * The log is Kubo's: an ended command stays until a cleanup finds it older
 * than the keep time (0 at start), and a cleanup runs when the log's
 * length reaches a multiple of ten at an end, or on clear.  Beyond Kubo
 * it is bounded: past RPC_REQLOG_MAX entries the oldest ended one goes.
 * Everything here runs on the loop thread.
 */
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "rpc_int.h"

#define RPC_REQLOG_MAX 1024

typedef struct reqlog_entry {
  int64_t id;
  char *cmd;
  json_t *args, *opts;
  int64_t start, end; /* CLOCK_REALTIME ns; end 0: active */
  const http_req_t *req; /* while active: its finish finds it so */
} reqlog_entry_t;

struct rpc_reqlog {
  reqlog_entry_t **v;
  size_t n, cap;
  int64_t next_id;
  uint64_t keep_ns;
};

static int64_t real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void entry_free(reqlog_entry_t *e) {
  if (!e)
    return;
  tr_free(e->cmd);
  json_decref(e->args);
  json_decref(e->opts);
  tr_free(e);
}

/* Go's ReqLog.cleanup: ended entries older than the keep time go. */
static void cleanup(struct rpc_reqlog *l, uint64_t keep) {
  int64_t now = real_ns();
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++) {
    reqlog_entry_t *e = l->v[i];
    if (!e->end || e->end + (int64_t)keep > now)
      l->v[k++] = e;
    else
      entry_free(e);
  }
  l->n = k;
}

/* The query's options (every key but arg, "true"/"false" as booleans, as
 * Kubo's parsed options print) and its args. */
static int query_json(const http_req_t *req, json_t **opts, json_t **args) {
  *opts = json_object();
  *args = json_array();
  if (!*opts || !*args)
    return -ENOMEM;
  for (const char *q = http_req_query(req); *q;) {
    size_t len = strcspn(q, "&");
    const char *eq = memchr(q, '=', len);
    char *k = tr_strndup(q, eq ? (size_t)(eq - q) : len);
    char *v = eq ? tr_strndup(eq + 1, (size_t)(q + len - eq - 1))
                 : tr_strdup("");
    char *dk = k ? rpc_query_unescape(k) : NULL;
    char *dv = v ? rpc_query_unescape(v) : NULL;
    int rc = !dk || !dv ? -ENOMEM : 0;
    if (!rc && *dk) {
      json_t *jv = !strcmp(dv, "true")    ? json_true()
                   : !strcmp(dv, "false") ? json_false()
                                          : rpc_json_str(dv);
      rc = !strcmp(dk, "arg") ? json_array_append_new(*args, jv)
                              : json_object_set_new(*opts, dk, jv);
    }
    tr_free(k), tr_free(v), tr_free(dk), tr_free(dv);
    if (rc)
      return -ENOMEM;
    q += len;
    if (*q)
      q++;
  }
  return 0;
}

/* The active entry of req, or NULL. */
static reqlog_entry_t *find(struct rpc_reqlog *l, const http_req_t *req) {
  for (size_t i = l ? l->n : 0; i-- > 0;)
    if (!l->v[i]->end && l->v[i]->req == req)
      return l->v[i];
  return NULL;
}

static void on_finish(http_req_t *req, void *ud) {
  rpc_ctx_t *ctx = ud;
  struct rpc_reqlog *l = ctx->reqlog;
  reqlog_entry_t *e = find(l, req);
  if (e) {
    e->end = real_ns();
    e->req = NULL;
    if (l->n % 10 == 0)
      cleanup(l, l->keep_ns);
  }
}

void rpc__reqlog_begin(http_req_t *req, rpc_ctx_t *ctx, const char *cmd) {
  struct rpc_reqlog *l = ctx->reqlog;
  if (!l && !(l = ctx->reqlog = tr_calloc(1, sizeof *l)))
    return;
  if (l->n == RPC_REQLOG_MAX) { /* the oldest ended entry makes room */
    size_t i = 0;
    while (i < l->n && !l->v[i]->end)
      i++;
    if (i == l->n)
      return; /* all running: this one goes unlogged */
    entry_free(l->v[i]);
    memmove(l->v + i, l->v + i + 1, (l->n - i - 1) * sizeof *l->v);
    l->n--;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    reqlog_entry_t **v = tr_realloc(l->v, cap * sizeof *v);
    if (!v)
      return;
    l->v = v, l->cap = cap;
  }
  reqlog_entry_t *e = tr_calloc(1, sizeof *e);
  if (!e || !(e->cmd = tr_strdup(cmd)) ||
      query_json(req, &e->opts, &e->args)) {
    entry_free(e);
    return;
  }
  e->id = l->next_id++;
  e->start = real_ns();
  e->req = req;
  l->v[l->n++] = e;
  http_req_on_finish(req, on_finish, ctx);
}

void rpc__reqlog_drop(http_req_t *req, rpc_ctx_t *ctx) {
  struct rpc_reqlog *l = ctx->reqlog;
  http_req_on_finish(req, NULL, NULL);
  if (l && l->n && find(l, req) == l->v[l->n - 1]) {
    entry_free(l->v[--l->n]);
    l->next_id--;
  }
}

void rpc__reqlog_free(rpc_ctx_t *ctx) {
  struct rpc_reqlog *l = ctx->reqlog;
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++)
    entry_free(l->v[i]);
  tr_free(l->v);
  tr_free(l);
  ctx->reqlog = NULL;
}

/* ----------------------------------------------------------- diag/cmds */

/* Go's RFC3339Nano in UTC: trailing zeros of the fraction dropped; the
 * zero time for 0. */
static json_t *rfc3339(int64_t ns) {
  if (!ns)
    return json_string("0001-01-01T00:00:00Z");
  time_t s = (time_t)(ns / 1000000000);
  struct tm tm;
  gmtime_r(&s, &tm);
  char buf[64], frac[16] = "";
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  long f = (long)(ns % 1000000000);
  if (f) {
    snprintf(frac, sizeof frac, ".%09ld", f);
    size_t k = strlen(frac);
    while (frac[k - 1] == '0')
      frac[--k] = 0;
  }
  return json_sprintf("%s%sZ", buf, frac);
}

void rpc_cmd_diag_cmds(http_req_t *req, rpc_ctx_t *ctx) {
  struct rpc_reqlog *l = ctx->reqlog;
  json_t *a = json_array();
  for (size_t i = 0; a && l && i < l->n; i++) {
    const reqlog_entry_t *e = l->v[i];
    if (json_array_append_new(
            a, json_pack("{s:o,s:o,s:b,s:s,s:O,s:O,s:I}", "StartTime",
                         rfc3339(e->start), "EndTime", rfc3339(e->end),
                         "Active", !e->end, "Command", e->cmd, "Options",
                         e->opts, "Args", e->args, "ID", (json_int_t)e->id))) {
      json_decref(a);
      a = NULL;
    }
  }
  rpc_api_json(req, a);
}

void rpc_cmd_diag_cmds_clear(http_req_t *req, rpc_ctx_t *ctx) {
  if (ctx->reqlog)
    cleanup(ctx->reqlog, 0);
  http_res_simple(req, 200, "text/plain", "", 0);
}

void rpc_cmd_diag_cmds_set_time(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg = NULL;
  uint64_t ns;
  if (rpc_one_arg(req, "time", &arg))
    return;
  if (tr_parse_duration(arg, &ns))
    rpc_error(req, 500, "time: invalid duration \"%s\"", arg);
  else if (!ctx->reqlog && !(ctx->reqlog = tr_calloc(1, sizeof *ctx->reqlog)))
    rpc_error(req, 500, "out of memory");
  else {
    ctx->reqlog->keep_ns = ns;
    http_res_simple(req, 200, "text/plain", "", 0);
  }
  tr_free(arg);
}

/* ------------------------------------------------------------ diag/sys */

static json_t *if_addrs(void) {
  json_t *a = json_array();
  struct ifaddrs *ifs, *i;
  if (!a || getifaddrs(&ifs))
    return a;
  for (i = ifs; i; i = i->ifa_next) {
    char ip[INET6_ADDRSTRLEN];
    const struct sockaddr *sa = i->ifa_addr;
    if (!sa || !(i->ifa_flags & IFF_UP))
      continue;
    if (sa->sa_family == AF_INET)
      inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip,
                sizeof ip);
    else if (sa->sa_family == AF_INET6)
      inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip,
                sizeof ip);
    else
      continue;
    json_array_append_new(a, json_sprintf("/ip%c/%s",
                                          sa->sa_family == AF_INET ? '4' : '6',
                                          ip));
  }
  freeifaddrs(ifs);
  return a;
}

/* /proc/self/status's "key:   N kB" in bytes; 0 when absent. */
static json_int_t proc_status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  size_t kl = strlen(key);
  json_int_t v = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, kl) && line[kl] == ':') {
      v = (json_int_t)strtoll(line + kl + 1, NULL, 10) * 1024;
      break;
    }
  if (f)
    fclose(f);
  return v;
}

void rpc_cmd_diag_sys(http_req_t *req, rpc_ctx_t *ctx) {
  struct statfs fs;
  char arch[64];
  snprintf(arch, sizeof arch, "%.*s", (int)strcspn(rpc_system(), "/"),
           rpc_system());
  json_t *disk = NULL;
  /* go-sysinfo's: the magic number in decimal (ext4: 61267) */
  if (!statfs(ctx->repo, &fs))
    disk = json_pack("{s:I,s:o,s:I}", "free_space",
                     (json_int_t)((uint64_t)fs.f_bfree * (uint64_t)fs.f_bsize),
                     "fstype", json_sprintf("%lu", (unsigned long)fs.f_type),
                     "total_space",
                     (json_int_t)((uint64_t)fs.f_blocks * (uint64_t)fs.f_bsize));
  const char *ip = getenv("IPFS_PATH"), *tp = getenv("TROVE_PATH");
  rpc_api_json(
      req,
      json_pack("{s:o*,s:{s:s,s:s},s:s,s:s,s:{s:I,s:I},s:{s:o,s:b},"
                "s:{s:s,s:s,s:i,s:s,s:s}}",
                "diskinfo", disk, "environment", "IPFS_PATH", ip ? ip : "",
                "TROVE_PATH", tp ? tp : "", "ipfs_commit", "",
                "ipfs_version", ctx->version, "memory", "swap",
                proc_status_kb("VmSwap"), "virt", proc_status_kb("VmSize"),
                "net", "interface_addresses", if_addrs(), "online",
                ctx->host != NULL, "runtime", "arch", arch, "compiler",
                "gcc", "numcpu", (int)sysconf(_SC_NPROCESSORS_ONLN), "os",
                "linux", "version",
                "C11 (gcc " __VERSION__ ")"));
}

/* -------------------------------------------------------- diag/healthy */

/* Kubo's probe: the empty UnixFS directory, which a store answers for
 * (trove's has it from init, as Kubo's does).  A read of it shows the
 * store's read path works; its absence is no fault of the node. */
static void healthy_work(rpc_job_t *j) {
  dag_cid_t cid;
  static const char probe[] = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";
  bs_txn_t *txn;
  const uint8_t *d;
  size_t n;
  int rc = dag_cid_parse(&cid, probe, sizeof probe - 1);
  if (!rc && !(rc = bs_txn_begin(j->env, BS_RDONLY, &txn))) {
    rc = bs_get(txn, &cid, &d, &n);
    bs_txn_abort(txn);
    if (rc == TR_ENOTFOUND)
      rc = 0;
  }
  if (rc)
    rpc_job_fail(j, 500, "probe fetch: %s", tr_strerror(rc));
  else
    j->json = json_string("ok");
}

void rpc_cmd_diag_healthy(http_req_t *req, rpc_ctx_t *ctx) {
  if (ctx->stopping) {
    rpc_error(req, 500, "daemon is shutting down");
    return;
  }
  (void)rpc_job_run(req, ctx, healthy_work, NULL, NULL, NULL);
}
