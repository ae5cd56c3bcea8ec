/*
 * ppy_py._ppy_prctl: prctl(2) for ppy_py's process options (ppy_py/_options.py,
 * _process.py) and the python-prctl compatibility layer (ppy_py/compat), as a
 * plain CPython extension on the stable ABI (one .abi3.so for every CPython >= 3.8).
 *
 * Why C and not the cffi module: a cffi call releases and retakes the GIL and saves
 * errno around the call (about 0.1 us more than a plain extension call, measured here:
 * 250 ns against 158 ns for PR_GET_DUMPABLE), and a verified setter needs two prctl
 * calls. Each function here is one whole operation: a setter sets and reads the value
 * back from the kernel in the same C call, so ppy_py's checked setters cost one system
 * call more than python-prctl's unchecked ones and no Python work more.
 *
 * Contract, as in _ppy_sys: every function returns its result (>= 0) or -errno; a setter
 * whose read-back failed returns the tuple (errno,) instead. Only a bad argument (not an
 * int, out of range) raises, before any system call. The GIL is kept: each call is one
 * or two non-blocking system calls.
 */
#define Py_LIMITED_API 0x03080000
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/prctl.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>

#include "prctl_compat.h"

/* A prctl that answers with its value (PR_GET_TIMERSLACK's is an unsigned long: glibc's
   prctl() would cut it to an int), as Python's int; -1 with errno on failure. */
static long prctl_value(int option, unsigned long a2, unsigned long a3)
{
    return syscall(SYS_prctl, option, a2, a3, 0UL, 0UL);
}

static PyObject *value_obj(long rc)
{
    return PyLong_FromUnsignedLong((unsigned long)rc);
}

static PyObject *neg_errno(void)
{
    return PyLong_FromLong(errno > 0 ? -errno : -EIO);
}

/* A prctl argument: an int in 0..ULONG_MAX. */
static int ulong_arg(PyObject *o, unsigned long *out)
{
    unsigned long v = PyLong_AsUnsignedLong(o);

    if (v == (unsigned long)-1 && PyErr_Occurred())
        return -1;
    *out = v;
    return 0;
}

static int option_arg(PyObject *o, int *out)
{
    long v = PyLong_AsLong(o);

    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < INT_MIN || v > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "prctl option out of range");
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* call(option, arg2=0, arg3=0, arg4=0, arg5=0): the result, or -errno. */
static PyObject *m_call(PyObject *self, PyObject *args)
{
    PyObject *o[4] = { NULL, NULL, NULL, NULL };
    unsigned long a[4] = { 0, 0, 0, 0 };
    int option, rc;

    (void)self;
    if (!PyArg_ParseTuple(args, "i|OOOO:call", &option, &o[0], &o[1], &o[2], &o[3]))
        return NULL;
    for (int k = 0; k < 4; k++)
        if (o[k] && ulong_arg(o[k], &a[k]) != 0)
            return NULL;
    rc = prctl(option, a[0], a[1], a[2], a[3]);
    return rc < 0 ? neg_errno() : PyLong_FromLong(rc);
}

/* get(option): prctl(option, 0, 0, 0, 0) for the options that return their value. */
static PyObject *m_get(PyObject *self, PyObject *arg)
{
    int option;
    long rc;

    (void)self;
    if (option_arg(arg, &option) != 0)
        return NULL;
    rc = prctl_value(option, 0UL, 0UL);
    return rc == -1 ? neg_errno() : value_obj(rc);
}

/* get_int(option): the int the kernel stores through arg2 (PR_GET_PDEATHSIG, _TSC,
   _UNALIGN, _FPEXC, _FPEMU, _ENDIAN, _CHILD_SUBREAPER), or -errno. An unsigned int
   store (PR_GET_TSC) reads the same for every value the kernel defines. */
static PyObject *m_get_int(PyObject *self, PyObject *arg)
{
    int option, value = 0;

    (void)self;
    if (option_arg(arg, &option) != 0)
        return NULL;
    if (prctl(option, (unsigned long)&value, 0UL, 0UL, 0UL) < 0)
        return neg_errno();
    return PyLong_FromLong(value);
}

