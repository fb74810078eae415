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
 * Only the links are read: names, people, dates, signatures and messages
 * are skipped.  A commit's or tag's headers end at the first empty line
 * (the message follows); a header's continuation lines begin with a space
 * (a signature, a merge tag's fields) and are skipped with it.  Where
 * go-ipld-git fails on a block (an unknown type, a size that is not a
 * number, a tree entry cut short: Kubo will not walk it) this fails too,
 * with TR_EGIT; a link line whose hex is not a SHA-1's is one Go refuses
 * too, and is TR_EGIT here.
 */
#include "ipld_int.h"

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

int ipld__git_links(const uint8_t *in, size_t len, ipld_link_cb cb,
                    void *ud) {
  const uint8_t *end = in + len;
  const uint8_t *sp = memchr(in, ' ', len);
  const uint8_t *nul = sp ? memchr(sp, 0, (size_t)(end - sp)) : NULL;
  if (!nul)
    return TR_EGIT;
  size_t tl = (size_t)(sp - in);
  bool tree = tl == 4 && !memcmp(in, "tree", 4);
  bool commit = tl == 6 && !memcmp(in, "commit", 6);
  bool tag = tl == 3 && !memcmp(in, "tag", 3);
  bool blob = tl == 4 && !memcmp(in, "blob", 4);
  if (!tree && !commit && !tag && !blob)
    return TR_EGIT;
  if (tree || commit) { /* strconv.Atoi of the size: digits, a sign */
    const uint8_t *d = sp + 1;
    if (d < nul && (*d == '+' || *d == '-'))
      d++;
    if (d == nul)
      return TR_EGIT;
    for (; d < nul; d++)
      if (*d < '0' || *d > '9')
        return TR_EGIT;
  }
  const uint8_t *body = nul + 1;
  if (tree)
    return tree_links(body, end, cb, ud);
  if (commit || tag)
    return header_links(body, end, commit, cb, ud);
  return 0;
}
