/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * _ppy_sys: the few system calls that must be cheap, as a plain CPython
 * extension on the stable ABI (one .abi3.so for every CPython >= 3.8).
 * A top-level module, not part of the ppy_py package, so that ppy's boot
 * loads it without importing the package: each import costs about 0.1 ms
 * on the machines we measure on, and a package costs two (its __init__ and
 * the finder for its directory).
 *
 * Two users need more speed than a cffi call gives (cffi releases and
 * retakes the GIL and saves errno around every call, about 0.2 us, and
 * importing the cffi backend costs about 0.5 ms):
 *
 *  - raised()/raise_caps()/lower_caps(): one capget + at most one capset
 *    per change of the effective set;
 *  - ppy_boot, the first Python code of every ppy launch, which must empty
 *    the inheritable and ambient sets before the script's first line.
 *
 * Everything libcap-ng does stays in the cffi module ppy_py._capng. The GIL
 * is kept: each call here is one or two non-blocking system calls.
 *
 * Contract: every function returns its result (>= 0) or -errno; only a bad
 * argument (not an int, negative, too large) raises, before any system call.
 * (The code-origin functions at the end, which ppy's boot installs, raise instead.)
 */
#define Py_LIMITED_API 0x03090000
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "rawcaps.h"
#include "origin.h"

static int u64_arg(PyObject *arg, uint64_t *out)
{
    unsigned long long v = PyLong_AsUnsignedLongLong(arg);

    if (v == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Add MASK to the effective set: one capget, then a capset only if a bit is missing.
   0 with *added = the bits it added (what eff_remove must undo later), or -errno:
   -EPERM, without asking the kernel, when a bit is not in the permitted set. */
static int eff_add(uint64_t mask, uint64_t *added)
{
    uint64_t e, p, i;
    int rc = ppy_capget(&e, &p, &i);

    *added = 0;
    if (rc != 0)
        return rc;
    if (mask >> 63 || (mask & ~p))
        return -EPERM;
    if ((e | mask) != e && (rc = ppy_capset(e | mask, p, i)) != 0)
        return rc;
    *added = mask & ~e;
    return 0;
}

/* Remove MASK from the effective set: 0, or -errno. No capset when none of it is
   effective. */
static int eff_remove(uint64_t mask)
{
    uint64_t e, p, i;
    int rc = ppy_capget(&e, &p, &i);

    if (rc == 0 && (e & mask) != 0)
        rc = ppy_capset(e & ~mask, p, i);
    return rc;
}

/* eff_raise(mask): the bits added, or -errno (see eff_add). Bit 63 is refused, so the
   bits added are never negative. */
static PyObject *sys_eff_raise(PyObject *self, PyObject *arg)
{
    uint64_t mask, added;
    int rc;

    (void)self;
    if (u64_arg(arg, &mask) != 0)
        return NULL;
    rc = eff_add(mask, &added);
    return rc != 0 ? PyLong_FromLong(rc) : PyLong_FromLongLong((long long)added);
}

/* eff_lower(mask): 0, or -errno (see eff_remove). */
static PyObject *sys_eff_lower(PyObject *self, PyObject *arg)
{
    uint64_t mask;

    (void)self;
    if (u64_arg(arg, &mask) != 0)
        return NULL;
    return PyLong_FromLong(eff_remove(mask));
}

/* capget(): (effective, permitted, inheritable) of this thread, or -errno. */
static PyObject *sys_capget(PyObject *self, PyObject *unused)
{
    uint64_t e, p, i;
    int rc = ppy_capget(&e, &p, &i);

    (void)self;
    (void)unused;
    if (rc != 0)
        return PyLong_FromLong(rc);
    return Py_BuildValue("(KKK)", (unsigned long long)e, (unsigned long long)p,
                         (unsigned long long)i);
}

/* capset(effective, permitted, inheritable): 0, or -errno. */
static PyObject *sys_capset(PyObject *self, PyObject *args)
{
    PyObject *oe, *op, *oi;
    uint64_t e, p, i;

    (void)self;
    if (!PyArg_ParseTuple(args, "OOO:capset", &oe, &op, &oi))
        return NULL;
    if (u64_arg(oe, &e) != 0 || u64_arg(op, &p) != 0 || u64_arg(oi, &i) != 0)
        return NULL;
    return PyLong_FromLong(ppy_capset(e, p, i));
}

/* prctl(option, arg2=0, arg3=0, arg4=0, arg5=0): its result (>= 0), or -errno. */
static PyObject *sys_prctl(PyObject *self, PyObject *args)
{
    PyObject *o[4] = { NULL, NULL, NULL, NULL };
    uint64_t a[4] = { 0, 0, 0, 0 };
    int option, rc;

    (void)self;
    if (!PyArg_ParseTuple(args, "i|OOOO:prctl", &option, &o[0], &o[1], &o[2], &o[3]))
        return NULL;
    for (int k = 0; k < 4; k++) {
        if (o[k] && u64_arg(o[k], &a[k]) != 0)
            return NULL;
        if (a[k] > ULONG_MAX) {
            PyErr_SetString(PyExc_OverflowError, "prctl argument too large");
            return NULL;
        }
    }
    rc = prctl(option, (unsigned long)a[0], (unsigned long)a[1], (unsigned long)a[2],
               (unsigned long)a[3]);
    return PyLong_FromLong(rc < 0 ? ppy_neg_errno() : rc);
}


/*
 * Scope: the C half of ppy_py.raised (a Python subclass adds parsing, the
 * decorator and the messages). Scope(mask) holds MASK; entering adds it to
 * the effective set and remembers the bits it actually added, leaving removes
 * exactly those. Each thread's entries are kept apart (each thread has its
 * own effective set): the first thread to enter uses a C array, any other
 * thread a list in a dict keyed by its thread ident. The GIL is held
 * throughout, so no two threads touch one Scope at once.
 *
 * On a kernel refusal the subclass's _enter_failed(err) or
 * _exit_failed(added, err) builds and raises the exception.
 */
typedef struct {
    PyObject_HEAD
    uint64_t mask;
    int has_owner;
    unsigned long owner;    /* the first thread that entered */
    uint64_t *stack;        /* its entries' added bits, innermost last */
    Py_ssize_t depth, size;
    PyObject *others;       /* {thread ident: [added, ...]} of other threads */
} ScopeObject;

/* {type: {args tuple: mask}}: earlier raised(...) calls, per class (a subclass may parse
   differently), for argument tuples of plain str only (a bool or float would compare equal
   to a Cap, and a str or tuple subclass may not parse as it compares). Private: only
   masks a class's _parse returned, checked to be ints, go in. Made once; a second import
   (a subinterpreter) keeps it. */
static PyObject *mask_cache;

static int all_plain_str(PyObject *args)
{
    Py_ssize_t n;

    if (!PyTuple_CheckExact(args) || (n = PyTuple_Size(args)) <= 0)
        return 0;
    for (Py_ssize_t k = 0; k < n; k++)
        if (!PyUnicode_CheckExact(PyTuple_GetItem(args, k)))
            return 0;
    return 1;
}

/* Remember MASK for TYPE and ARGS: 0, or -1 with an exception. */
static int cache_mask(PyTypeObject *type, PyObject *args, PyObject *mask)
{
    PyObject *cache = PyDict_GetItemWithError(mask_cache, (PyObject *)type);   /* borrowed */
    int rc;

    if (cache == NULL) {
        if (PyErr_Occurred() || (cache = PyDict_New()) == NULL)
            return -1;
        rc = PyDict_SetItem(mask_cache, (PyObject *)type, cache);
        Py_DECREF(cache);   /* mask_cache holds it */
        if (rc != 0)
            return -1;
    }
    if (PyDict_Size(cache) >= 256)
        return 0;
    return PyDict_SetItem(cache, args, mask);
}

/*
 * The mask for ARGS (a tuple of caps): from TYPE's cache, or else from TYPE's
 * _parse(args), which explains bad input (Scope itself has no _parse: it takes one int,
 * the mask). 0, or -1 with an exception.
 */
static int scope_mask(PyTypeObject *type, PyObject *args, uint64_t *mask)
{
    PyObject *cache, *omask = NULL;
    int cacheable = all_plain_str(args), rc;

    if (cacheable) {
        cache = PyDict_GetItemWithError(mask_cache, (PyObject *)type);   /* borrowed */
        if (cache != NULL)
            omask = PyDict_GetItemWithError(cache, args);               /* borrowed */
        if (omask == NULL && PyErr_Occurred())
            return -1;
        if (omask != NULL)
            return u64_arg(omask, mask);
    }
    if (PyObject_HasAttrString((PyObject *)type, "_parse"))
        omask = PyObject_CallMethod((PyObject *)type, "_parse", "(O)", args);
    else if (!PyArg_ParseTuple(args, "O:Scope", &omask))
        return -1;
    else
        Py_INCREF(omask);
    if (omask == NULL)
        return -1;
    rc = u64_arg(omask, mask);
    if (rc == 0 && cacheable)
        rc = cache_mask(type, args, omask);
    Py_DECREF(omask);
    return rc;
}

/* raised(*caps) */
static PyObject *scope_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    uint64_t mask;
    ScopeObject *self;
    allocfunc alloc;

    if (kwds != NULL && PyObject_Length(kwds) > 0) {
        PyErr_SetString(PyExc_TypeError, "raised() takes no keyword arguments");
        return NULL;
    }
    if (scope_mask(type, args, &mask) != 0)
        return NULL;
    alloc = (allocfunc)PyType_GetSlot(type, Py_tp_alloc);
    self = (ScopeObject *)alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->mask = mask;
    return (PyObject *)self;
}

/* raised.mask_of(caps): the mask raised(*caps) would hold, through the same cache (what
   raise_caps/lower_caps use, without making an object). */
static PyObject *scope_mask_of(PyObject *type, PyObject *caps)
{
    uint64_t mask;

    if (!PyTuple_Check(caps)) {
        PyErr_SetString(PyExc_TypeError, "mask_of() takes a tuple of capabilities");
        return NULL;
    }
    if (scope_mask((PyTypeObject *)type, caps, &mask) != 0)
        return NULL;
    return PyLong_FromUnsignedLongLong(mask);
}

static void scope_dealloc(PyObject *obj)
{
    ScopeObject *self = (ScopeObject *)obj;
    PyTypeObject *type = Py_TYPE(obj);
    freefunc tp_free = (freefunc)PyType_GetSlot(type, Py_tp_free);

    PyMem_Free(self->stack);
    Py_XDECREF(self->others);
    tp_free(obj);
    Py_DECREF(type);
}

/* Call the subclass's explanation, which raises; NULL either way. */
static PyObject *scope_failed(PyObject *self, const char *method, PyObject *args)
{
    PyObject *fn = PyObject_GetAttrString(self, method), *r;

    if (fn == NULL) {
        Py_XDECREF(args);
        return NULL;
    }
    r = args ? PyObject_CallObject(fn, args) : NULL;
    Py_DECREF(fn);
    Py_XDECREF(args);
    if (r != NULL) {
        Py_DECREF(r);
        PyErr_Format(PyExc_SystemError, "%s returned instead of raising", method);
    }
    return NULL;
}

static int scope_push(ScopeObject *self, unsigned long tid, uint64_t added)
{
    PyObject *key, *list, *item;
    int rc;

    if (!self->has_owner) {
        self->has_owner = 1;
        self->owner = tid;
    }
    if (tid == self->owner) {
        if (self->depth == self->size) {
            Py_ssize_t size = self->size ? self->size * 2 : 4;
            uint64_t *grown = PyMem_Realloc(self->stack, (size_t)size * sizeof *grown);

            if (grown == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            self->stack = grown;
            self->size = size;
        }
        self->stack[self->depth++] = added;
        return 0;
    }
    if (self->others == NULL && (self->others = PyDict_New()) == NULL)
        return -1;
    if ((key = PyLong_FromUnsignedLong(tid)) == NULL)
        return -1;
    list = PyDict_GetItemWithError(self->others, key);   /* borrowed */
    if (list == NULL) {
        if (PyErr_Occurred() || (list = PyList_New(0)) == NULL) {
            Py_DECREF(key);
            return -1;
        }
        rc = PyDict_SetItem(self->others, key, list);
        Py_DECREF(list);   /* the dict holds it */
        if (rc != 0) {
            Py_DECREF(key);
            return -1;
        }
    }
    Py_DECREF(key);
    if ((item = PyLong_FromUnsignedLongLong(added)) == NULL)
        return -1;
    rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc;
}

/* Pop this thread's innermost entry into *added: 0; -2 (RuntimeError) when this thread
   has no entry; -1 when Python failed (no memory): the entry is then unknown. */
static int scope_pop(ScopeObject *self, unsigned long tid, uint64_t *added)
{
    PyObject *key, *list, *item;
    Py_ssize_t n;

    if (self->has_owner && tid == self->owner) {
        if (self->depth > 0) {
            *added = self->stack[--self->depth];
            return 0;
        }
    } else if (self->others != NULL) {
        if ((key = PyLong_FromUnsignedLong(tid)) == NULL)
            return -1;
        list = PyDict_GetItemWithError(self->others, key);   /* borrowed */
        if (list == NULL && PyErr_Occurred()) {
            Py_DECREF(key);
            return -1;
        }
        if (list != NULL && (n = PyList_Size(list)) > 0) {
            item = PyList_GetItem(list, n - 1);   /* borrowed */
            *added = item ? PyLong_AsUnsignedLongLong(item) : 0;
            if (item == NULL || PyErr_Occurred() || PySequence_DelItem(list, n - 1) != 0 ||
                (n == 1 && PyDict_DelItem(self->others, key) != 0)) {
                Py_DECREF(key);
                return -1;
            }
            Py_DECREF(key);
            return 0;
        }
        Py_DECREF(key);
    }
    PyErr_SetString(PyExc_RuntimeError, "raised() left in a thread it was not entered in: "
                    "capabilities belong to a thread");
    return -2;
}

static PyObject *scope_enter(PyObject *obj, PyObject *unused)
{
    ScopeObject *self = (ScopeObject *)obj;
    uint64_t added;
    int rc;

    (void)unused;
    rc = eff_add(self->mask, &added);
    if (rc != 0)
        return scope_failed(obj, "_enter_failed", Py_BuildValue("(i)", -rc));
    if (scope_push(self, PyThread_get_thread_ident(), added) != 0) {
        /* Nowhere to remember it: take back what was just added. */
        (void)eff_remove(added);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *scope_exit(PyObject *obj, PyObject *args)
{
    ScopeObject *self = (ScopeObject *)obj;
    uint64_t added;
    int rc;

    (void)args;
    rc = scope_pop(self, PyThread_get_thread_ident(), &added);
    if (rc == -1) {
        /* This entry's bits are unknown: lower them all (fail towards less privilege). */
        (void)eff_remove(self->mask);
        return NULL;
    }
    if (rc != 0)
        return NULL;
    if (added == 0)
        Py_RETURN_NONE;
    rc = eff_remove(added);
    if (rc != 0)
        return scope_failed(obj, "_exit_failed",
                            Py_BuildValue("(Ki)", (unsigned long long)added, -rc));
    Py_RETURN_NONE;
}

static PyObject *scope_get_mask(PyObject *obj, void *closure)
{
    (void)closure;
    return PyLong_FromUnsignedLongLong(((ScopeObject *)obj)->mask);
}

static PyMethodDef scope_methods[] = {
    { "__enter__", scope_enter, METH_NOARGS, "add the caps to the effective set" },
    { "__exit__", scope_exit, METH_VARARGS, "remove the caps this entry added" },
    { "mask_of", scope_mask_of, METH_O | METH_CLASS,
      "mask_of(caps: tuple) -> the mask raised(*caps) would hold" },
    { NULL, NULL, 0, NULL },
};

static PyGetSetDef scope_getset[] = {
    { "_mask", scope_get_mask, NULL, "the capabilities held, as a bit mask", NULL },
    { NULL, NULL, NULL, NULL, NULL },
};

static PyType_Slot scope_slots[] = {
    { Py_tp_new, scope_new },
    { Py_tp_dealloc, scope_dealloc },
    { Py_tp_methods, scope_methods },
    { Py_tp_getset, scope_getset },
    { Py_tp_doc, "Scope(mask): the C half of ppy_py.raised" },
    { 0, NULL },
};

static PyType_Spec scope_spec = {
    "_ppy_sys.Scope", sizeof(ScopeObject), 0,
    Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, scope_slots,
};


/*
 * compile(source, filename): source (bytes, PEP 263 coding cookie honoured) compiled
 * for exec, as the builtin compile(source, filename, "exec", dont_inherit=True) does.
 * The builtin first builds every AST node type (its PyAST_Check), which costs ppy's
 * boot about 1 ms per launch under Debian's Python 3.11; the C API does not.
 */
static PyObject *sys_compile(PyObject *self, PyObject *args)
{
    PyObject *source, *filename;
    char *text, *name;
    Py_ssize_t len, name_len;

    (void)self;
    if (!PyArg_ParseTuple(args, "SS:compile", &source, &filename))
        return NULL;
    if (PyBytes_AsStringAndSize(source, &text, &len) != 0 ||
        PyBytes_AsStringAndSize(filename, &name, &name_len) != 0)
        return NULL;
    if ((Py_ssize_t)strlen(text) != len || (Py_ssize_t)strlen(name) != name_len) {
        PyErr_SetString(PyExc_SyntaxError, "source code cannot contain null bytes");
        return NULL;
    }
    return Py_CompileString(text, name, Py_file_input);
}


/* fully_sealed(fd): 1 if fd is a memfd sealed against writing, growing, shrinking and
   further sealing, 0 if not, or -errno. (ppy's boot checks the script copy with it
   without importing fcntl.) */
static PyObject *sys_fully_sealed(PyObject *self, PyObject *arg)
{
    const int want = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
    long fd = PyLong_AsLong(arg);
    int seals;

    (void)self;
    if (fd == -1 && PyErr_Occurred())
        return NULL;
    if (fd < 0 || fd > INT_MAX)
        return PyLong_FromLong(-EBADF);
    seals = fcntl((int)fd, F_GET_SEALS);
    if (seals < 0)
        return PyLong_FromLong(ppy_neg_errno());
    return PyLong_FromLong((seals & want) == want);
}

/* tty_nr(): this thread's controlling terminal (a device number; 0: none), read from
   /proc/thread-self/stat, or -errno (-EIO: not procfs, or a line that does not parse).
   ppy's boot checks with it that no controlling terminal came back after ppy dropped it. */
static PyObject *sys_tty_nr(PyObject *self, PyObject *noargs)
{
    char buf[1024], *close_paren;
    struct statfs sfs;
    ssize_t n, got = 0;
    int fd, tty, err = 0;

    (void)self;
    (void)noargs;
    fd = open("/proc/thread-self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return PyLong_FromLong(ppy_neg_errno());
    if (fstatfs(fd, &sfs) != 0)
        err = ppy_neg_errno();
    else if (sfs.f_type != PROC_SUPER_MAGIC)
        err = -EIO;
    /* The line is under 1 KB (the command name in it is raw, at most 15 bytes for a
       process's threads, and may hold spaces, ')' and newlines). */
    while (!err && (n = read(fd, buf + got, sizeof buf - 1 - (size_t)got)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            err = ppy_neg_errno();
        else if ((got += n) == (ssize_t)sizeof buf - 1)
            err = -EIO;
    }
    close(fd);
    if (err)
        return PyLong_FromLong(err);
    buf[got] = '\0';
    /* "pid (comm) state ppid pgrp session tty_nr ...": comm may hold ')', so the last. */
    close_paren = strrchr(buf, ')');
    if (close_paren == NULL || sscanf(close_paren + 1, " %*c %*d %*d %*d %d", &tty) != 1)
        return PyLong_FromLong(-EIO);
    /* A device number: never negative, so it cannot be mistaken for -errno. */
    return PyLong_FromLong(tty < 0 ? -EIO : tty);
}


/*
 * Code origin (origin.h): once ppy's boot calls origin_install(owner), every file the
 * process opens as code through io.open_code() (importlib's source and bytecode reads,
 * zipimport, runpy, site's .pth files) is checked against the rule first, in every
 * interpreter of the process: the hook is the runtime's, set once, and CPython refuses
 * to replace it. The file is opened once, on the physical path walked to, and the
 * descriptor must be the file that was checked. Extension modules are checked by the
 * boot through origin_check() before they are loaded.
 */
static uid_t origin_owner = (uid_t)-1;
static PyObject *untrusted_error;     /* UntrustedCodeError, of the main interpreter */
static unsigned long origin_refusals; /* how many loads were refused so far */
static char origin_last[sizeof ((struct ppy_origin *)0)->why + PATH_MAX * 4 + 160];

typedef PyObject *(*ppy_open_code_hook)(PyObject *path, void *data);
extern int PyFile_SetOpenCodeHook(ppy_open_code_hook hook, void *data);
typedef int (*ppy_audit_hook)(const char *event, PyObject *args, void *data);
extern int PySys_AddAuditHook(ppy_audit_hook hook, void *data);

/* Once the rule is installed, no subinterpreter: the open_code hook is the runtime's, but
   the checks of extension modules and of bytecode without source are the main
   interpreter's importlib's, which a new interpreter would not have. */
static int origin_audit(const char *event, PyObject *args, void *data)
{
    (void)args;
    (void)data;
    if (origin_owner == (uid_t)-1 || strcmp(event, "cpython.PyInterpreterState_New") != 0)
        return 0;
    {
        /* The module that creates it may replace this exception with one of its own
           ("interpreter creation failed"): the reason goes to stderr too. */
        static const char why[] = "ppy: a ppy script may not create a subinterpreter: ppy "
            "checks where extension modules and bytecode files come from in the main "
            "interpreter only";
        (void)!write(2, why, sizeof why - 1);
        (void)!write(2, "\n", 1);
        PyErr_SetString(PyExc_PermissionError, why);
    }
    return -1;
}

static int in_main_interpreter(void)
{
    return PyInterpreterState_GetID(PyInterpreterState_Get()) == 0;
}

/* Raise the refusal for PATH: UntrustedCodeError (an ImportError, with .path) in the main
   interpreter, a plain ImportError in another (its classes are its own). NULL. */
static PyObject *origin_refused(PyObject *path, const struct ppy_origin *o)
{
    PyObject *type = in_main_interpreter() && untrusted_error ? untrusted_error
                                                               : PyExc_ImportError;
    PyObject *msg, *args, *kw, *exc, *bytes = NULL;
    char shown[PATH_MAX * 4 + 1];

    if (!PyUnicode_FSConverter(path, &bytes))
        return NULL;
    ppy_origin_escape(PyBytes_AsString(bytes), shown, sizeof shown);
    Py_DECREF(bytes);
    origin_refusals++;
    snprintf(origin_last, sizeof origin_last, "refusing to load %s: %s; only root and uid %u "
             "(the script's owner) may be able to write code that a ppy script runs", shown,
             o->why, (unsigned)o->owner);
    msg = PyUnicode_FromString(origin_last);
    if (msg == NULL)
        return NULL;
    args = PyTuple_Pack(1, msg);
    kw = Py_BuildValue("{sO}", "path", path);
    exc = args && kw ? PyObject_Call(type, args, kw) : NULL;
    Py_DECREF(msg);
    Py_XDECREF(args);
    Py_XDECREF(kw);
    if (exc != NULL) {
        PyErr_SetObject(type, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* Walk PATH (str or bytes) under the rule; 0 with o filled, or -1 with an exception. */
static int origin_walk_obj(PyObject *path, int want_dir, struct ppy_origin *o)
{
    PyObject *bytes = NULL;
    int rc;

    if (origin_owner == (uid_t)-1) {
        PyErr_SetString(PyExc_RuntimeError, "the code-origin rule is not installed");
        return -1;
    }
    if (!PyUnicode_FSConverter(path, &bytes))
        return -1;
    o->owner = origin_owner;
    rc = ppy_origin_walk(o, PyBytes_AsString(bytes), want_dir);
    Py_DECREF(bytes);
    if (rc == PPY_ORIGIN_UNTRUSTED) {
        origin_refused(path, o);
        return -1;
    }
    if (rc != 0) {
        errno = rc;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        return -1;
    }
    return 0;
}

/* Open O->real, what ppy_origin_walk reached, read-only (FLAGS added) and check that the
   descriptor is the file that was walked to: 0 with *fd, an errno of open(2), or
   PPY_ORIGIN_UNTRUSTED (o->why says it changed). */
static int origin_reopen(struct ppy_origin *o, int flags, int *fd)
{
    struct stat st;

    *fd = open(o->real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | flags);
    if (*fd < 0)
        return errno;
    if (fstat(*fd, &st) != 0 || st.st_dev != o->st.st_dev || st.st_ino != o->st.st_ino) {
        close(*fd);
        return ppy_origin_refuse(o, "", o->real, "changed while it was checked");
    }
    return 0;
}

/* The open_code hook: the checked file, open for reading (binary), or an exception. */
static PyObject *origin_open_code(PyObject *path, void *data)
{
    struct ppy_origin o;
    struct stat st;
    int fd, rc;

    (void)data;
    /* A file that does not exist is "not found" before it is anything else: importlib
       tries the bytecode first and then reads the source, and the refusal should name
       the source file, not a .pyc that was never there. */
    {
        PyObject *bytes = NULL;
        int missing;
        if (!PyUnicode_FSConverter(path, &bytes))
            return NULL;
        missing = lstat(PyBytes_AsString(bytes), &st) != 0 && errno == ENOENT;
        Py_DECREF(bytes);
        if (missing) {
            errno = ENOENT;
            return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        }
    }
    if (origin_walk_obj(path, 0, &o) != 0)
        return NULL;
    rc = origin_reopen(&o, 0, &fd);
    if (rc == PPY_ORIGIN_UNTRUSTED)
        return origin_refused(path, &o);
    if (rc != 0) {
        errno = rc;
        return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
    }
    return PyFile_FromFd(fd, NULL, "rb", -1, NULL, NULL, NULL, 1);
}

/* origin_install(owner): from now on, code must come from root or OWNER. Once. */
static PyObject *sys_origin_install(PyObject *self, PyObject *arg)
{
    unsigned long owner = PyLong_AsUnsignedLong(arg);

    (void)self;
    if (owner == (unsigned long)-1 && PyErr_Occurred())
        return NULL;
    if (owner >= (unsigned long)(uid_t)-1) {
        PyErr_SetString(PyExc_ValueError, "origin_install: not a uid");
        return NULL;
    }
    if (origin_owner != (uid_t)-1) {
        PyErr_SetString(PyExc_RuntimeError, "the code-origin rule is already installed");
        return NULL;
    }
    if (!in_main_interpreter()) {
        PyErr_SetString(PyExc_RuntimeError, "origin_install: only from the main interpreter");
        return NULL;
    }
    origin_owner = (uid_t)owner;
    if (PyFile_SetOpenCodeHook(origin_open_code, NULL) != 0) {
        origin_owner = (uid_t)-1;
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "an open_code hook is already installed");
        return NULL;
    }
    if (PySys_AddAuditHook(origin_audit, NULL) != 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "cannot add the runtime audit hook");
        return NULL;   /* the rule stays installed: the caller stops the launch */
    }
    Py_RETURN_NONE;
}

/* origin_check(path, dir=False): the physical path walked to, if PATH obeys the rule;
   else UntrustedCodeError (or OSError for a path that leads nowhere). */
static PyObject *sys_origin_check(PyObject *self, PyObject *args)
{
    PyObject *path;
    int want_dir = 0;
    struct ppy_origin o;

    (void)self;
    if (!PyArg_ParseTuple(args, "O|p:origin_check", &path, &want_dir))
        return NULL;
    if (origin_walk_obj(path, want_dir, &o) != 0)
        return NULL;
    return PyUnicode_DecodeFSDefault(o.real);
}

/*
 * origin_open(path, owner, dir=False): a read-only descriptor on PATH, a regular file (or
 * with DIR a directory) that only root or OWNER can have written (the rule for code: the file, every directory above it, every
 * symlink on the way), checked to be the file that was walked to. PermissionError naming
 * the reason otherwise. For what a ppy script acts on, which must be as trustworthy as its
 * code (ppy_py.trusted_config). Needs no origin_install.
 */
static PyObject *sys_origin_open(PyObject *self, PyObject *args)
{
    PyObject *path, *bytes = NULL;
    unsigned long owner;
    struct ppy_origin o;
    int rc, fd, want_dir = 0;

    (void)self;
    if (!PyArg_ParseTuple(args, "Ok|p:origin_open", &path, &owner, &want_dir))
        return NULL;
    if (owner >= (unsigned long)(uid_t)-1) {
        PyErr_SetString(PyExc_ValueError, "origin_open: not a uid");
        return NULL;
    }
    if (!PyUnicode_FSConverter(path, &bytes))
        return NULL;
    o.owner = (uid_t)owner;
    rc = ppy_origin_walk(&o, PyBytes_AsString(bytes), want_dir);
    Py_DECREF(bytes);
    if (rc == 0 && (rc = origin_reopen(&o, want_dir ? O_DIRECTORY : 0, &fd)) == 0)
        return PyLong_FromLong(fd);
    if (rc == PPY_ORIGIN_UNTRUSTED) {
        PyObject *shown = PyUnicode_FromFormat("%s; only root and uid %lu may be able to "
                                               "write it", o.why, owner);
        if (shown != NULL) {
            PyObject *exc = PyObject_CallFunction(PyExc_PermissionError, "iOO", EACCES,
                                                  shown, path);
            if (exc != NULL) {
                PyErr_SetObject(PyExc_PermissionError, exc);
                Py_DECREF(exc);
            }
            Py_DECREF(shown);
        }
        return NULL;
    }
    errno = rc;
    return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
}

/* origin_owner(): the owner the rule trusts besides root, or -1 when not installed. */
static PyObject *sys_origin_owner(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyLong_FromLong(origin_owner == (uid_t)-1 ? -1L : (long)origin_owner);
}


/* origin_refusals(): (how many loads the rule has refused since origin_install, the last
   refusal's message). ppy's boot compares it around site.main(), whose .pth handling
   prints and swallows exceptions. */
static PyObject *sys_origin_refusals(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return Py_BuildValue("(ks)", origin_refusals, origin_last);
}


/*
 * The exec guard for the other interpreters of the process. ppy_py.hardening.forbid_exec
 * adds a sys.addaudithook() hook, which only its own (main) interpreter calls; this one is
 * the runtime's (PySys_AddAuditHook), called in every interpreter, and acts only outside
 * the main one: "raise" refuses the events that start a program with PermissionError, and
 * the import of _posixsubprocess (whose fork_exec, used by subprocess and
 * multiprocessing, raises no event of its own); "log" writes one line to stderr and to
 * syslog (LOG_AUTHPRIV) and lets it go ahead.
 */
static int guard_mode;   /* 0: none, 1: log, 2: raise */

static const char *const guard_events[] = {
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "pty.spawn",
    NULL,
};

static int guard_hook(const char *event, PyObject *args, void *data)
{
    int matched = 0, is_import = strcmp(event, "import") == 0;

    (void)data;
    if (guard_mode == 0 || in_main_interpreter())
        return 0;
    for (const char *const *e = guard_events; *e && !matched; e++)
        matched = strcmp(event, *e) == 0;
    if (is_import && guard_mode == 2 && args && PyTuple_Check(args) && PyTuple_Size(args) > 0) {
        PyObject *name = PyTuple_GetItem(args, 0);   /* borrowed */
        matched = name && PyUnicode_Check(name) &&
                  PyUnicode_CompareWithASCIIString(name, "_posixsubprocess") == 0;
    }
    if (!matched)
        return 0;
    if (guard_mode == 2) {
        PyErr_Format(PyExc_PermissionError, "ppy_py.hardening: process creation refused in a "
                     "subinterpreter: %s%s", is_import ? "import " : "",
                     is_import ? "_posixsubprocess" : event);
        return -1;
    }
    {
        char line[256];
        int n = snprintf(line, sizeof line, "ppy_py.hardening: process creation in a "
                         "subinterpreter: %s (pid %ld)", event, (long)getpid());
        if (n > 0 && (size_t)n < sizeof line - 1) {
            line[n] = '\n';
            (void)!write(2, line, (size_t)n + 1);
            line[n] = '\0';
        }
        syslog(LOG_AUTHPRIV | LOG_WARNING, "%s", line);
    }
    return 0;
}

/* guard_interpreters(mode): "log" or "raise" (stricter only: "log" after "raise" stays
   "raise"). True if the guard became stricter, False if it already was at least MODE. */
static PyObject *sys_guard_interpreters(PyObject *self, PyObject *arg)
{
    int want = !PyUnicode_Check(arg) ? 0
               : PyUnicode_CompareWithASCIIString(arg, "raise") == 0 ? 2
               : PyUnicode_CompareWithASCIIString(arg, "log") == 0 ? 1 : 0;

    (void)self;
    if (want == 0) {
        PyErr_SetString(PyExc_ValueError, "guard_interpreters: mode must be 'raise' or 'log'");
        return NULL;
    }
    if (guard_mode >= want)
        Py_RETURN_FALSE;
    if (guard_mode == 0 && PySys_AddAuditHook(guard_hook, NULL) != 0) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "cannot add the runtime audit hook");
        return NULL;
    }
    guard_mode = want;
    Py_RETURN_TRUE;
}

static PyMethodDef sys_methods[] = {
    { "eff_raise", sys_eff_raise, METH_O,
      "eff_raise(mask) -> bits added, or -errno (-EPERM: not all permitted)" },
    { "eff_lower", sys_eff_lower, METH_O, "eff_lower(mask) -> 0, or -errno" },
    { "capget", sys_capget, METH_NOARGS,
      "capget() -> (effective, permitted, inheritable), or -errno" },
    { "capset", sys_capset, METH_VARARGS,
      "capset(effective, permitted, inheritable) -> 0, or -errno" },
    { "compile", sys_compile, METH_VARARGS,
      "compile(source: bytes, filename: bytes) -> code, as compile(..., 'exec', dont_inherit=True)" },
    { "fully_sealed", sys_fully_sealed, METH_O,
      "fully_sealed(fd) -> 1 (sealed against write/grow/shrink/seal), 0, or -errno" },
    { "tty_nr", sys_tty_nr, METH_NOARGS,
      "tty_nr() -> this thread's controlling terminal (0: none), or -errno" },
    { "prctl", sys_prctl, METH_VARARGS,
      "prctl(option, arg2=0, arg3=0, arg4=0, arg5=0) -> result, or -errno" },
    { "origin_install", sys_origin_install, METH_O,
      "origin_install(owner) -> None: code must now come from root or OWNER (once)" },
    { "origin_check", sys_origin_check, METH_VARARGS,
      "origin_check(path, dir=False) -> physical path, or UntrustedCodeError/OSError" },
    { "origin_open", sys_origin_open, METH_VARARGS,
      "origin_open(path, owner, dir=False) -> fd of PATH, which only root or OWNER can have "
      "written" },
    { "origin_owner", sys_origin_owner, METH_NOARGS,
      "origin_owner() -> the trusted owner, or -1 before origin_install" },
    { "origin_refusals", sys_origin_refusals, METH_NOARGS,
      "origin_refusals() -> (how many loads the rule refused so far, the last message)" },
    { "guard_interpreters", sys_guard_interpreters, METH_O,
      "guard_interpreters('raise'|'log') -> True if stricter now: the exec guard for "
      "interpreters other than the main one" },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef sys_module = {
    PyModuleDef_HEAD_INIT, "_ppy_sys",
    "capget/capset/prctl for ppy_py's hot path and ppy's boot (see sysmodule.c)",
    0, sys_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ppy_sys(void)
{
    PyObject *m = PyModule_Create(&sys_module), *scope;

    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "PR_CAP_AMBIENT", PR_CAP_AMBIENT) != 0 ||
        PyModule_AddIntConstant(m, "PR_CAP_AMBIENT_CLEAR_ALL", PR_CAP_AMBIENT_CLEAR_ALL) != 0 ||
        PyModule_AddIntConstant(m, "PR_CAP_AMBIENT_IS_SET", PR_CAP_AMBIENT_IS_SET) != 0 ||
        PyModule_AddIntConstant(m, "PR_GET_DUMPABLE", PR_GET_DUMPABLE) != 0 ||
        PyModule_AddIntConstant(m, "PR_SET_DUMPABLE", PR_SET_DUMPABLE) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    if (mask_cache == NULL && (mask_cache = PyDict_New()) == NULL) {
        Py_DECREF(m);
        return NULL;
    }
    scope = PyType_FromSpec(&scope_spec);
    if (scope == NULL || PyModule_AddObject(m, "Scope", scope) != 0) {
        Py_XDECREF(scope);
        Py_DECREF(m);
        return NULL;
    }
    /* The main interpreter's UntrustedCodeError is the one the hook raises there (made
       once, kept in a static); another interpreter's import gets a class of its own. */
    {
        PyObject *err;

        if (in_main_interpreter() && untrusted_error != NULL) {
            err = untrusted_error;
            Py_INCREF(err);
        } else {
            err = PyErr_NewExceptionWithDoc(
                "ppy_py.UntrustedCodeError",
                "A module, .pth file or extension that someone other than root or the "
                "script's owner could have written: ppy refused to load it.",
                PyExc_ImportError, NULL);
            if (err == NULL) {
                Py_DECREF(m);
                return NULL;
            }
            if (in_main_interpreter()) {
                Py_INCREF(err);
                untrusted_error = err;
            }
        }
        if (PyModule_AddObject(m, "UntrustedCodeError", err) != 0) {
            Py_DECREF(err);
            Py_DECREF(m);
            return NULL;
        }
    }
    return m;
}