/* get_ulong(option): the pointer-sized value stored through arg2 (PR_GET_TID_ADDRESS). */
static PyObject *m_get_ulong(PyObject *self, PyObject *arg)
{
    int option;
    unsigned long value = 0;

    (void)self;
    if (option_arg(arg, &option) != 0)
        return NULL;
    if (prctl(option, (unsigned long)&value, 0UL, 0UL, 0UL) < 0)
        return neg_errno();
    return PyLong_FromUnsignedLong(value);
}

/* sched_core_cookie(): PR_SCHED_CORE_GET of this thread group: its core-scheduling
   cookie (0: none), which the kernel stores through arg5, or -errno. */
static PyObject *m_sched_core_cookie(PyObject *self, PyObject *unused)
{
    uint64_t cookie = 0;

    (void)self;
    (void)unused;
    if (prctl(PR_SCHED_CORE, PR_SCHED_CORE_GET, 0UL, (unsigned long)PR_SCHED_CORE_SCOPE_THREAD_GROUP,
              (unsigned long)&cookie) < 0)
        return neg_errno();
    return PyLong_FromUnsignedLongLong(cookie);
}

static PyObject *readback_failed(void)
{
    return Py_BuildValue("(i)", errno > 0 ? errno : EIO);
}

/* Every checked setter: prctl(set_option, value, arg3, 0, 0), then GET_OPTION's value,
   prctl's result or (THROUGH_POINTER) the int the kernel stores through arg2; the value
   read back, -errno when the set failed, (errno,) when the read-back failed. */
static PyObject *set_read_back(int set_option, unsigned long value, unsigned long arg3,
                               int get_option, int through_pointer)
{
    long rc;
    int got = 0;

    if (prctl(set_option, value, arg3, 0UL, 0UL) < 0)
        return neg_errno();
    if (through_pointer) {
        if (prctl(get_option, (unsigned long)&got, 0UL, 0UL, 0UL) < 0)
            return readback_failed();
        return PyLong_FromLong(got);
    }
    rc = prctl_value(get_option, 0UL, 0UL);
    return rc == -1 ? readback_failed() : value_obj(rc);
}

/*
 * set_get(set_option, value, get_option[, arg3]): prctl(set_option, value, arg3, 0, 0),
 * then prctl(get_option, 0, 0, 0, 0); the value read back, -errno when the set failed,
 * (errno,) when the read-back failed.
 */
static PyObject *m_set_get(PyObject *self, PyObject *args)
{
    PyObject *ovalue, *oarg3 = NULL;
    unsigned long value, arg3 = 0;
    int set_option, get_option;

    (void)self;
    if (!PyArg_ParseTuple(args, "iOi|O:set_get", &set_option, &ovalue, &get_option, &oarg3))
        return NULL;
    if (ulong_arg(ovalue, &value) != 0 || (oarg3 && ulong_arg(oarg3, &arg3) != 0))
        return NULL;
    return set_read_back(set_option, value, arg3, get_option, 0);
}

/* set_get_int(set_option, value, get_option): as set_get, reading back through an int
   pointer (PR_GET_PDEATHSIG, PR_GET_TSC, ...). */
static PyObject *m_set_get_int(PyObject *self, PyObject *args)
{
    PyObject *ovalue;
    unsigned long value;
    int set_option, get_option;

    (void)self;
    if (!PyArg_ParseTuple(args, "iOi:set_get_int", &set_option, &ovalue, &get_option))
        return NULL;
    if (ulong_arg(ovalue, &value) != 0)
        return NULL;
    return set_read_back(set_option, value, 0UL, get_option, 1);
}

/* get_name(): the calling thread's name (PR_GET_NAME) as str (the filesystem encoding,
   surrogateescape: any bytes come back), or -errno. */
static PyObject *m_get_name(PyObject *self, PyObject *unused)
{
    char name[17];

    (void)self;
    (void)unused;
    memset(name, 0, sizeof name);
    if (prctl(PR_GET_NAME, (unsigned long)name, 0UL, 0UL, 0UL) < 0)
        return neg_errno();
    return PyUnicode_DecodeFSDefault(name);
}

