/*
 * test_add_meta.c — rpc/add_meta.c, the UnixFS metadata of `add`: an
 * entry's own mode and mtime read from a multipart form name exactly as
 * boxo's multipart reader reads them (each case below was sent to Kubo
 * v0.43.1's API and its answer noted), Go's FileMode and time.Time as
 * Kubo's answers show them, the names trove's client gives its parts, the
 * options as go-ipfs-cmds parses them, and what each kind of entry stores.
 */
#include "testutil.h"

#include "../rpc/opts.h"

#define GO_DIR (1u << 31)
#define GO_SYMLINK (1u << 27)

static void form(const char *name, uint32_t mode, bool has, int64_t sec,
                 uint32_t nsec) {
  rpc_fmeta_t m;
  rpc_fmeta_form(name, false, &m);
  if (m.gomode != mode || m.has_mtime != has || (has && m.sec != sec) ||
      (has && m.nsec != nsec))
    fail_msg("%s: mode %o mtime %d %lld.%u", name, m.gomode, m.has_mtime,
             (long long)m.sec, m.nsec);
}

static void test_form(void **state) {
  (void)state;
  form("file", 0, false, 0, 0);
  form(NULL, 0, false, 0, 0);
  form("file?mode=0644&mtime=1700000000&mtime-nsecs=5", 0644, true,
       1700000000, 5);
  form("file?mode=020000000755&mtime=1600000000", GO_DIR | 0755, true,
       1600000000, 0);
  /* A query without an mtime is time.Unix(0, 0): not Go's zero time. */
  form("file?", 0, true, 0, 0);
  form("file?mode=04000000644", 04000000644, true, 0, 0);
  /* Kubo: "t2" kept its mode and had no mtime; "t3" 4 s 999999997 ns. */
  form("file?mtime=abc&mode=0600", 0600, false, 0, 0);
  form("file?mtime=5&mtime-nsecs=-3", 0, true, 4, 999999997);
  /* A ';' fails url.ParseQuery: nothing at all ("t4"). */
  form("file?mode=0644;x=1", 0, false, 0, 0);
  form("file?mode=%zz", 0, false, 0, 0);
  form("file?x=%4", 0, false, 0, 0);
  /* Escapes and '+' decoded; the first value of a key wins; base 8 only,
   * no prefix, 32 bits. */
  form("file?mode=%30644&mode=0600&mtime=%2B7", 0644, true, 7, 0);
  form("file?mode=0o644", 0, true, 0, 0);
  form("file?mode=99999999999", 0, true, 0, 0);
  form("file?mode=8", 0, true, 0, 0);
  form("file?mtime=-1", 0, true, -1, 0);
  /* An mtime out of range is an error (no mtime); nanoseconds out of
   * range are clamped and their error ignored, then normalised. */
  form("file?mtime=99999999999999999999", 0, false, 0, 0);
  form("file?mtime-nsecs=99999999999999999999", 0, true, 9223372036,
       854775807);
  form("file?mtime=1&mtime-nsecs=2000000001", 0, true, 3, 1);
  form("file?unknown&mode=0700", 0700, true, 0, 0);
  /* A symlink's mode is fixed (boxo's Symlink.Mode), its mtime read. */
  rpc_fmeta_t m;
  rpc_fmeta_form("file?mode=0600&mtime=9", true, &m);
  assert_int_equal(m.gomode, GO_SYMLINK | 0777);
  assert_true(m.has_mtime && m.sec == 9);
  rpc_fmeta_form("file", true, &m);
  assert_int_equal(m.gomode, GO_SYMLINK | 0777);
  assert_false(m.has_mtime);
}

