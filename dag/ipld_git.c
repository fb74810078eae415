/*
 * ipld_git.c — the links of a git-raw block (0x78), as go-ipld-git v0.1.3
 * decodes one for Kubo v0.43.1, whose walks (pins, GC, refs, bitswap's
 * fetch of a DAG) follow them.  A block is a loose git object without its
 * zlib: "<type> <size>\0<body>", named by its SHA-1 as git names it; each
 * link is another object's SHA-1, taken as CIDv1 git-raw sha1:
 *
 *   tree    each entry "<mode> <name>\0" and 20 bytes of SHA-1, in order
 *   commit  the "tree" line's, then each "parent", then each "mergetag
 *           object" (go-ipld-git's field order, whatever the lines' order)
 *   tag     the "object" line's
 *   blob    none
 *
 * ipld_links takes them from the decoded object (ipld__git_decode, below:
 * `dag get`'s form), so that a pin, GC and refs follow what Kubo's walk
 * follows.  An object that does not decode (Kubo walks nothing under it)
 * is scanned instead by ipld__git_links, which reads the links alone:
 * names, people, dates, signatures and messages are skipped, a commit's
 * or tag's headers end at the first empty line, and a header's
 * continuation lines (a signature, a merge tag's fields) begin with a
 * space and are skipped with it; an unknown type, a size that is not a
 * number, a tree entry cut short or a link line whose hex is not a
 * SHA-1's is TR_EGIT there too.
 */
#include "ipld_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SHA1_LEN 20

/* The CID of a git object named by its SHA-1, to cb. */
static int sha_link(const uint8_t sha[SHA1_LEN], ipld_link_cb cb, void *ud) {
  uint8_t mh[2 + SHA1_LEN] = {DAG_MH_SHA1, SHA1_LEN};
  memcpy(mh + 2, sha, SHA1_LEN);
  dag_cid_t cid;
  int rc = dag_cid_make(&cid, 1, DAG_CODEC_GIT_RAW, mh, sizeof mh);
  return rc ? rc : cb(&cid, ud);
}

/* p[0..n) as 40 hex digits: the 20 bytes of a SHA-1 (Go's hex.DecodeString
 * takes either case). */