/* set_name_only(name: str): PR_SET_NAME with the UTF-8 of NAME cut to 16 bytes (the
   kernel keeps 15), as python-prctl does: None, or -errno. */
static PyObject *m_set_name_only(PyObject *self, PyObject *arg)
{
    PyObject *utf8 = PyUnicode_AsUTF8String(arg);
    char buf[17];
    char *data;
    Py_ssize_t len;
    int rc;

    (void)self;
    if (utf8 == NULL || PyBytes_AsStringAndSize(utf8, &data, &len) != 0) {
        Py_XDECREF(utf8);
        return NULL;
    }
    if ((Py_ssize_t)strlen(data) != len) {
        Py_DECREF(utf8);
        PyErr_SetString(PyExc_ValueError, "embedded null character");
        return NULL;
    }
    memset(buf, 0, sizeof buf);
    memcpy(buf, data, len < 16 ? (size_t)len : 16);
    Py_DECREF(utf8);
    rc = prctl(PR_SET_NAME, (unsigned long)buf, 0UL, 0UL, 0UL);
    if (rc < 0)
        return neg_errno();
    Py_RETURN_NONE;
}

/* set_name(name: bytes): PR_SET_NAME (the kernel keeps 15 bytes), then PR_GET_NAME; the
   name read back, -errno, or (errno,). A NUL inside the name is refused (ValueError). */
static PyObject *m_set_name(PyObject *self, PyObject *arg)
{
    char buf[16], got[17];
    char *data;
    Py_ssize_t len;

    (void)self;
    if (PyBytes_AsStringAndSize(arg, &data, &len) != 0)
        return NULL;
    if ((Py_ssize_t)strlen(data) != len) {
        PyErr_SetString(PyExc_ValueError, "a thread name cannot contain a NUL byte");
        return NULL;
    }
    memset(buf, 0, sizeof buf);
    memcpy(buf, data, len < 15 ? (size_t)len : 15);
    if (prctl(PR_SET_NAME, (unsigned long)buf, 0UL, 0UL, 0UL) < 0)
        return neg_errno();
    memset(got, 0, sizeof got);
    if (prctl(PR_GET_NAME, (unsigned long)got, 0UL, 0UL, 0UL) < 0)
        return readback_failed();
    return PyBytes_FromString(got);
}

/* set_vma_name(start, length, name: bytes or None): PR_SET_VMA_ANON_NAME (None clears
   the name): 0, or -errno. */
static PyObject *m_set_vma_name(PyObject *self, PyObject *args)
{
    PyObject *ostart, *olen, *oname;
    unsigned long start, len;
    char *name = NULL;
    Py_ssize_t name_len;

    (void)self;
    if (!PyArg_ParseTuple(args, "OOO:set_vma_name", &ostart, &olen, &oname))
        return NULL;
    if (ulong_arg(ostart, &start) != 0 || ulong_arg(olen, &len) != 0)
        return NULL;
    if (oname != Py_None) {
        if (PyBytes_AsStringAndSize(oname, &name, &name_len) != 0)
            return NULL;
        if ((Py_ssize_t)strlen(name) != name_len) {
            PyErr_SetString(PyExc_ValueError, "a mapping name cannot contain a NUL byte");
            return NULL;
        }
    }
    if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, start, len, (unsigned long)name) < 0)
        return neg_errno();
    return PyLong_FromLong(0);
}

/*
 * peek(address, size): SIZE bytes of this process's memory at ADDRESS, read with
 * process_vm_readv(2), so the kernel checks the address (EFAULT, never a crash) and, as
 * for any thread of the same process, neither dumpable nor the file modes of /proc
 * matter. Bytes, or -errno.
 */
