/* Text scans of the detectors in C: the base64 runs worth decoding, and the words just
 * before a candidate that most validators read as context.
 *
 * structure.b64_runs_py and context.prose_words_py are the reference;
 * tests/pii/test_text_c.py checks both functions against them. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Appends a new reference to ``out`` and drops it; on failure (``item`` NULL included)
 * drops ``out`` as well, and returns -1. */
static int
append_new(PyObject *out, PyObject *item)
{
    if (item == NULL || PyList_Append(out, item) < 0) {
        Py_XDECREF(item);
        Py_DECREF(out);
        return -1;
    }
    Py_DECREF(item);
    return 0;
}

/* --- base64 runs (structure.b64_runs_py) --------------------------------------------- */

static inline int
is_b64(Py_UCS4 c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
           c == '_' || c == '-';
}

/* b64_runs(text) -> [(start, end)]: runs of 24 or more base64 or base64url characters,
 * with up to two "=" after them, as re.finditer(r"[A-Za-z0-9+/_\-]{24,}={0,2}") finds them. */
static PyObject *
b64_runs(PyObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "b64_runs(text: str)");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0;
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    while (i < n) {
        if (!is_b64(PyUnicode_READ(kind, d, i))) {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        while (i < n && is_b64(PyUnicode_READ(kind, d, i)))
            i++;
        if (i - start < 24)
            continue; /* no shorter start inside the run can reach 24 either */
        for (int pad = 0; pad < 2 && i < n && PyUnicode_READ(kind, d, i) == '='; pad++)
            i++;
        if (append_new(out, Py_BuildValue("(nn)", start, i)) < 0)
            return NULL;
    }
    return out;
}

/* --- prose context (context.prose_words) ---------------------------------------------- */

/* prose_words(text, start, window) -> the lower-case words of text[start - window:start]
 * (runs of a letter and then letters or apostrophes), or None when that window is not
 * ASCII: the Python function reads other scripts. */
static PyObject *
prose_words(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "prose_words(text: str, start: int, window: int)");
        return NULL;
    }
    PyObject *text = args[0];
    Py_ssize_t start = PyLong_AsSsize_t(args[1]), window = PyLong_AsSsize_t(args[2]);
    if (PyErr_Occurred())
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (window > 256 || start < 0)
        Py_RETURN_NONE; /* not the hot path's shape: the Python function */
    Py_ssize_t lo = start - window < 0 ? 0 : start - window;  /* text[lo:start], as sliced */
    if (start > n)
        start = n;
    if (start <= lo)
        return PyList_New(0);
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
    for (Py_ssize_t i = lo; i < start; i++)
        if (PyUnicode_READ(kind, d, i) > 127)
            Py_RETURN_NONE;
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    char word[256];
    Py_ssize_t i = lo;
    while (i < start) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!letter) {
            i++;
            continue;
        }
        Py_ssize_t len = 0;
        while (i < start) {
            c = PyUnicode_READ(kind, d, i);
            if (c >= 'A' && c <= 'Z')
                c += 'a' - 'A';
            else if (!((c >= 'a' && c <= 'z') || c == '\''))
                break;
            word[len++] = (char)c; /* at most window (256) characters */
            i++;
        }
        if (append_new(out, PyUnicode_FromStringAndSize(word, len)) < 0)
            return NULL;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"b64_runs", (PyCFunction)b64_runs, METH_O, "b64_runs(text) -> [(start, end)]: base64 blobs worth decoding."},
    {"prose_words", (PyCFunction)(void (*)(void))prose_words, METH_FASTCALL,
     "prose_words(text, start, window) -> [word, ...] or None: context.prose_words for ASCII windows."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_text", .m_doc = NULL, .m_size = -1, .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__text(void)
{
    return PyModule_Create(&module);
}
