/*
 * refs_fmt.c — a line of Kubo's `refs` (--format with <src>, <dst> and
 * <linkname>, or --edges), for the RPC API (rpc_files.c) and the CLI
 * (cli/cmd_files.c) alike.  No I/O of its own: a dag-pb parent's block,
 * for a link's name, is read through a dag_get_cb.
 */
#include <string.h>

#include "../dag/dagpb.h"
#include "dagcmd.h"

typedef struct find {
  const dag_cid_t *dst;
  char *name;
  size_t cap;
} find_t;

static int find_link(const dag_pb_link_t *l, size_t i, void *ud) {
  (void)i;
  find_t *f = ud;
  if (!dag_cid_equal(&l->cid, f->dst))
    return 0;
  size_t n = l->name_len < f->cap - 1 ? l->name_len : f->cap - 1;
  memcpy(f->name, l->name, n);
  f->name[n] = 0;
  return 1; /* the first link to dst */
}

void rpc_ref_linkname(dag_get_cb get, void *ud, const dag_cid_t *src,
                      const dag_cid_t *dst, char *name, size_t cap) {
  name[0] = 0;
  const uint8_t *data;
  size_t len;
  if (src->codec != DAG_CODEC_DAG_PB || get(src, &data, &len, ud))
    return;
  find_t f = {dst, name, cap};
  dag_pb_node_t node;
  /* A node that does not parse has no names to give. */
  if (dag_pb_decode(data, len, find_link, &f, &node) < 0)
    name[0] = 0;
}

void rpc_ref_format(const char *fmt, bool edges, const dag_cid_t *src,
                    const dag_cid_t *dst, const char *linkname, char *out,
                    size_t outsz) {
  char s[DAG_CID_STR_MAX], d[DAG_CID_STR_MAX];
  dag_cid_str(src, s);
  dag_cid_str(dst, d);
  const char *f = fmt ? fmt : edges ? "<src> -> <dst>" : "<dst>";
  size_t o = 0;
  while (*f && o + 1 < outsz) {
    const char *rep = NULL;
    size_t skip = 0;
    if (!strncmp(f, "<src>", 5))
      rep = s, skip = 5;
    else if (!strncmp(f, "<dst>", 5))
      rep = d, skip = 5;
    else if (!strncmp(f, "<linkname>", 10))
      rep = linkname ? linkname : "", skip = 10;
    if (rep) {
      size_t k = strlen(rep);
      if (o + k >= outsz)
        break;
      memcpy(out + o, rep, k);
      o += k;
      f += skip;
    } else
      out[o++] = *f++;
  }
  out[o] = 0;
}