static PyObject *m_peek(PyObject *self, PyObject *args)
{
    PyObject *oaddr, *osize, *out;
    unsigned long addr, size;
    struct iovec local, remote;
    char *buf;
    ssize_t n;

    (void)self;
    if (!PyArg_ParseTuple(args, "OO:peek", &oaddr, &osize))
        return NULL;
    if (ulong_arg(oaddr, &addr) != 0 || ulong_arg(osize, &size) != 0)
        return NULL;
    if (size > (1UL << 24)) {
        PyErr_SetString(PyExc_ValueError, "peek: at most 16 MiB");
        return NULL;
    }
    buf = PyMem_Malloc(size ? size : 1);
    if (buf == NULL)
        return PyErr_NoMemory();
    local.iov_base = buf;
    local.iov_len = size;
    remote.iov_base = (void *)addr;
    remote.iov_len = size;
    n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (n < 0)
        out = neg_errno();
    else
        out = PyBytes_FromStringAndSize(buf, n);
    PyMem_Free(buf);
    return out;
}


/*
 * set_title(title: str | bytes): the process title (ppy_py.set_proctitle). The argument
 * area is found once by the finder that ppy_py registers (set_title_finder), which checks
 * it and returns (address, size) or raises; kept here after that. A str is encoded with
 * the filesystem encoding. TypeError, or ValueError for a NUL, before anything is written.
 */
static PyObject *title_finder;
static unsigned long title_addr, title_size;

static PyObject *m_set_title_finder(PyObject *self, PyObject *finder)
{
    PyObject *old = title_finder;

    (void)self;
    Py_INCREF(finder);
    title_finder = finder;
    Py_XDECREF(old);
    Py_RETURN_NONE;
}

static PyObject *m_set_title(PyObject *self, PyObject *title)
{
    PyObject *bytes, *area;
    char *data;
    Py_ssize_t len;
    size_t n;

    (void)self;
    if (PyUnicode_Check(title))
        bytes = PyUnicode_EncodeFSDefault(title);
    else if (PyBytes_Check(title)) {
        bytes = title;
        Py_INCREF(bytes);
    } else {
        PyErr_SetString(PyExc_TypeError, "set_proctitle() takes str or bytes");
        return NULL;
    }
    if (bytes == NULL || PyBytes_AsStringAndSize(bytes, &data, &len) != 0) {
        Py_XDECREF(bytes);
        return NULL;
    }
    if ((Py_ssize_t)strlen(data) != len) {
        Py_DECREF(bytes);
        PyErr_SetString(PyExc_ValueError, "a process title cannot contain a NUL byte");
        return NULL;
    }
    if (title_size == 0) {
        unsigned long addr, size;

        if (title_finder == NULL) {
            Py_DECREF(bytes);
            PyErr_SetString(PyExc_RuntimeError, "set_title: no finder registered");
            return NULL;
        }
        area = PyObject_CallObject(title_finder, NULL);
        if (area == NULL || !PyArg_ParseTuple(area, "kk", &addr, &size) || size == 0) {
            if (area != NULL && !PyErr_Occurred())
                PyErr_SetString(PyExc_RuntimeError, "set_title: the finder gave no area");
            Py_XDECREF(area);
            Py_DECREF(bytes);
            return NULL;
        }
        Py_DECREF(area);
        title_addr = addr;
        title_size = size;
    }
    n = (size_t)len < title_size - 1 ? (size_t)len : title_size - 1;
    memcpy((char *)title_addr, data, n);
    memset((char *)title_addr + n, 0, title_size - n);
    Py_DECREF(bytes);
    Py_RETURN_NONE;
}

/*
 * Bound calls: the cheapest way CPython calls C (METH_O, no argument tuple), for the
 * setters of ppy_py and compat. bind(option[, arg2]) returns a builtin f(value) that calls
 * prctl(option, value, 0, 0, 0), or prctl(option, arg2, value, 0, 0), and returns the
 * result or -errno. bind_checked(set_option, get_option, through_pointer) returns f(value)
 * that sets and reads the value back (directly, or through an int pointer): the value
 * read, -errno, or (errno,) when the read-back failed. self is a tuple of those ints.
 */
static int bound_ints(PyObject *self, long *out, Py_ssize_t n)
{
    for (Py_ssize_t k = 0; k < n; k++) {
        out[k] = PyLong_AsLong(PyTuple_GetItem(self, k));
        if (out[k] == -1 && PyErr_Occurred())
            return -1;
    }
    return 0;
}