static void test_go_views(void **state) {
  (void)state;
  /* Kubo's ls JSON: 420 for a file's 0644, ModeDir|0755 for a directory. */
  assert_int_equal(rpc_fmeta_gomode(DAG_UNIXFS_FILE, 0644), 420);
  assert_int_equal(rpc_fmeta_gomode(DAG_UNIXFS_DIRECTORY, 0755), 2147484141u);
  assert_int_equal(rpc_fmeta_gomode(DAG_UNIXFS_HAMT, 0755), 2147484141u);
  assert_int_equal(rpc_fmeta_gomode(DAG_UNIXFS_SYMLINK, 0777),
                   GO_SYMLINK | 0777);
  assert_int_equal(rpc_fmeta_gomode(DAG_UNIXFS_FILE, 04755), (1u << 23) | 0755);
  assert_int_equal(rpc_fmeta_gomode(DAG_UNIXFS_FILE, 02000), 1u << 22);
  assert_int_equal(rpc_fmeta_gomode(DAG_UNIXFS_DIRECTORY, 01777),
                   GO_DIR | (1u << 20) | 0777);
  assert_int_equal(rpc_fmeta_gomode(DAG_UNIXFS_DIRECTORY, 0), 0);
  char t[48];
  rpc_fmeta_time_json(true, 1700000000, 123456789, t);
  assert_string_equal(t, "2023-11-14T22:13:20.123456789Z");
  rpc_fmeta_time_json(true, 1796341361, 87354310, t);
  assert_string_equal(t, "2026-12-03T23:42:41.08735431Z");
  rpc_fmeta_time_json(true, -5, 0, t);
  assert_string_equal(t, "1969-12-31T23:59:55Z");
  rpc_fmeta_time_json(false, 5, 5, t);
  assert_string_equal(t, "0001-01-01T00:00:00Z");
  /* The names trove's client gives its parts, read back the same. */
  char name[96];
  rpc_fmeta_t a = {GO_DIR | 0755, true, 1600000000, 7};
  rpc_fmeta_form_name(&a, name, sizeof name);
  assert_string_equal(name, "file?mode=020000000755&mtime=1600000000&"
                            "mtime-nsecs=7");
  rpc_fmeta_t back;
  rpc_fmeta_form(name, false, &back);
  assert_true(back.gomode == a.gomode && back.has_mtime && back.sec == a.sec &&
              back.nsec == a.nsec);
  rpc_fmeta_t none = {0};
  rpc_fmeta_form_name(&none, name, sizeof name);
  assert_string_equal(name, "file");
  rpc_fmeta_t neg = {0, true, -3, 0};
  rpc_fmeta_form_name(&neg, name, sizeof name);
  assert_string_equal(name, "file?mtime=-3");
}

/* add's options from a command line, through the table and
 * rpc_add_resolve(): 0 or the error, its message in err. */
static int opts(rpc_add_opts_t *a, char *err, size_t n, int argc,
                const char **argv) {
  rpc_vals_t v;
  char *args[16];
  int nargs;
  int rc = rpc_vals_argv(&v, rpc_cmddef("add"), argc, (char **)argv, args,
                         &nargs, err, n);
  return rc ? rc : rpc_add_resolve(&v, NULL, a, err, n);
}

static void test_options(void **state) {
  (void)state;
  rpc_add_opts_t a;
  char err[256];
  const char *none[] = {"add"};
  assert_int_equal(opts(&a, err, sizeof err, 1, none), 0);
  assert_false(a.with_meta);
  assert_true(a.o.raw_leaves); /* the profile's */
  /* Numbers as go-ipfs-cmds reads them: base prefixes, underscores. */
  const char *num[] = {"add", "--mode=0x1ff", "--mtime=0b101",
                       "--mtime-nsecs=1_000"};
  assert_int_equal(opts(&a, err, sizeof err, 4, num), 0);
  assert_true(a.with_meta && a.meta.gomode == 0777 && a.meta.has_mtime &&
              a.meta.sec == 5 && a.meta.nsec == 1000);
  assert_false(a.o.raw_leaves); /* turned off: the root must be dag-pb */
  const char *oct[] = {"add", "--mode=0755", "--mtime=-5"};
  assert_int_equal(opts(&a, err, sizeof err, 3, oct), 0);
  assert_true(a.meta.gomode == 0755 && a.meta.sec == -5);
  const char *dec[] = {"add", "--mode=755"};
  assert_int_equal(opts(&a, err, sizeof err, 2, dec), 0);
  assert_int_equal(a.meta.gomode, 755);
  const char *pre[] = {"add", "--preserve-mode", "--preserve-mtime"};
  assert_int_equal(opts(&a, err, sizeof err, 3, pre), 0);
  assert_true(a.preserve_mode && a.preserve_mtime && a.with_meta);
  /* Kubo's refusals and messages. */
  const char *raw[] = {"add", "--preserve-mtime", "--raw-leaves"};
  assert_int_equal(opts(&a, err, sizeof err, 3, raw), TR_EUSAGE);
  assert_string_equal(err, "raw-leaves can't be used with UnixFS metadata "
                           "like mode or modification time");
  const char *ns[] = {"add", "--mtime-nsecs=7"};
  assert_int_equal(opts(&a, err, sizeof err, 2, ns), TR_EUSAGE);
  assert_string_equal(err, "option \"mtime-nsecs\" requires \"mtime\" to "
                           "be provided as well");
  const char *big[] = {"add", "--mtime=1", "--mtime-nsecs=1000000000"};
  assert_int_equal(opts(&a, err, sizeof err, 3, big), TR_EUSAGE);
  assert_string_equal(err, "mtime nanoseconds must be in range [1, 999999999]");
  /* Numbers that do not convert: -EINVAL (the API's 400), Kubo's words. */
  const char *bad[] = {"add", "--mode=rw"};
  assert_int_equal(opts(&a, err, sizeof err, 2, bad), -EINVAL);
  assert_string_equal(err, "could not convert value \"rw\" to type \"uint\" "
                           "(for option \"-mode\")");
  const char *bad2[] = {"add", "--mode=0x"};
  assert_int_equal(opts(&a, err, sizeof err, 2, bad2), -EINVAL);
  const char *bad3[] = {"add", "--mode=4294967296"};
  assert_int_equal(opts(&a, err, sizeof err, 2, bad3), -EINVAL);
  const char *bad5[] = {"add", "--mode=0o"};
  assert_int_equal(opts(&a, err, sizeof err, 2, bad5), -EINVAL);
  const char *bad4[] = {"add", "--mtime=1__0"};
  assert_int_equal(opts(&a, err, sizeof err, 2, bad4), -EINVAL);
  const char *empty[] = {"add", "--mtime="};
  assert_int_equal(opts(&a, err, sizeof err, 2, empty), -EINVAL);
  assert_string_equal(err, "could not convert empty value to type \"int64\" "
                           "(for option \"-mtime\")");
  /* --mode=0 and --mtime=0 are no metadata, as in Kubo. */
  const char *zero[] = {"add", "--mode=0", "--mtime=0"};
  assert_int_equal(opts(&a, err, sizeof err, 3, zero), 0);
  assert_false(a.with_meta);
  assert_true(a.o.raw_leaves);
}

