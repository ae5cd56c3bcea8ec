/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one rule for where code may come from, for _ppy_sys (sysmodule.c).
 *
 * A file that a ppy script's interpreter loads as code (a module's source or bytecode,
 * an extension module, a .pth file, a zip archive on sys.path) must be one that only
 * root or the script's owner could have written:
 *
 *  - the file is a regular file owned by uid 0 or the owner, writable by neither group
 *    nor others (mode; with a POSIX ACL the group bits are its mask, which bounds every
 *    named user and group, so the mode covers the ACL too);
 *  - so is every directory above it, from "/", and every directory reached through a
 *    symlink on the way ("hop by hop": each symlink is owned by uid 0 or the owner, its
 *    target is walked the same way, at most 40 links);
 *  - no directory or file on the way sits on a FUSE filesystem mounted by anyone else
 *    (a FUSE server answers stat() with whatever owner and mode it likes).
 *
 * Nobody else can then rename, replace or rewrite anything on that path, so opening it
 * again by name reaches the same file (the open_code hook still opens it once and checks
 * the descriptor is the file it walked to).
 *
 * Pure C, no Python: ppy_origin_walk() fills a struct with the physical path it reached
 * and, on refusal, one line saying why (names escaped as ppy shows them).
 */
#ifndef PPY_ORIGIN_H
#define PPY_ORIGIN_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <unistd.h>

#define PPY_FUSE_SUPER_MAGIC 0x65735546
#define PPY_ORIGIN_MAX_LINKS 40
#define PPY_ORIGIN_UNTRUSTED (-1)   /* ppy_origin_walk: refused, o->why says why */

struct ppy_origin {
    uid_t owner;                 /* the script's owner (uid 0 is always trusted) */
    char real[PATH_MAX];         /* out: the physical path walked to */
    struct stat st;              /* out: lstat of what it names */
    char why[PATH_MAX * 4 + 256];/* out: after PPY_ORIGIN_UNTRUSTED, the reason */
};

/* S into OUT (size >= 4*strlen+1) with every byte outside printable ASCII (and, if asked,
   a backslash) as \xNN, as ppy and its boot show names: no name from the caller or a file
   can add a line to stderr or syslog, nor pass for an escaped byte. Cut short, it ends in
   "...", so that a shortened name never passes for the whole one. */