static PyObject *bound_call(PyObject *self, PyObject *arg)
{
    long opt[2] = { 0, 0 };
    unsigned long value;
    Py_ssize_t n = PyTuple_Size(self);
    int rc;

    if (bound_ints(self, opt, n) != 0 || ulong_arg(arg, &value) != 0)
        return NULL;
    if (n == 1)
        rc = prctl((int)opt[0], value, 0UL, 0UL, 0UL);
    else
        rc = prctl((int)opt[0], (unsigned long)opt[1], value, 0UL, 0UL);
    return rc < 0 ? neg_errno() : PyLong_FromLong(rc);
}

static PyObject *bound_checked(PyObject *self, PyObject *arg)
{
    long opt[3];
    unsigned long value;

    if (bound_ints(self, opt, 3) != 0 || ulong_arg(arg, &value) != 0)
        return NULL;
    return set_read_back((int)opt[0], value, 0UL, (int)opt[1], opt[2] != 0);
}

static PyMethodDef bound_call_def = {
    "prctl", bound_call, METH_O, "f(value) -> prctl's result, or -errno (see bind)" };
static PyMethodDef bound_checked_def = {
    "prctl_checked", bound_checked, METH_O,
    "f(value) -> the value read back, -errno, or (errno,) (see bind_checked)" };

static PyObject *m_bind(PyObject *self, PyObject *args)
{
    PyObject *bound, *out;
    long option, arg2 = 0;
    int has_arg2 = PyTuple_Size(args) > 1;

    (void)self;
    if (!PyArg_ParseTuple(args, "l|l:bind", &option, &arg2))
        return NULL;
    bound = has_arg2 ? Py_BuildValue("(ll)", option, arg2) : Py_BuildValue("(l)", option);
    if (bound == NULL)
        return NULL;
    out = PyCFunction_NewEx(&bound_call_def, bound, NULL);
    Py_DECREF(bound);
    return out;
}

static PyObject *m_bind_checked(PyObject *self, PyObject *args)
{
    PyObject *bound, *out;
    long set_option, get_option;
    int through_pointer;

    (void)self;
    if (!PyArg_ParseTuple(args, "llp:bind_checked", &set_option, &get_option, &through_pointer))
        return NULL;
    bound = Py_BuildValue("(lli)", set_option, get_option, through_pointer);
    if (bound == NULL)
        return NULL;
    out = PyCFunction_NewEx(&bound_checked_def, bound, NULL);
    Py_DECREF(bound);
    return out;
}

static PyMethodDef methods[] = {
    { "call", m_call, METH_VARARGS,
      "call(option, arg2=0, arg3=0, arg4=0, arg5=0) -> result, or -errno" },
    { "get", m_get, METH_O, "get(option) -> prctl(option, 0, 0, 0, 0), or -errno" },
    { "get_int", m_get_int, METH_O, "get_int(option) -> the int stored through arg2, or -errno" },
    { "get_ulong", m_get_ulong, METH_O,
      "get_ulong(option) -> the unsigned long stored through arg2, or -errno" },
    { "set_get", m_set_get, METH_VARARGS,
      "set_get(set_option, value, get_option[, arg3]) -> value read back, -errno, or (errno,)" },
    { "set_get_int", m_set_get_int, METH_VARARGS,
      "set_get_int(set_option, value, get_option) -> int read back, -errno, or (errno,)" },
    { "get_name", m_get_name, METH_NOARGS, "get_name() -> str, or -errno" },
    { "sched_core_cookie", m_sched_core_cookie, METH_NOARGS,
      "sched_core_cookie() -> this thread group's core-scheduling cookie, or -errno" },
    { "bind", m_bind, METH_VARARGS,
      "bind(option[, arg2]) -> f(value): prctl(option, [arg2,] value), result or -errno" },
    { "bind_checked", m_bind_checked, METH_VARARGS,
      "bind_checked(set_option, get_option, through_pointer) -> f(value): set, read back" },
    { "set_name", m_set_name, METH_O, "set_name(bytes) -> name read back, -errno, or (errno,)" },
    { "set_name_only", m_set_name_only, METH_O,
      "set_name_only(str) -> None, or -errno (python-prctl's PR_SET_NAME: no read-back)" },
    { "set_title_finder", m_set_title_finder, METH_O,
      "set_title_finder(callable) -> None: what set_title calls once for (address, size)" },
    { "set_title", m_set_title, METH_O,
      "set_proctitle(title: str | bytes) -> None\n\n"
      "Set the process title, what ps and /proc/PID/cmdline show, by writing it over the\n"
      "memory of the process's original arguments (as setproctitle(3) does), cut to fit\n"
      "(its size minus a NUL) and the rest cleared. Works under ppy too, where argv is the\n"
      "interpreter's own: the area comes from /proc/self/stat and is checked to hold\n"
      "exactly sys.orig_argv before the first write. sys.argv is not changed." },
    { "set_vma_name", m_set_vma_name, METH_VARARGS,
      "set_vma_name(start, length, name or None) -> 0, or -errno" },
    { "peek", m_peek, METH_VARARGS,
      "peek(address, size) -> bytes of this process's memory (process_vm_readv), or -errno" },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "ppy_py._ppy_prctl",
    "prctl(2) for ppy_py's process options and ppy_py.compat (see prctlmodule.c)",
    0, methods, NULL, NULL, NULL, NULL,
};

