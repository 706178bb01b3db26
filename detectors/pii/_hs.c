/* Hyperscan for the prefilter, with the reports folded in C.
 *
 * The hyperscan wheel calls back into Python once per match report, and each call
 * first takes the GIL back (the wheel releases it around hs_scan): about a microsecond
 * a report alone, and with any other Python thread busy, every report waits for the
 * GIL's switch interval. Here the callback is C, the GIL is held for the scan (a
 * prefilter pass takes microseconds), and the scan returns what prefilter.py needs:
 * {id: [[segment, last_end], ...]}, segments in order. prefilter.py falls back to the
 * wheel where this module was not built (no libhyperscan-dev); tests/pii/test_hs_c.py
 * checks both give the same result.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <hs/hs.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static PyObject *CompileError;

/* --- compile ---------------------------------------------------------------------- */

static void
free_strings(char **exprs, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < n; i++)
        free(exprs[i]);
    free(exprs);
}

/* compile(expressions, ids, flags) -> the serialised database. */
static PyObject *
hs_compile_db(PyObject *self, PyObject *args)
{
    PyObject *oexprs, *oids, *oflags;
    if (!PyArg_ParseTuple(args, "O!O!O!:compile", &PyList_Type, &oexprs, &PyList_Type, &oids, &PyList_Type, &oflags))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(oexprs);
    if (n == 0 || PyList_GET_SIZE(oids) != n || PyList_GET_SIZE(oflags) != n) {
        PyErr_SetString(PyExc_ValueError, "compile: expressions, ids and flags must be non-empty and of one length");
        return NULL;
    }
    char **exprs = calloc((size_t)n, sizeof(char *));
    unsigned *ids = calloc((size_t)n, sizeof(unsigned));
    unsigned *flags = calloc((size_t)n, sizeof(unsigned));
    if (exprs == NULL || ids == NULL || flags == NULL) {
        free(exprs), free(ids), free(flags);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        char *buf;
        Py_ssize_t len;
        if (PyBytes_AsStringAndSize(PyList_GET_ITEM(oexprs, i), &buf, &len) < 0)
            goto fail;
        if ((Py_ssize_t)strlen(buf) != len) {
            PyErr_Format(PyExc_ValueError, "compile: expression %zd holds a NUL byte", i);
            goto fail;
        }
        exprs[i] = strdup(buf);
        if (exprs[i] == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        ids[i] = (unsigned)PyLong_AsUnsignedLong(PyList_GET_ITEM(oids, i));
        flags[i] = (unsigned)PyLong_AsUnsignedLong(PyList_GET_ITEM(oflags, i));
        if (PyErr_Occurred())
            goto fail;
    }
    hs_database_t *db = NULL;
    hs_compile_error_t *err = NULL;
    hs_error_t rc;
    Py_BEGIN_ALLOW_THREADS  /* compiling takes about half a second */
    rc = hs_compile_multi((const char *const *)exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &db, &err);
    Py_END_ALLOW_THREADS
    free_strings(exprs, n);
    free(ids), free(flags);
    if (rc != HS_SUCCESS) {
        if (err != NULL) {
            PyObject *e = Py_BuildValue("(si)", err->message, err->expression);
            if (e != NULL) {
                PyErr_SetObject(CompileError, e);
                Py_DECREF(e);
            }
            hs_free_compile_error(err);
        } else {
            PyErr_Format(CompileError, "hs_compile_multi failed (%d)", rc);
        }
        return NULL;
    }
    char *bytes = NULL;
    size_t size = 0;
    rc = hs_serialize_database(db, &bytes, &size);
    hs_free_database(db);
    if (rc != HS_SUCCESS)
        return PyErr_Format(PyExc_MemoryError, "hs_serialize_database failed (%d)", rc);
    PyObject *out = PyBytes_FromStringAndSize(bytes, (Py_ssize_t)size);
    free(bytes);
    return out;

fail:
    free_strings(exprs, n);
    free(ids), free(flags);
    return NULL;
}

/* --- the fold of one scan's reports ------------------------------------------------ */

typedef struct {
    Py_ssize_t seg;
    unsigned long long end;  /* exclusive: the match's last byte is at end - 1 */
} Pair;

typedef struct {
    Pair *v;
    Py_ssize_t n, cap;
} Pairs;

typedef struct {
    const long long *starts;
    Py_ssize_t n_starts;
    Py_ssize_t seg;
    Pairs *by_id;
    unsigned n_ids;
    int unordered;
    int no_memory;
    int timed_out;
    double deadline;
    unsigned long reports;
} Fold;

static double
monotonic(void)  /* time.perf_counter()'s clock on Linux */
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
push(Pairs *p, Py_ssize_t seg, unsigned long long end)
{
    if (p->n == p->cap) {
        Py_ssize_t cap = p->cap ? p->cap * 2 : 4;
        Pair *v = realloc(p->v, (size_t)cap * sizeof(Pair));
        if (v == NULL)
            return -1;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n].seg = seg;
    p->v[p->n].end = end;
    p->n++;
    return 0;
}

/* The segment holding byte ``at``: the last start at or before it. */
static Py_ssize_t
segment_of(const long long *starts, Py_ssize_t n, long long at)
{
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (starts[mid] <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 ? lo - 1 : 0;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *context)
{
    (void)from, (void)flags;
    Fold *f = context;
    long long last_byte = (long long)to - 1;
    Py_ssize_t seg = f->seg;
    if (last_byte < f->starts[seg]) {
        seg = segment_of(f->starts, f->n_starts, last_byte);  /* reports mostly come in order, not always */
    } else {
        while (seg + 1 < f->n_starts && f->starts[seg + 1] <= last_byte)
            seg++;
    }
    f->seg = seg;
    if (id >= f->n_ids) {
        unsigned n = id + 16;
        Pairs *grown = realloc(f->by_id, n * sizeof(Pairs));
        if (grown == NULL) {
            f->no_memory = 1;
            return 1;
        }
        memset(grown + f->n_ids, 0, (n - f->n_ids) * sizeof(Pairs));
        f->by_id = grown;
        f->n_ids = n;
    }
    Pairs *p = &f->by_id[id];
    if (p->n > 0 && p->v[p->n - 1].seg == seg) {
        if (to > p->v[p->n - 1].end)
            p->v[p->n - 1].end = to;
    } else {
        if (p->n > 0 && seg < p->v[p->n - 1].seg)
            f->unordered = 1;
        if (push(p, seg, to) < 0) {
            f->no_memory = 1;
            return 1;
        }
    }
    /* A huge sample can report millions of matches: check the clock now and then. */
    if (++f->reports % 4096 == 0 && f->deadline > 0 && monotonic() > f->deadline) {
        f->timed_out = 1;
        return 1;
    }
    return 0;
}

static int
by_segment(const void *a, const void *b)
{
    Py_ssize_t x = ((const Pair *)a)->seg, y = ((const Pair *)b)->seg;
    return (x > y) - (x < y);
}

/* One id's segments in order, each once, with the furthest end. */
static void
sort_merge(Pairs *p)
{
    if (p->n < 2)
        return;
    qsort(p->v, (size_t)p->n, sizeof(Pair), by_segment);
    Py_ssize_t w = 0;
    for (Py_ssize_t r = 1; r < p->n; r++) {
        if (p->v[r].seg == p->v[w].seg) {
            if (p->v[r].end > p->v[w].end)
                p->v[w].end = p->v[r].end;
        } else {
            p->v[++w] = p->v[r];
        }
    }
    p->n = w + 1;
}

static PyObject *
fold_result(Fold *f)
{
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    for (unsigned id = 0; id < f->n_ids; id++) {
        Pairs *p = &f->by_id[id];
        if (p->n == 0)
            continue;
        if (f->unordered)
            sort_merge(p);
        PyObject *lst = PyList_New(p->n);
        if (lst == NULL)
            goto fail;
        for (Py_ssize_t i = 0; i < p->n; i++) {
            PyObject *pair = PyList_New(2);
            PyObject *seg = PyLong_FromSsize_t(p->v[i].seg);
            PyObject *end = PyLong_FromUnsignedLongLong(p->v[i].end);
            if (pair == NULL || seg == NULL || end == NULL) {
                Py_XDECREF(pair), Py_XDECREF(seg), Py_XDECREF(end);
                Py_DECREF(lst);
                goto fail;
            }
            PyList_SET_ITEM(pair, 0, seg);
            PyList_SET_ITEM(pair, 1, end);
            PyList_SET_ITEM(lst, i, pair);
        }
        PyObject *key = PyLong_FromUnsignedLong(id);
        int rc = key == NULL ? -1 : PyDict_SetItem(out, key, lst);
        Py_XDECREF(key);
        Py_DECREF(lst);
        if (rc < 0)
            goto fail;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* --- Database ----------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    hs_database_t *db;
    hs_scratch_t *scratch;
} Database;

static int
database_init(Database *self, PyObject *args, PyObject *kwargs)
{
    Py_buffer blob;
    if (!PyArg_ParseTuple(args, "y*:Database", &blob))
        return -1;
    hs_database_t *db = NULL;
    hs_error_t rc = hs_deserialize_database(blob.buf, (size_t)blob.len, &db);
    PyBuffer_Release(&blob);
    if (rc != HS_SUCCESS) {
        PyErr_Format(PyExc_ValueError, "not a Hyperscan %s database for this machine (%d)", hs_version(), rc);
        return -1;
    }
    hs_scratch_t *scratch = NULL;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
        hs_free_database(db);
        PyErr_NoMemory();
        return -1;
    }
    if (self->scratch != NULL)
        hs_free_scratch(self->scratch);
    if (self->db != NULL)
        hs_free_database(self->db);
    self->db = db;
    self->scratch = scratch;
    return 0;
}

static void
database_dealloc(Database *self)
{
    if (self->scratch != NULL)
        hs_free_scratch(self->scratch);
    if (self->db != NULL)
        hs_free_database(self->db);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* scan(data, starts, deadline) -> {id: [[segment, last_end], ...]}, or None when the
 * deadline (a perf_counter() time; 0 for none) passed during the scan. ``starts`` are
 * the byte offsets of the segments in ``data``, ascending, the first 0. */
static PyObject *
database_scan(Database *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "scan(data: bytes, starts: list[int], deadline: float)");
        return NULL;
    }
    if (self->db == NULL) {
        PyErr_SetString(PyExc_ValueError, "scan: the database was not loaded");
        return NULL;
    }
    Py_buffer data;
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0)
        return NULL;
    double deadline = PyFloat_AsDouble(args[2]);
    Py_ssize_t n = PyList_GET_SIZE(args[1]);
    PyObject *result = NULL;
    Fold f;
    memset(&f, 0, sizeof f);
    long long *starts = NULL;
    if ((deadline == -1.0 && PyErr_Occurred()) || n == 0 || data.len > (Py_ssize_t)0xffffffffu) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "scan: no segment starts, or data over 4 GiB");
        goto done;
    }
    starts = malloc((size_t)n * sizeof(long long));
    if (starts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        starts[i] = PyLong_AsLongLong(PyList_GET_ITEM(args[1], i));
        if (starts[i] == -1 && PyErr_Occurred())
            goto done;
    }
    f.starts = starts;
    f.n_starts = n;
    f.deadline = deadline;
    /* The GIL stays held: the callback is C, the scan short, and the one scratch space
     * is then never used by two threads at once. */
    hs_error_t rc = hs_scan(self->db, data.buf, (unsigned)data.len, 0, self->scratch, on_match, &f);
    if (f.no_memory) {
        PyErr_NoMemory();
    } else if (f.timed_out) {
        result = Py_NewRef(Py_None);
    } else if (rc != HS_SUCCESS) {
        PyErr_Format(PyExc_RuntimeError, "hs_scan failed (%d)", rc);
    } else {
        result = fold_result(&f);
    }
