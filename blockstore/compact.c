/*
 * compact.c — giving a repo's free pages back to the file system.
 *
 * LMDB reuses the pages GC frees but never shortens data.mdb, so a repo
 * that once held a terabyte keeps a terabyte file.  bs_compact() writes a
 * compacted copy (mdb_env_copyfd2 with MDB_CP_COMPACT: live pages only,
 * renumbered) beside the original and renames it over it.  That is only
 * safe when nobody has the repo open: every writable bs_open() holds
 * repo.lock shared, and compaction takes it exclusively or gives up.
 */
#include "bs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t file_size(const char *file) {
  struct stat st;
  return stat(file, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int sync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  int rc = fsync(fd) ? -errno : 0;
  close(fd);
  return rc;
}

/* Copy env compacted into tmp and sync it. */
static int copy_compact(bs_env_t *env, const char *tmp) {
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return -errno;
  int rc = bs__err(mdb_env_copyfd2(env->mdb, fd, MDB_CP_COMPACT));
  if (!rc && fsync(fd))
    rc = -errno;
  if (close(fd) && !rc)
    rc = -errno;
  return rc;
}

int bs_compact(const char *path, uint64_t *before, uint64_t *after) {
  char data[4096], tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s/data.mdb.compact", path) >=
      sizeof tmp)
    return -ENAMETOOLONG;
  snprintf(data, sizeof data, "%s/data.mdb", path);
  int lock = bs__flock(path, "repo.lock", LOCK_EX | LOCK_NB);
  if (lock == -EWOULDBLOCK)
    return TR_EINUSE;
  if (lock < 0)
    return lock;
  unlink(tmp); /* left by a compaction that was killed */
  bs_env_t *env;
  int rc = bs_open(&env, path, BS__NOLOCK);
  if (rc) {
    close(lock);
    return rc;
  }
  if (before)
    *before = file_size(data);
  rc = copy_compact(env, tmp);
  bs_close(env);
  if (!rc && rename(tmp, data))
    rc = -errno;
  if (!rc)
    rc = sync_dir(path);
  if (rc)
    unlink(tmp);
  if (after)
    *after = file_size(data);
  close(lock);
  return rc;
}