#define CONST(name) { #name, (long)(name) }
static const struct {
    const char *name;
    long value;
} constants[] = {
    CONST(PR_SET_PDEATHSIG), CONST(PR_GET_PDEATHSIG),
    CONST(PR_GET_DUMPABLE), CONST(PR_SET_DUMPABLE),
    CONST(PR_GET_UNALIGN), CONST(PR_SET_UNALIGN),
    CONST(PR_UNALIGN_NOPRINT), CONST(PR_UNALIGN_SIGBUS),
    CONST(PR_GET_KEEPCAPS), CONST(PR_SET_KEEPCAPS),
    CONST(PR_GET_FPEMU), CONST(PR_SET_FPEMU),
    CONST(PR_FPEMU_NOPRINT), CONST(PR_FPEMU_SIGFPE),
    CONST(PR_GET_FPEXC), CONST(PR_SET_FPEXC),
    CONST(PR_FP_EXC_SW_ENABLE), CONST(PR_FP_EXC_DIV), CONST(PR_FP_EXC_OVF),
    CONST(PR_FP_EXC_UND), CONST(PR_FP_EXC_RES), CONST(PR_FP_EXC_INV),
    CONST(PR_FP_EXC_DISABLED), CONST(PR_FP_EXC_NONRECOV), CONST(PR_FP_EXC_ASYNC),
    CONST(PR_FP_EXC_PRECISE),
    CONST(PR_GET_TIMING), CONST(PR_SET_TIMING),
    CONST(PR_TIMING_STATISTICAL), CONST(PR_TIMING_TIMESTAMP),
    CONST(PR_SET_NAME), CONST(PR_GET_NAME),
    CONST(PR_GET_ENDIAN), CONST(PR_SET_ENDIAN),
    CONST(PR_ENDIAN_BIG), CONST(PR_ENDIAN_LITTLE), CONST(PR_ENDIAN_PPC_LITTLE),
    CONST(PR_GET_SECCOMP), CONST(PR_SET_SECCOMP), CONST(SECCOMP_MODE_STRICT),
    CONST(SECCOMP_MODE_FILTER),
    CONST(PR_CAPBSET_READ), CONST(PR_CAPBSET_DROP),
    CONST(PR_GET_TSC), CONST(PR_SET_TSC), CONST(PR_TSC_ENABLE), CONST(PR_TSC_SIGSEGV),
    CONST(PR_GET_SECUREBITS), CONST(PR_SET_SECUREBITS),
    CONST(SECURE_NOROOT), CONST(SECURE_NOROOT_LOCKED),
    CONST(SECURE_NO_SETUID_FIXUP), CONST(SECURE_NO_SETUID_FIXUP_LOCKED),
    CONST(SECURE_KEEP_CAPS), CONST(SECURE_KEEP_CAPS_LOCKED),
    CONST(SECURE_NO_CAP_AMBIENT_RAISE), CONST(SECURE_NO_CAP_AMBIENT_RAISE_LOCKED),
    CONST(SECBIT_NOROOT), CONST(SECBIT_NOROOT_LOCKED),
    CONST(SECBIT_NO_SETUID_FIXUP), CONST(SECBIT_NO_SETUID_FIXUP_LOCKED),
    CONST(SECBIT_KEEP_CAPS), CONST(SECBIT_KEEP_CAPS_LOCKED),
    CONST(SECBIT_NO_CAP_AMBIENT_RAISE), CONST(SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED),
    CONST(PR_SET_TIMERSLACK), CONST(PR_GET_TIMERSLACK),
    CONST(PR_TASK_PERF_EVENTS_DISABLE), CONST(PR_TASK_PERF_EVENTS_ENABLE),
    CONST(PR_MCE_KILL), CONST(PR_MCE_KILL_GET), CONST(PR_MCE_KILL_CLEAR),
    CONST(PR_MCE_KILL_SET), CONST(PR_MCE_KILL_LATE), CONST(PR_MCE_KILL_EARLY),
    CONST(PR_MCE_KILL_DEFAULT),
    CONST(PR_SET_PTRACER), CONST(PR_SET_PTRACER_ANY),
    CONST(PR_SET_CHILD_SUBREAPER), CONST(PR_GET_CHILD_SUBREAPER),
    CONST(PR_SET_NO_NEW_PRIVS), CONST(PR_GET_NO_NEW_PRIVS),
    CONST(PR_GET_TID_ADDRESS),
    CONST(PR_SET_THP_DISABLE), CONST(PR_GET_THP_DISABLE),
    CONST(PR_MPX_ENABLE_MANAGEMENT), CONST(PR_MPX_DISABLE_MANAGEMENT),
    CONST(PR_SET_FP_MODE), CONST(PR_GET_FP_MODE), CONST(PR_FP_MODE_FR), CONST(PR_FP_MODE_FRE),
    CONST(PR_CAP_AMBIENT),
    CONST(PR_GET_SPECULATION_CTRL), CONST(PR_SET_SPECULATION_CTRL),
    CONST(PR_SPEC_STORE_BYPASS), CONST(PR_SPEC_INDIRECT_BRANCH), CONST(PR_SPEC_L1D_FLUSH),
    CONST(PR_SPEC_NOT_AFFECTED), CONST(PR_SPEC_PRCTL), CONST(PR_SPEC_ENABLE),
    CONST(PR_SPEC_DISABLE), CONST(PR_SPEC_FORCE_DISABLE), CONST(PR_SPEC_DISABLE_NOEXEC),
    CONST(PR_PAC_RESET_KEYS), CONST(PR_PAC_APIAKEY), CONST(PR_PAC_APIBKEY),
    CONST(PR_PAC_APDAKEY), CONST(PR_PAC_APDBKEY), CONST(PR_PAC_APGAKEY),
    CONST(PR_SET_IO_FLUSHER), CONST(PR_GET_IO_FLUSHER),
    CONST(PR_SET_VMA), CONST(PR_SET_VMA_ANON_NAME),
    CONST(PR_SET_MDWE), CONST(PR_GET_MDWE),
    CONST(PR_MDWE_REFUSE_EXEC_GAIN), CONST(PR_MDWE_NO_INHERIT),
    CONST(PR_SET_MEMORY_MERGE), CONST(PR_GET_MEMORY_MERGE),
    CONST(PR_SCHED_CORE), CONST(PR_SCHED_CORE_GET), CONST(PR_SCHED_CORE_CREATE),
    CONST(PR_SCHED_CORE_SCOPE_THREAD), CONST(PR_SCHED_CORE_SCOPE_THREAD_GROUP),
    CONST(PR_SCHED_CORE_SCOPE_PROCESS_GROUP),
};

PyMODINIT_FUNC PyInit__ppy_prctl(void)
{
    PyObject *m = PyModule_Create(&module);

    if (m == NULL)
        return NULL;
    for (size_t k = 0; k < sizeof constants / sizeof constants[0]; k++)
        if (PyModule_AddIntConstant(m, constants[k].name, constants[k].value) != 0) {
            Py_DECREF(m);
            return NULL;
        }
    return m;
}