static void ppy_escape_bytes(const char *s, char *out, size_t size, int backslash)
{
    size_t n = 0;

    for (; *s && n + 5 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c < 0x7f && !(backslash && c == '\\'))
            out[n++] = (char)c;
        else
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
    }
    if (*s && size >= 4) {
        n = n + 4 <= size ? n : size - 4;
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* How a name (a path, an argument) is shown: a backslash escaped too. */
static void ppy_origin_escape(const char *name, char *out, size_t size)
{
    ppy_escape_bytes(name, out, size, 1);
}

/* Say why: WHAT ("directory ", "symlink " or "") PATH, then FMT. */
__attribute__((format(printf, 4, 5)))
static int ppy_origin_refuse(struct ppy_origin *o, const char *what, const char *path,
                             const char *fmt, ...)
{
    char shown[PATH_MAX * 4 + 1];
    size_t n;
    va_list ap;

    ppy_origin_escape(path, shown, sizeof shown);
    n = (size_t)snprintf(o->why, sizeof o->why, "%s%s ", what, shown);
    if (n < sizeof o->why) {
        va_start(ap, fmt);
        vsnprintf(o->why + n, sizeof o->why - n, fmt, ap);
        va_end(ap);
    }
    return PPY_ORIGIN_UNTRUSTED;
}

static int ppy_origin_trusted_uid(const struct ppy_origin *o, uid_t uid)
{
    return uid == 0 || uid == o->owner;
}

/*
 * The uid that mounted the FUSE filesystem PATH is on, or -1. mountinfo(5): "ID PARENT
 * MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS", each field
 * with spaces escaped (\040). The mounter is the kernel's "user_id=" among the super
 * options only: SOURCE (FUSE's fsname) is the mounter's own free text, so a word there
 * such as "user_id=0" must never be read as an option.
 */
static long ppy_origin_fuse_mounter(const char *path)
{
    char name[64], *line = NULL;
    size_t cap = 0;
    long mnt_id = -1, uid = -1;
    FILE *f;
    int fd = open(path, O_PATH | O_CLOEXEC);

    if (fd < 0)
        return -1;
    snprintf(name, sizeof name, "/proc/self/fdinfo/%d", fd);
    if ((f = fopen(name, "re")) != NULL) {
        while (getline(&line, &cap, f) >= 0)
            if (sscanf(line, "mnt_id: %ld", &mnt_id) == 1)
                break;
        fclose(f);
    }
    close(fd);
    if (mnt_id < 0 || (f = fopen("/proc/self/mountinfo", "re")) == NULL) {
        free(line);
        return -1;
    }
    /* Whole lines, however long: the mounter chooses SOURCE's length, and a line read in
       pieces could end a piece inside "user_id=" (user_id=42421 read as 4242) or start
       one that looks like another mount's line. */
    while (getline(&line, &cap, f) >= 0) {
        char *save = NULL, *word, *fields[3];
        int after_dash = 0, n = 0;
        long id;
        if (sscanf(line, "%ld ", &id) != 1 || id != mnt_id)
            continue;
        line[strcspn(line, "\n")] = '\0';
        for (word = strtok_r(line, " ", &save); word && n < 3; word = strtok_r(NULL, " ", &save)) {
            if (after_dash)
                fields[n++] = word;              /* FSTYPE, SOURCE, SUPEROPTIONS */
            else if (strcmp(word, "-") == 0)
                after_dash = 1;
        }
        if (n == 3 && strncmp(fields[0], "fuse", 4) == 0) {
            char *opt, *osave = NULL;
            for (opt = strtok_r(fields[2], ",", &osave); opt; opt = strtok_r(NULL, ",", &osave))
                if (strncmp(opt, "user_id=", 8) == 0) {
                    char *end;
                    errno = 0;
                    uid = strtol(opt + 8, &end, 10);
                    if (errno || *end || end == opt + 8 || uid < 0)
                        uid = -1;
                    break;
                }
        }
        break;
    }
    fclose(f);
    free(line);
    return uid;
}

/* PATH starts a filesystem other than its parent's: refuse a FUSE filesystem that anyone
   but root or the owner mounted. 0, or PPY_ORIGIN_UNTRUSTED. */
static int ppy_origin_check_mount(struct ppy_origin *o, const char *path)
{
    struct statfs sfs;
    long uid;

    if (statfs(path, &sfs) != 0)
        return errno;
    if (sfs.f_type != PPY_FUSE_SUPER_MAGIC)
        return 0;
    uid = ppy_origin_fuse_mounter(path);
    if (uid < 0)
        return ppy_origin_refuse(o, "", *path ? path : "/", "is on a FUSE filesystem whose mounter "
                                 "cannot be told (its server chooses every owner it shows)");
    if (!ppy_origin_trusted_uid(o, (uid_t)uid))
        return ppy_origin_refuse(o, "", *path ? path : "/", "is on a FUSE filesystem mounted by uid "
                                 "%ld (its server chooses every owner it shows)", uid);
    return 0;
}

/* A directory (DIR) or the final file (!DIR) on the way, by its lstat ST. */
static int ppy_origin_check_node(struct ppy_origin *o, const char *path, const struct stat *st,
                                 int dir)
{
    const char *what = dir ? "directory " : "";

    if (!ppy_origin_trusted_uid(o, st->st_uid))
        return ppy_origin_refuse(o, what, path, "is owned by uid %u", (unsigned)st->st_uid);
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return ppy_origin_refuse(o, what, path, "is writable by group or others (mode %04o, "
                                 "or an ACL)", (unsigned)(st->st_mode & 07777));
    return 0;
}

/*
 * Walk PATH (absolute; a relative one is taken from the working directory) component by
 * component from "/", with lstat, following each symlink by hand. WANT_DIR: PATH must be
 * a directory; otherwise its last component must be a regular file. Returns 0 (o->real,
 * o->st filled), PPY_ORIGIN_UNTRUSTED (o->why filled), or an errno (ENOENT, ENOTDIR,
 * ELOOP, ENAMETOOLONG, ...) for a path that does not lead anywhere.
 */
static int ppy_origin_walk(struct ppy_origin *o, const char *path, int want_dir)
{
    char rest[PATH_MAX * 2], tmp[PATH_MAX * 2], target[PATH_MAX];
    char *cur = o->real;          /* the physical directory reached ("" is "/") */
    size_t len = 0;
    int links = 0, rc;
    struct stat st;
    dev_t dev;

    memset(&o->st, 0, sizeof o->st);
    o->real[0] = '\0';
    if (path[0] == '\0')
        return ENOENT;
    if (path[0] == '/') {
        if (strlen(path) >= sizeof rest)
            return ENAMETOOLONG;
        strcpy(rest, path);
    } else {
        if (!getcwd(tmp, sizeof tmp))
            return errno;
        if ((size_t)snprintf(rest, sizeof rest, "%s/%s", tmp, path) >= sizeof rest)
            return ENAMETOOLONG;
    }
    cur[0] = '\0';
    if (lstat("/", &st) != 0)
        return errno;
    if ((rc = ppy_origin_check_node(o, "/", &st, 1)) != 0 ||
        (rc = ppy_origin_check_mount(o, "/")) != 0)
        return rc;
    dev = st.st_dev;
    o->st = st;

    for (char *p = rest;;) {
        char *name, *end;
        size_t nlen;
        int last;

        while (*p == '/')
            p++;
        if (*p == '\0')
            break;                     /* ended on the directory reached */
        name = p;
        end = strchr(p, '/');
        nlen = end ? (size_t)(end - p) : strlen(p);
        p = end ? end : p + nlen;
        last = p[strspn(p, "/")] == '\0';
        if (nlen == 1 && name[0] == '.')
            continue;
        if (nlen == 2 && name[0] == '.' && name[1] == '.') {
            char *slash = strrchr(cur, '/');
            if (slash)
                *slash = '\0';
            len = strlen(cur);
            if (lstat(len ? cur : "/", &st) != 0)
                return errno;
            dev = st.st_dev;
            o->st = st;
            continue;
        }
        if (len + 1 + nlen >= PATH_MAX)
            return ENAMETOOLONG;
        cur[len] = '/';
        memcpy(cur + len + 1, name, nlen);
        cur[len + 1 + nlen] = '\0';
        if (lstat(cur, &st) != 0)
            return errno;
        if (S_ISLNK(st.st_mode)) {
            ssize_t n;
            if (!ppy_origin_trusted_uid(o, st.st_uid))
                return ppy_origin_refuse(o, "symlink ", cur, "is owned by uid %u",
                                         (unsigned)st.st_uid);
            if (++links > PPY_ORIGIN_MAX_LINKS)
                return ELOOP;
            n = readlink(cur, target, sizeof target - 1);
            if (n < 0)
                return errno;
            if (n == 0)
                return ENOENT;
            target[n] = '\0';
            /* Walk the target (from "/" or from the symlink's directory), then the rest. */
            if ((size_t)snprintf(tmp, sizeof tmp, "%s/%s", target, p) >= sizeof tmp)
                return ENAMETOOLONG;
            strcpy(rest, tmp);
            p = rest;
            cur[len] = '\0';
            if (target[0] == '/') {
                len = 0;
                cur[0] = '\0';
                if (lstat("/", &st) != 0)
                    return errno;
                dev = st.st_dev;
            }
            continue;
        }
        if (!last || want_dir) {
            if (!S_ISDIR(st.st_mode))
                return ENOTDIR;
            if ((rc = ppy_origin_check_node(o, cur, &st, 1)) != 0)
                return rc;
        } else {
            if (S_ISDIR(st.st_mode))
                return EISDIR;
            if (!S_ISREG(st.st_mode))
                return ppy_origin_refuse(o, "", cur, "is not a regular file");
            if ((rc = ppy_origin_check_node(o, cur, &st, 0)) != 0)
                return rc;
        }
        if (st.st_dev != dev && (rc = ppy_origin_check_mount(o, cur)) != 0)
            return rc;
        dev = st.st_dev;
        len += 1 + nlen;
        o->st = st;
        if (last && !want_dir)
            return 0;
    }
    /* The path named a directory. */
    if (!want_dir)
        return EISDIR;
    if (len == 0)
        strcpy(cur, "/");
    return 0;
}

#endif