static bool unhex_sha(const uint8_t *p, size_t n, uint8_t out[SHA1_LEN]) {
  if (n != 2 * SHA1_LEN)
    return false;
  for (size_t i = 0; i < SHA1_LEN; i++) {
    int hi = tr_hexval(p[2 * i]), lo = tr_hexval(p[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return true;
}

static bool has_prefix(const uint8_t *p, size_t n, const char *s) {
  size_t k = strlen(s);
  return n >= k && !memcmp(p, s, k);
}

static int tree_links(const uint8_t *p, const uint8_t *end, ipld_link_cb cb,
                      void *ud) {
  int rc = 0;
  while (p < end && !rc) {
    const uint8_t *sp = memchr(p, ' ', (size_t)(end - p));
    const uint8_t *nul = sp ? memchr(sp, 0, (size_t)(end - sp)) : NULL;
    if (!nul || (size_t)(end - nul - 1) < SHA1_LEN)
      return TR_EGIT; /* an entry cut short */
    rc = sha_link(nul + 1, cb, ud);
    p = nul + 1 + SHA1_LEN;
  }
  return rc;
}

/* A commit's or a tag's header lines, up to the first empty one.  A commit
 * gives its tree, then its parents, then its merge tags' objects: the
 * parents and merge tags are read in a second and third pass. */
static int header_links(const uint8_t *p, const uint8_t *end, bool commit,
                        ipld_link_cb cb, void *ud) {
  static const char *const commit_keys[] = {"tree ", "parent ",
                                            "mergetag object "};
  static const char *const tag_keys[] = {"object "};
  const char *const *keys = commit ? commit_keys : tag_keys;
  size_t nkeys = commit ? 3 : 1;
  uint8_t sha[SHA1_LEN], tree[SHA1_LEN], obj[SHA1_LEN];
  bool have_tree = false, have_obj = false;
  for (size_t k = 0; k < nkeys; k++) {
    for (const uint8_t *l = p; l < end;) {
      const uint8_t *nl = memchr(l, '\n', (size_t)(end - l));
      const uint8_t *le = nl ? nl : end;
      size_t n = (size_t)(le - l);
      if (n && l[n - 1] == '\r')
        n--; /* bufio's ReadLine drops a CR before the LF */
      if (n == 0)
        break; /* the message follows */
      if (has_prefix(l, n, keys[k])) {
        size_t kl = strlen(keys[k]);
        if (!unhex_sha(l + kl, n - kl, sha))
          return TR_EGIT;
        if (commit && k == 0) { /* one tree: the last line's */
          memcpy(tree, sha, SHA1_LEN), have_tree = true;
        } else if (!commit) { /* one object: the last line's */
          memcpy(obj, sha, SHA1_LEN), have_obj = true;
        } else {
          int rc = sha_link(sha, cb, ud);
          if (rc)
            return rc;
        }
      }
      l = nl ? nl + 1 : end;
    }
    int rc = 0;
    if (commit && k == 0 && have_tree)
      rc = sha_link(tree, cb, ud);
    if (!commit && have_obj)
      rc = sha_link(obj, cb, ud);
    if (rc)
      return rc;
  }
  return 0;
}

/* strconv.Atoi of p[0..n): an optional sign and decimal digits, in int64. */
static bool atoi_go(const uint8_t *p, size_t n, int64_t *v) {
  bool neg = n && p[0] == '-';
  size_t i = n && (p[0] == '-' || p[0] == '+');
  if (i == n)
    return false;
  uint64_t x = 0;
  for (; i < n; i++) {
    if (p[i] < '0' || p[i] > '9' || x > (UINT64_C(1) << 63) / 10)
      return false;
    x = x * 10 + (uint64_t)(p[i] - '0');
  }
  if (x > (UINT64_C(1) << 63) - !neg)
    return false;
  *v = neg ? (int64_t)(0 - x) : (int64_t)x;
  return true;
}

enum { GIT_TREE, GIT_COMMIT, GIT_TAG, GIT_BLOB };

/* "<type> <size>\0": the type (TR_EGIT when not one of the four), whether
 * the size is a number as strconv.Atoi takes one (and its value), and the
 * body after the NUL. */
static int git_head(const uint8_t *in, size_t len, bool *sized, int64_t *size,
                    const uint8_t **body) {
  const uint8_t *end = in + len;
  const uint8_t *sp = memchr(in, ' ', len);
  const uint8_t *nul = sp ? memchr(sp, 0, (size_t)(end - sp)) : NULL;
  if (!nul)
    return TR_EGIT;
  static const char *const T[] = {"tree", "commit", "tag", "blob"};
  size_t tl = (size_t)(sp - in);
  *sized = atoi_go(sp + 1, (size_t)(nul - sp - 1), size);
  *body = nul + 1;
  for (int t = 0; t < 4; t++)
    if (tl == strlen(T[t]) && !memcmp(in, T[t], tl))
      return t;
  return TR_EGIT;
}

int ipld__git_links(const uint8_t *in, size_t len, ipld_link_cb cb,
                    void *ud) {
  bool sized;
  int64_t size;
  const uint8_t *body, *end = in + len;
  int t = git_head(in, len, &sized, &size, &body);
  if (t < 0 || ((t == GIT_TREE || t == GIT_COMMIT) && !sized))
    return TR_EGIT;
  if (t == GIT_TREE)
    return tree_links(body, end, cb, ud);
  if (t != GIT_BLOB)
    return header_links(body, end, t == GIT_COMMIT, cb, ud);
  return 0;
}

/* ------------------------------------------------------------ decoding */

/* go-ipld-git's data model of an object, for `dag get` (ipld__git_decode):
 *
 *   commit  {tree, parents, message, author, committer, encoding,
 *            signature, mergetag, other}: author and committer
 *            {date, timezone, email, name}, absent ones (and encoding and
 *            signature) null; mergetag a list of tags; other the header
 *            lines it does not know; message what follows the first empty
 *            line, as it is
 *   tree    {name: {mode, hash}} in the object's order
 *   tag     {object, type, tag, tagger, message}
 *   blob    bytes: "blob <size>\0" and the body, the whole object
 *
 * Lines are read as Go's bufio.ReadLine gives them (a CR before the LF
 * dropped); a line past bufio's 4096-byte buffer, which ReadLine hands
 * over in pieces, is read whole here.  go-ipld-git's quirks are kept: a
 * tree ends silently where an entry has no space or no NUL, or no byte of
 * its SHA-1 (a part of one fails); a merge tag's message lines keep their
 * leading space, and its fields are searched up to the first line
 * without one; a signature must begin with " " (or Version:/Comment:) and
 * end with its END line.  Where trove refuses what Kubo shows: a commit
 * without a tree line and a tag without an object line (go shows an
 * undefined link), and a SHA-1 that is not 40 hex digits. */

typedef struct rd {
  const uint8_t *p, *end;
} rd_t;

/* The next line (without its LF, and a CR before it), false at the end. */
static bool read_line(rd_t *r, const uint8_t **l, size_t *n) {
  if (r->p >= r->end)
    return false;
  const uint8_t *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
  *l = r->p;
  if (!nl) {
    *n = (size_t)(r->end - r->p);
    r->p = r->end;
    return true;
  }
  *n = (size_t)(nl - r->p);
  if (*n && (*l)[*n - 1] == '\r')
    (*n)--;
  r->p = nl + 1;
  return true;
}

static ipld_node_t *str(ipld_arena_t *a, const uint8_t *p, size_t n) {
  ipld_node_t *s = ipld_new(a, IPLD_STRING);
  if (s)
    s->u.s.p = p, s->u.s.n = n;
  return s;
}

static ipld_node_t *link_of(ipld_arena_t *a, const uint8_t sha[SHA1_LEN]) {
  uint8_t mh[2 + SHA1_LEN] = {DAG_MH_SHA1, SHA1_LEN};
  memcpy(mh + 2, sha, SHA1_LEN);
  ipld_node_t *l = ipld_new(a, IPLD_LINK);
  if (l && dag_cid_make(&l->u.link, 1, DAG_CODEC_GIT_RAW, mh, sizeof mh))
    return NULL;
  return l;
}

/* A growing list or map in the arena. */
typedef struct grow {
  ipld_node_t *n;
  size_t cap;
} grow_t;

static int grow_add(ipld_arena_t *a, grow_t *g, const char *key, size_t kl,
                    ipld_node_t *v) {
  bool map = g->n->kind == IPLD_MAP;
  size_t have = map ? g->n->u.map.n : g->n->u.list.n;
  if (have == g->cap) {
    size_t cap = g->cap ? 2 * g->cap : 4;
    size_t sz = map ? sizeof(ipld_entry_t) : sizeof(ipld_node_t *);
    void *nv = ipld_alloc(a, cap * sz);
    if (!nv)
      return -ENOMEM;
    if (have)
      memcpy(nv, map ? (void *)g->n->u.map.v : (void *)g->n->u.list.v,
             have * sz);
    if (map)
      g->n->u.map.v = nv;
    else
      g->n->u.list.v = nv;
    g->cap = cap;
  }
  if (map)
    g->n->u.map.v[g->n->u.map.n++] = (ipld_entry_t){key, kl, v};
  else
    g->n->u.list.v[g->n->u.list.n++] = v;
  return 0;
}

static int put_field(ipld_arena_t *a, grow_t *m, const char *key,
                     ipld_node_t *v) {
  return v ? grow_add(a, m, key, strlen(key), v) : -ENOMEM;
}

/* go-ipld-git's parsePersonInfo of a whole line ("author A B <e> d tz"):
 * the line split at each space, the first part skipped. */
static int person(ipld_arena_t *a, const uint8_t *l, size_t n,
                  ipld_node_t **out) {
  size_t max = 1, np = 0;
  for (size_t i = 0; i < n; i++)
    max += l[i] == ' ';
  const uint8_t **ps = ipld_alloc(a, max * sizeof *ps);
  size_t *pl = ipld_alloc(a, max * sizeof *pl);
  if (!ps || !pl)
    return -ENOMEM;
  for (const uint8_t *s = l, *e = l + n;;) {
    const uint8_t *sp = memchr(s, ' ', (size_t)(e - s));
    ps[np] = s, pl[np++] = (size_t)((sp ? sp : e) - s);
    if (!sp)
      break;
    s = sp + 1;
  }
  if (np < 3)
    return TR_EGIT;
  size_t at = 1;
  uint8_t *name = ipld_alloc(a, n + 1), *email = ipld_alloc(a, n + 1);
  size_t nn = 0, en = 0;
  if (!name || !email)
    return -ENOMEM;
  for (;; at++) {
    if (at == np)
      return TR_EGIT;
    if (pl[at] && ps[at][0] == '<')
      break;
    if (pl[at]) {
      memcpy(name + nn, ps[at], pl[at]);
      nn += pl[at];
      name[nn++] = ' ';
    } else if (nn) {
      name[nn++] = ' ';
    }
  }
  if (nn)
    nn--;
  for (;;) {
    if (at == np)
      return TR_EGIT;
    const uint8_t *p = ps[at];
    size_t k = pl[at];
    if (k && p[0] == '<')
      p++, k--;
    at++;
    if (k && p[k - 1] == '>') {
      memcpy(email + en, p, k - 1);
      en += k - 1;
      break;
    }
    memcpy(email + en, p, k);
    en += k;
    email[en++] = ' ';
  }
  ipld_node_t *m = ipld_new(a, IPLD_MAP);
  if (!m)
    return -ENOMEM;
  grow_t g = {m, 0};
  static const uint8_t none[1];
  const uint8_t *date = none, *tz = none;
  size_t dl = 0, tl = 0;
  if (at < np) {
    date = ps[at], dl = pl[at];
    if (++at < np)
      tz = ps[at], tl = pl[at];
  }
  int rc = put_field(a, &g, "date", str(a, date, dl));
  if (!rc)
    rc = put_field(a, &g, "timezone", str(a, tz, tl));
  if (!rc)
    rc = put_field(a, &g, "email", str(a, email, en));
  if (!rc)
    rc = put_field(a, &g, "name", str(a, name, nn));
  *out = m;
  return rc;
}

static ipld_node_t *empty_person(ipld_arena_t *a) {
  ipld_node_t *m = ipld_new(a, IPLD_MAP);
  grow_t g = {m, 0};
  static const uint8_t none[1];
  if (!m || put_field(a, &g, "date", str(a, none, 0)) ||
      put_field(a, &g, "timezone", str(a, none, 0)) ||
      put_field(a, &g, "email", str(a, none, 0)) ||
      put_field(a, &g, "name", str(a, none, 0)))
    return NULL;
  return m;
}

/* A tag's fields, in go-ipld-git's order. */
typedef struct tagf {
  ipld_node_t *object, *type, *tag, *tagger, *message;
} tagf_t;

static int tag_node(ipld_arena_t *a, tagf_t *t, ipld_node_t **out) {
  static const uint8_t none[1];
  if (!t->object)
    return TR_EGIT;
  if ((!t->type && !(t->type = str(a, none, 0))) ||
      (!t->tag && !(t->tag = str(a, none, 0))) ||
      (!t->tagger && !(t->tagger = empty_person(a))) ||
      (!t->message && !(t->message = str(a, none, 0))))
    return -ENOMEM;
  ipld_node_t *m = ipld_new(a, IPLD_MAP);
  grow_t g = {m, 0};
  int rc = m ? 0 : -ENOMEM;
  if (!rc)
    rc = put_field(a, &g, "object", t->object);
  if (!rc)
    rc = put_field(a, &g, "type", t->type);
  if (!rc)
    rc = put_field(a, &g, "tag", t->tag);
  if (!rc)
    rc = put_field(a, &g, "tagger", t->tagger);
  if (!rc)
    rc = put_field(a, &g, "message", t->message);
  *out = m;
  return rc;
}

/* A merge tag inside a commit (go's readMergeTag), after its "mergetag
 * object" line: *rest gets the line that ended its message, if one did. */
static int merge_tag(ipld_arena_t *a, rd_t *r, const uint8_t sha[SHA1_LEN],
                     ipld_node_t **out, const uint8_t **rest, size_t *rlen) {
  tagf_t t = {.object = link_of(a, sha)};
  const uint8_t *l;
  size_t n;
  *rest = NULL;
  if (!t.object)
    return -ENOMEM;
  while (read_line(r, &l, &n)) {
    if (has_prefix(l, n, " type ")) {
      t.type = str(a, l + 6, n - 6);
    } else if (has_prefix(l, n, " tag ")) {
      t.tag = str(a, l + 5, n - 5);
    } else if (has_prefix(l, n, " tagger ")) {
      int rc = person(a, l + 1, n - 1, &t.tagger);
      if (rc)
        return rc;
    } else if (n == 1 && l[0] == ' ') {
      size_t cap = (size_t)(r->end - r->p) + 1, mn = 0;
      uint8_t *msg = ipld_alloc(a, cap);
      if (!msg)
        return -ENOMEM;
      for (;;) {
        if (!read_line(r, &l, &n))
          return TR_EGIT; /* go: the message ran into the end (EOF) */
        if (!n || l[0] != ' ') {
          *rest = l, *rlen = n;
          break;
        }
        memcpy(msg + mn, l, n);
        mn += n;
        msg[mn++] = '\n';
      }
      t.message = str(a, msg, mn);
      break;
    }
  }
  return tag_node(a, &t, out);
}

/* A signature's lines after "gpgsig ..." (go's decodeGpgSig). */
static int gpgsig(ipld_arena_t *a, rd_t *r, ipld_node_t **out) {
  const uint8_t *l;
  size_t n;
  if (!read_line(r, &l, &n))
    return TR_EGIT;
  if (!(n == 1 && l[0] == ' ') && !has_prefix(l, n, " Version: ") &&
      !has_prefix(l, n, " Comment: "))
    return TR_EGIT;
  uint8_t *s = ipld_alloc(a, (size_t)(r->end - l) + 2);
  size_t sn = 0;
  if (!s)
    return -ENOMEM;
  for (;;) {
    memcpy(s + sn, l, n);
    sn += n;
    s[sn++] = '\n';
    if (!read_line(r, &l, &n))
      return TR_EGIT;
    static const char END[] = " -----END PGP SIGNATURE-----";
    if (n == sizeof END - 1 && !memcmp(l, END, n))
      break;
  }
  *out = str(a, s, sn);
  return *out ? 0 : -ENOMEM;
}

typedef struct commitf {
  ipld_node_t *tree, *message, *author, *committer, *encoding, *signature;
  grow_t parents, mergetag, other;
} commitf_t;

static int commit_line(ipld_arena_t *a, rd_t *r, commitf_t *c,
                       const uint8_t *l, size_t n) {
  uint8_t sha[SHA1_LEN];
  if (has_prefix(l, n, "tree ")) {
    if (!unhex_sha(l + 5, n - 5, sha))
      return TR_EGIT;
    return (c->tree = link_of(a, sha)) ? 0 : -ENOMEM;
  }
  if (has_prefix(l, n, "parent ")) {
    if (!unhex_sha(l + 7, n - 7, sha))
      return TR_EGIT;
    ipld_node_t *p = link_of(a, sha);
    return p ? grow_add(a, &c->parents, NULL, 0, p) : -ENOMEM;
  }
  if (has_prefix(l, n, "author "))
    return person(a, l, n, &c->author);
  if (has_prefix(l, n, "committer "))
    return person(a, l, n, &c->committer);
  if (has_prefix(l, n, "encoding "))
    return (c->encoding = str(a, l + 9, n - 9)) ? 0 : -ENOMEM;
  if (has_prefix(l, n, "mergetag object ")) {
    if (!unhex_sha(l + 16, n - 16, sha))
      return TR_EGIT;
    ipld_node_t *t;
    const uint8_t *rest;
    size_t rl = 0;
    int rc = merge_tag(a, r, sha, &t, &rest, &rl);
    if (!rc)
      rc = grow_add(a, &c->mergetag, NULL, 0, t);
    if (!rc && rest)
      rc = commit_line(a, r, c, rest, rl);
    return rc;
  }
  if (has_prefix(l, n, "gpgsig "))
    return gpgsig(a, r, &c->signature);
  if (n == 0) { /* the message: the rest, as it is */
    c->message = str(a, r->p, (size_t)(r->end - r->p));
    r->p = r->end;
    return c->message ? 0 : -ENOMEM;
  }
  ipld_node_t *o = str(a, l, n);
  return o ? grow_add(a, &c->other, NULL, 0, o) : -ENOMEM;
}

static int commit_node(ipld_arena_t *a, rd_t *r, ipld_node_t **out) {
  static const uint8_t none[1];
  commitf_t c = {0};
  if (!(c.parents.n = ipld_new(a, IPLD_LIST)) ||
      !(c.mergetag.n = ipld_new(a, IPLD_LIST)) ||
      !(c.other.n = ipld_new(a, IPLD_LIST)))
    return -ENOMEM;
  const uint8_t *l;
  size_t n;
  while (read_line(r, &l, &n)) {
    int rc = commit_line(a, r, &c, l, n);
    if (rc)
      return rc;
  }
  if (!c.tree)
    return TR_EGIT;
  ipld_node_t *m = ipld_new(a, IPLD_MAP);
  grow_t g = {m, 0};
  int rc = m ? 0 : -ENOMEM;
  ipld_node_t *f[] = {c.tree,
                      c.parents.n,
                      c.message ? c.message : str(a, none, 0),
                      c.author ? c.author : ipld__absent(a),
                      c.committer ? c.committer : ipld__absent(a),
                      c.encoding ? c.encoding : ipld__absent(a),
                      c.signature ? c.signature : ipld__absent(a),
                      c.mergetag.n,
                      c.other.n};
  static const char *const K[] = {"tree",     "parents",   "message",
                                  "author",   "committer", "encoding",
                                  "signature", "mergetag", "other"};
  for (size_t i = 0; !rc && i < TR_ARRAY_LEN(K); i++)
    rc = put_field(a, &g, K[i], f[i]);
  *out = m;
  return rc;
}

static int tag_object(ipld_arena_t *a, rd_t *r, ipld_node_t **out) {
  tagf_t t = {0};
  const uint8_t *l;
  size_t n;
  uint8_t sha[SHA1_LEN];
  while (read_line(r, &l, &n)) {
    int rc = 0;
    if (has_prefix(l, n, "object ")) {
      if (!unhex_sha(l + 7, n - 7, sha))
        return TR_EGIT;
      rc = (t.object = link_of(a, sha)) ? 0 : -ENOMEM;
    } else if (has_prefix(l, n, "tag ")) {
      rc = (t.tag = str(a, l + 4, n - 4)) ? 0 : -ENOMEM;
    } else if (has_prefix(l, n, "tagger ")) {
      rc = person(a, l, n, &t.tagger);
    } else if (has_prefix(l, n, "type ")) {
      rc = (t.type = str(a, l + 5, n - 5)) ? 0 : -ENOMEM;
    } else if (n == 0) {
      rc = (t.message = str(a, r->p, (size_t)(r->end - r->p))) ? 0 : -ENOMEM;
      r->p = r->end;
    } /* go prints any other line and goes on */
    if (rc)
      return rc;
  }
  return tag_node(a, &t, out);
}

static int tree_object(ipld_arena_t *a, rd_t *r, ipld_node_t **out) {
  ipld_node_t *m = ipld_new(a, IPLD_MAP);
  if (!m)
    return -ENOMEM;
  grow_t g = {m, 0};
  while (r->p < r->end) {
    const uint8_t *sp = memchr(r->p, ' ', (size_t)(r->end - r->p));
    const uint8_t *nul = sp ? memchr(sp + 1, 0, (size_t)(r->end - sp - 1))
                            : NULL;
    if (!nul || nul + 1 == r->end)
      break; /* go's ReadString or ReadFull met the end: done */
    if ((size_t)(r->end - nul - 1) < SHA1_LEN)
      return TR_EGIT; /* a SHA-1 cut short */
    const char *name = (const char *)sp + 1;
    size_t nl = (size_t)(nul - sp - 1);
    if (ipld__map_get(m, name, nl))
      return TR_EGIT; /* a name twice: go's map refuses it */
    ipld_node_t *e = ipld_new(a, IPLD_MAP), *h = link_of(a, nul + 1);
    grow_t eg = {e, 0};
    if (!e || !h || put_field(a, &eg, "mode", str(a, r->p, (size_t)(sp - r->p))) ||
        put_field(a, &eg, "hash", h) || grow_add(a, &g, name, nl, e))
      return -ENOMEM;
    r->p = nul + 1 + SHA1_LEN;
  }
  *out = m;
  return 0;
}

int ipld__git_decode(const uint8_t *in, size_t len, ipld_arena_t *a,
                     ipld_node_t **out) {
  bool sized;
  int64_t size = 0;
  const uint8_t *body;
  int t = git_head(in, len, &sized, &size, &body);
  rd_t r = {body, in + len};
  if (t == GIT_TAG)
    return tag_object(a, &r, out); /* its size is not read as a number */
  if (t < 0 || !sized)
    return TR_EGIT;
  if (t == GIT_TREE)
    return tree_object(a, &r, out);
  if (t == GIT_COMMIT)
    return commit_node(a, &r, out);
  if (size < 0 || (uint64_t)size > (uint64_t)(r.end - r.p))
    return TR_EGIT;
  /* The object again, with the size as Go prints it. */
  char head[32];
  int hl = snprintf(head, sizeof head, "blob %lld", (long long)size);
  ipld_node_t *b = ipld_new(a, IPLD_BYTES);
  uint8_t *d = ipld_alloc(a, (size_t)hl + 1 + (size_t)size);
  if (!b || !d)
    return -ENOMEM;
  memcpy(d, head, (size_t)hl);
  d[hl] = 0;
  memcpy(d + hl + 1, r.p, (size_t)size);
  b->u.s.p = d;
  b->u.s.n = (size_t)hl + 1 + (size_t)size;
  *out = b;
  return 0;
}