/* What each kind of entry stores (boxo's rules). */
static void test_kinds(void **state) {
  (void)state;
  rpc_add_opts_t a = {0};
  dag_meta_t m;
  rpc_fmeta_t file = {0644, true, 10, 3}, dir = {GO_DIR | 0700, true, 20, 0},
              link = {GO_SYMLINK | 0777, true, 30, 0},
              zero = {GO_DIR, false, 0, 0}, zf = {01000000000, false, 0, 0};
  /* Without metadata options nothing is stored, whatever the entry has. */
  assert_false(rpc_add_meta(&a, &file, RPC_META_FILE, &m));
  assert_false(m.has_mode || m.has_mtime);
  a.preserve_mode = a.preserve_mtime = a.with_meta = true;
  assert_true(rpc_add_meta(&a, &file, RPC_META_FILE, &m));
  assert_true(m.has_mode && m.mode == 0644 && m.has_mtime &&
              m.mtime_sec == 10 && m.mtime_nsec == 3);
  assert_true(rpc_add_meta(&a, &dir, RPC_META_DIR, &m));
  assert_true(m.has_mode && m.mode == 0700 && m.mtime_sec == 20);
  assert_true(rpc_add_meta(&a, &link, RPC_META_SYMLINK, &m));
  assert_true(!m.has_mode && m.has_mtime && m.mtime_sec == 30);
  /* A directory's mode 0 is written (FolderPBDataWithStat), a file's not
   * (FSNode.SetMode). */
  assert_true(rpc_add_meta(&a, &zero, RPC_META_DIR, &m));
  assert_true(m.has_mode && m.mode == 0);
  assert_false(rpc_add_meta(&a, &zf, RPC_META_FILE, &m));
  /* None of its own (-w's directory): the options' values, if any. */
  assert_false(rpc_add_meta(&a, NULL, RPC_META_DIR, &m));
  a.meta.gomode = 0755;
  a.preserve_mode = false;
  assert_true(rpc_add_meta(&a, NULL, RPC_META_DIR, &m));
  assert_true(m.has_mode && m.mode == 0755 && !m.has_mtime);
  /* --mode over the entry's own; --preserve-mtime takes the entry's. */
  assert_true(rpc_add_meta(&a, &file, RPC_META_FILE, &m));
  assert_true(m.mode == 0755 && m.mtime_sec == 10);
  /* Go's setuid, setgid and sticky bits become POSIX's. */
  rpc_fmeta_t su = {(1u << 23) | (1u << 22) | (1u << 20) | 0755, false, 0, 0};
  a.preserve_mode = true;
  assert_true(rpc_add_meta(&a, &su, RPC_META_FILE, &m));
  assert_int_equal(m.mode, 07755);
  /* From lstat, as Go's os.Lstat reports. */
  struct stat st = {0};
  st.st_mode = S_IFDIR | S_ISVTX | 0777;
  st.st_mtim.tv_sec = 5;
  st.st_mtim.tv_nsec = 6;
  rpc_fmeta_t own;
  rpc_fmeta_stat(&st, &own);
  assert_true(own.gomode == (GO_DIR | (1u << 20) | 0777) && own.has_mtime &&
              own.sec == 5 && own.nsec == 6);
}

/* Every command's option table fits rpc_vals_t (add outgrew 32 options:
 * its 33rd was written past the array). */
static void test_tables_fit(void **state) {
  (void)state;
  for (size_t i = 0; i < rpc_ncmddefs; i++) {
    size_t n = 0;
    while (rpc_cmddefs[i].opts[n].name)
      n++;
    if (n > RPC_MAX_OPTS)
      fail_msg("%s has %zu options, RPC_MAX_OPTS is %d", rpc_cmddefs[i].name,
               n, RPC_MAX_OPTS);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tables_fit),
      cmocka_unit_test(test_form),
      cmocka_unit_test(test_go_views),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_kinds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
