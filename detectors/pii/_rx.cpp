// RE2 for the scanner's regex pass: every match of one pattern in one field, in one call.
//
// The google-re2 wheel's handle costs about 7,000 instructions a call (pybind11's
// dispatch, a buffer request, a vector of groups, a list of tuples) and the regex pass
// made one call per match. Pattern.spans runs the whole loop in C++ against the system
// RE2 (libre2-dev) and returns the spans. rx.py falls back to the wheel where this module
// was not built; tests/pii/test_rx_c.py checks both give the same spans.

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <re2/re2.h>

#include <new>
#include <string>

namespace {

constexpr int kMaxGroups = 16;

struct Pattern {
    PyObject_HEAD
    RE2 *re;
    int groups;
};

int
pattern_init(Pattern *self, PyObject *args, PyObject *kwargs)
{
    const char *pattern;
    Py_ssize_t n;
    long long max_mem = 64LL << 20;
    if (!PyArg_ParseTuple(args, "s#|L:Pattern", &pattern, &n, &max_mem))
        return -1;
    RE2::Options options;  // UTF-8, case-sensitive, leftmost-first: the wheel's defaults
    options.set_max_mem(max_mem);
    options.set_log_errors(false);
    delete self->re;
    self->re = new (std::nothrow) RE2(re2::StringPiece(pattern, static_cast<size_t>(n)), options);
    if (self->re == nullptr) {
        PyErr_NoMemory();
        return -1;
    }
    if (!self->re->ok()) {
        PyErr_Format(PyExc_ValueError, "invalid pattern: %s", self->re->error().c_str());
        return -1;
    }
    self->groups = self->re->NumberOfCapturingGroups();
    return 0;
}

void
pattern_dealloc(Pattern *self)
{
    delete self->re;
    Py_TYPE(self)->tp_free(reinterpret_cast<PyObject *>(self));
}

// (s, e) as a new tuple. Not Py_BuildValue, which parses its format string on every call.
PyObject *
span_tuple(Py_ssize_t s, Py_ssize_t e)
{
    PyObject *span = PyTuple_New(2);
    if (span == nullptr)
        return nullptr;
    PyObject *start = PyLong_FromSsize_t(s);
    if (start != nullptr)
        PyTuple_SET_ITEM(span, 0, start);
    PyObject *end = start != nullptr ? PyLong_FromSsize_t(e) : nullptr;
    if (end == nullptr) {
        Py_DECREF(span);  // a tuple with an empty slot deallocates safely
        return nullptr;
    }
    PyTuple_SET_ITEM(span, 1, end);
    return span;
}

// spans(data, pos, end, last, group) -> [(start, end), ...]
// Successive matches in data[pos:end] (^, $ and \b see all of data), as the regex pass
// walks them: after an empty match the search moves one byte on; with ``group``, a span
// is that group's when it took part; the walk stops after the match that reaches ``last``
// (no prefilter report beyond it).
PyObject *
pattern_spans(Pattern *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyBytes_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "spans(data: bytes, pos: int, end: int, last: int, group: int)");
        return nullptr;
    }
    if (self->re == nullptr) {
        PyErr_SetString(PyExc_ValueError, "Pattern was not initialised");
        return nullptr;
    }
    const char *data = PyBytes_AS_STRING(args[0]);
    Py_ssize_t size = PyBytes_GET_SIZE(args[0]);
    Py_ssize_t pos = PyLong_AsSsize_t(args[1]);
    Py_ssize_t end = PyLong_AsSsize_t(args[2]);
    Py_ssize_t last = PyLong_AsSsize_t(args[3]);
    long group = PyLong_AsLong(args[4]);
    if (PyErr_Occurred())
        return nullptr;
    if (group < 0 || group > self->groups || group >= kMaxGroups) {
        PyErr_Format(PyExc_ValueError, "no group %ld in the pattern", group);
        return nullptr;
    }
    if (end > size)
        end = size;
    if (pos < 0)
        pos = 0;
    re2::StringPiece text(data, static_cast<size_t>(size));
    re2::StringPiece sub[kMaxGroups];
    int nsub = static_cast<int>(group) + 1;
    PyObject *out = PyList_New(0);
    if (out == nullptr)
        return nullptr;
    while (pos <= end) {
        if (!self->re->Match(text, static_cast<size_t>(pos), static_cast<size_t>(end), RE2::UNANCHORED, sub, nsub))
            break;
        Py_ssize_t s = sub[0].data() - data;
        Py_ssize_t e = s + static_cast<Py_ssize_t>(sub[0].size());
        pos = e > s ? e : e + 1;
        if (group && sub[group].data() != nullptr) {
            s = sub[group].data() - data;
            e = s + static_cast<Py_ssize_t>(sub[group].size());
        }
        PyObject *span = span_tuple(s, e);
        if (span == nullptr || PyList_Append(out, span) < 0) {
            Py_XDECREF(span);
            Py_DECREF(out);
            return nullptr;
        }
        Py_DECREF(span);
        if (pos >= last)
            break;
    }
    return out;
}

PyObject *
pattern_repr(Pattern *self)
{
    return PyUnicode_FromFormat("<detectors.pii._rx.Pattern, %d groups>", self->groups);
}

PyMethodDef pattern_methods[] = {
    {"spans", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)(void)>(pattern_spans)), METH_FASTCALL,
     "spans(data, pos, end, last, group) -> the spans of successive matches"},
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject PatternType = {PyVarObject_HEAD_INIT(nullptr, 0)};

PyModuleDef module = {PyModuleDef_HEAD_INIT};

}  // namespace

PyMODINIT_FUNC
PyInit__rx(void)
{
    PatternType.tp_name = "detectors.pii._rx.Pattern";
    PatternType.tp_basicsize = sizeof(Pattern);
    PatternType.tp_flags = Py_TPFLAGS_DEFAULT;
    PatternType.tp_doc = "Pattern(pattern: str, max_mem: int = 64 MiB): one RE2 pattern.";
    PatternType.tp_new = PyType_GenericNew;
    PatternType.tp_init = reinterpret_cast<initproc>(pattern_init);
    PatternType.tp_dealloc = reinterpret_cast<destructor>(pattern_dealloc);
    PatternType.tp_repr = reinterpret_cast<reprfunc>(pattern_repr);
    PatternType.tp_methods = pattern_methods;
    if (PyType_Ready(&PatternType) < 0)
        return nullptr;
    module.m_name = "_rx";
    module.m_size = -1;
    PyObject *m = PyModule_Create(&module);
    if (m == nullptr)
        return nullptr;
    if (PyModule_AddObjectRef(m, "Pattern", reinterpret_cast<PyObject *>(&PatternType)) < 0) {
        Py_DECREF(m);
        return nullptr;
    }
    return m;
}
