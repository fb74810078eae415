/*
 * dns_sys.c — TXT lookups through the system resolver: res_nquery in the
 * worker pool (it blocks), the answer read by dns_txt_parse (the same
 * hostile-input reader as DoH answers get) back on the loop.
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <string.h>

#include "dns.h"

typedef struct job {
  uv_work_t w;
  dns_txt_done_cb cb;
  void *ud;
  bool cancelled;
  unsigned timeout_ms;
  int len; /* the answer's length, or a status (< 0) */
  char name[DNS_NAME_MAX + 2];
  uint8_t ans[DNS_MSG_MAX];
} job_t;

static void work(uv_work_t *w) {
  job_t *j = w->data;
  struct __res_state st;
  memset(&st, 0, sizeof st);
  if (res_ninit(&st)) {
    j->len = -EIO;
    return;
  }
  /* res_nquery waits retrans seconds a try, retry tries a server. */
  st.retrans = (int)(j->timeout_ms / 1000 ? j->timeout_ms / 1000 : 1);
  st.retry = 1;
  int len = res_nquery(&st, j->name, ns_c_in, ns_t_txt, j->ans,
                       (int)sizeof j->ans);
  int herr = st.res_h_errno;
  res_nclose(&st);
  if (len > 0) {
    j->len = len > (int)sizeof j->ans ? (int)sizeof j->ans : len;
    return;
  }
  j->len = herr == HOST_NOT_FOUND ? TR_ENOTFOUND
           : herr == NO_DATA      ? 0
           : herr == TRY_AGAIN    ? -ETIMEDOUT
                                  : -EREMOTEIO;
}

typedef struct recs {
  char *txt[DNS_RR_MAX];
  size_t n;
} recs_t;

static int collect(void *ud, const char *txt, size_t n, uint32_t ttl) {
  (void)ttl;
  recs_t *r = ud;
  if (r->n == DNS_RR_MAX)
    return 0;
  char *s = tr_malloc(n + 1);
  if (!s)
    return -ENOMEM;
  memcpy(s, txt, n);
  s[n] = 0;
  r->txt[r->n++] = s;
  return 0;
}

static void done(uv_work_t *w, int status) {
  job_t *j = w->data;
  if (!j->cancelled) {
    recs_t r = {.n = 0};
    uint32_t ttl = UINT32_MAX;
    int rc = status ? status : j->len < 0 ? j->len : 0;
    if (!rc && j->len > 0) {
      /* res_nquery matched the answer to its query: its id is ours. */
      uint16_t id = (uint16_t)(j->ans[0] << 8 | j->ans[1]);
      rc = dns_txt_parse(j->ans, (size_t)j->len, id, j->name, collect, &r,
                         &ttl);
    }
    j->cb(j->ud, rc, rc ? NULL : (const char *const *)r.txt, rc ? 0 : r.n,
          rc || !r.n ? UINT32_MAX : ttl);
    for (size_t i = 0; i < r.n; i++)
      tr_free(r.txt[i]);
  }
  tr_free(j);
}

int dns_system_txt(uv_loop_t *loop, const char *name, unsigned timeout_ms,
                   dns_txt_done_cb cb, void *ud, void **h) {
  uint8_t q[DNS_NAME_MAX + 32];
  size_t n = strlen(name);
  if (n > DNS_NAME_MAX + 1 || dns_query_encode(0, name, DNS_TYPE_TXT, q,
                                               sizeof q) < 0)
    return -EINVAL;
  job_t *j = tr_calloc(1, sizeof *j);
  if (!j)
    return -ENOMEM;
  memcpy(j->name, name, n + 1);
  j->cb = cb;
  j->ud = ud;
  j->timeout_ms = timeout_ms ? timeout_ms : DNS_DOH_TIMEOUT_MS;
  j->w.data = j;
  int rc = uv_queue_work(loop, &j->w, work, done);
  if (rc) {
    tr_free(j);
    return rc;
  }
  if (h)
    *h = j;
  return 0;
}

void dns_system_cancel(void *h) {
  if (h)
    ((job_t *)h)->cancelled = true;
}