done:
    for (unsigned id = 0; id < f.n_ids; id++)
        free(f.by_id[id].v);
    free(f.by_id);
    free(starts);
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef database_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))database_scan, METH_FASTCALL,
     "scan(data, starts, deadline) -> {id: [[segment, last_end], ...]} or None past the deadline"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject DatabaseType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "detectors.pii._hs.Database",
    .tp_basicsize = sizeof(Database),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Database(serialised): a compiled block-mode database, ready to scan",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)database_init,
    .tp_dealloc = (destructor)database_dealloc,
    .tp_methods = database_methods,
};

/* --- module ------------------------------------------------------------------------- */

static PyObject *
hs_version_str(PyObject *self, PyObject *unused)
{
    return PyUnicode_FromString(hs_version());
}

static PyMethodDef module_methods[] = {
    {"compile", hs_compile_db, METH_VARARGS,
     "compile(expressions: list[bytes], ids: list[int], flags: list[int]) -> serialised database; "
     "CompileError(message, expression index) when one does not compile"},
    {"version", hs_version_str, METH_NOARGS, "the Hyperscan library's version"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hs", NULL, -1, module_methods};

PyMODINIT_FUNC
PyInit__hs(void)
{
    if (hs_valid_platform() != HS_SUCCESS) {
        PyErr_SetString(PyExc_ImportError, "Hyperscan does not run on this CPU (it needs SSSE3)");
        return NULL;
    }
    if (PyType_Ready(&DatabaseType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    CompileError = PyErr_NewException("detectors.pii._hs.CompileError", PyExc_ValueError, NULL);
    if (CompileError == NULL || PyModule_AddObjectRef(m, "CompileError", CompileError) < 0 ||
        PyModule_AddObjectRef(m, "Database", (PyObject *)&DatabaseType) < 0 ||
        PyModule_AddIntConstant(m, "FLAG_UTF8", HS_FLAG_UTF8) < 0 ||
        PyModule_AddIntConstant(m, "FLAG_PREFILTER", HS_FLAG_PREFILTER) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
