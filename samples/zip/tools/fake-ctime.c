/*
 * fake-ctime.so: LD_PRELOAD shim used by samples/make-zip-samples.sh.
 *
 *   cc -shared -fPIC -O2 -o fake-ctime.so fake-ctime.c -ldl
 *   FAKE_CTIME=1614834367 LD_PRELOAD=./fake-ctime.so bsdtar ...
 *
 * The kernel always sets a file's inode change time (st_ctime) from the real
 * clock (touch -d, chown and chmod all bump it), and libfaketime 0.9.10 does
 * not fake stat() on glibc >= 2.33. Archivers that record the ctime
 * (bsdtar: UT extra ctime; 7-Zip: NTFS extra ctime) would therefore store the
 * real time of the sample run, and a rerun would not be byte-identical.
 * This shim makes every stat-family call report st_ctime (and statx's
 * stx_ctime and stx_btime) = $FAKE_CTIME seconds, nanoseconds 0, i.e. "the
 * inputs were last changed at the build clock". Nothing else is changed;
 * without FAKE_CTIME in the environment the shim does nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

static int fake(long long *out)
{
    const char *s = getenv("FAKE_CTIME");
    if (!s || !*s)
        return 0;
    *out = strtoll(s, NULL, 10);
    return 1;
}

static void fix(struct stat *st)
{
    long long t;
    if (fake(&t)) {
        st->st_ctim.tv_sec = t;
        st->st_ctim.tv_nsec = 0;
    }
}

#define REAL(name) \
    static __typeof__(name) *real_##name; \
    if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

int stat(const char *p, struct stat *st)
{
    REAL(stat);
    int r = real_stat(p, st);
    if (r == 0) fix(st);
    return r;
}

int lstat(const char *p, struct stat *st)
{
    REAL(lstat);
    int r = real_lstat(p, st);
    if (r == 0) fix(st);
    return r;
}

int fstat(int fd, struct stat *st)
{
    REAL(fstat);
    int r = real_fstat(fd, st);
    if (r == 0) fix(st);
    return r;
}

int fstatat(int dirfd, const char *p, struct stat *st, int flags)
{
    REAL(fstatat);
    int r = real_fstatat(dirfd, p, st, flags);
    if (r == 0) fix(st);
    return r;
}

/* On x86-64 struct stat64 has the same layout as struct stat. */
int stat64(const char *p, struct stat64 *st)
{
    REAL(stat64);
    int r = real_stat64(p, st);
    if (r == 0) fix((struct stat *)st);
    return r;
}

int lstat64(const char *p, struct stat64 *st)
{
    REAL(lstat64);
    int r = real_lstat64(p, st);
    if (r == 0) fix((struct stat *)st);
    return r;
}

int fstat64(int fd, struct stat64 *st)
{
    REAL(fstat64);
    int r = real_fstat64(fd, st);
    if (r == 0) fix((struct stat *)st);
    return r;
}

int fstatat64(int dirfd, const char *p, struct stat64 *st, int flags)
{
    REAL(fstatat64);
    int r = real_fstatat64(dirfd, p, st, flags);
    if (r == 0) fix((struct stat *)st);
    return r;
}

int statx(int dirfd, const char *p, int flags, unsigned int mask, struct statx *stx)
{
    REAL(statx);
    int r = real_statx(dirfd, p, flags, mask, stx);
    long long t;
    if (r == 0 && fake(&t)) {
        stx->stx_ctime.tv_sec = t;
        stx->stx_ctime.tv_nsec = 0;
        stx->stx_btime.tv_sec = t;
        stx->stx_btime.tv_nsec = 0;
    }
    return r;
}
