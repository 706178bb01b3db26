/* Text scans of the detectors in C: the base64 runs worth decoding, the words just
 * before a candidate that most validators read as context, and the small value checks
 * every candidate meets (its digits, its entropy, the secrets' placeholder allowlist).
 *
 * structure.b64_runs_py, context.prose_words_py, masking.digits_of_py,
 * validators.shannon_entropy_py and secrets.allowlisted_py are the reference;
 * tests/pii/test_text_c.py checks each function against its twin. */

#define _GNU_SOURCE /* memmem */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

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

/* --- digits (masking.digits_of_py) ----------------------------------------------------- */

/* digits(s) -> the str.isdigit characters of s, in order. */
static PyObject *
digits(PyObject *self, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "digits(s: str)");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s), k = 0;
    if (PyUnicode_IS_ASCII(s)) {
        const char *d = (const char *)PyUnicode_1BYTE_DATA(s);
        for (Py_ssize_t i = 0; i < n; i++)
            k += d[i] >= '0' && d[i] <= '9';
        PyObject *out = PyUnicode_New(k, 127);
        if (out == NULL)
            return NULL;
        char *o = (char *)PyUnicode_1BYTE_DATA(out);
        for (Py_ssize_t i = 0; i < n; i++)
            if (d[i] >= '0' && d[i] <= '9')
                *o++ = d[i];
        return out;
    }
    int kind = PyUnicode_KIND(s);
    const void *d = PyUnicode_DATA(s);
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (n ? n : 1));
    if (buf == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, d, i);
        if (Py_UNICODE_ISDIGIT(c))
            buf[k++] = c;
    }
    PyObject *out = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, k);
    PyMem_Free(buf);
    return out;
}

/* --- Shannon entropy (validators.shannon_entropy_py) ----------------------------------- */

/* entropy(s) -> bits per character of an ASCII s shorter than 1,025 characters, summed
 * in the Python twin's order so the float is the same; None for other strings. */
static PyObject *
entropy(PyObject *self, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "entropy(s: str)");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (n == 0)
        return PyFloat_FromDouble(0.0);
    if (!PyUnicode_IS_ASCII(s) || n > 1024)
        Py_RETURN_NONE;
    const unsigned char *d = PyUnicode_1BYTE_DATA(s);
    Py_ssize_t counts[128] = {0};
    for (Py_ssize_t i = 0; i < n; i++)
        counts[d[i]]++;
    double total = 0.0;
    for (int c = 0; c < 128; c++)
        if (counts[c])
            total += (double)counts[c] * log2((double)counts[c]);
    return PyFloat_FromDouble(log2((double)n) - total / (double)n);
}

/* luhn(s) -> the Luhn check of an ASCII s (False unless every character is a digit and
 * there are two or more); None for other strings, which validators.luhn_py reads. */
static PyObject *
luhn(PyObject *self, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "luhn(s: str)");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(s))
        Py_RETURN_NONE;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    const unsigned char *d = PyUnicode_1BYTE_DATA(s);
    if (n < 2)
        Py_RETURN_FALSE;
    long total = 0;
    for (Py_ssize_t i = n - 1, k = 0; i >= 0; i--, k++) {
        int v = d[i] - '0';
        if (v < 0 || v > 9)
            Py_RETURN_FALSE;
        if (k & 1)
            v = v > 4 ? 2 * v - 9 : 2 * v;
        total += v;
    }
    return PyBool_FromLong(total % 10 == 0);
}

/* --- the secrets' placeholder allowlist (secrets.allowlisted_py) ----------------------- */

/* Bound once from secrets.py, which owns the lists: tuples of ASCII bytes. */
static PyObject *al_literals, *al_words, *al_sequences;
static Py_ssize_t al_seq_max;
/* The placeholder words by first byte (a bit per word): one pass over a value finds them
 * all, where a memmem per word pays its set-up twenty times. */
static unsigned long long al_word_first[256];
static unsigned char al_is_template[256];

static PyObject *
ascii_tuple(PyObject *items)
{
    PyObject *seq = PySequence_Fast(items, "expected a sequence of str");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyTuple_New(n);
    for (Py_ssize_t i = 0; out != NULL && i < n; i++) {
        PyObject *b = PyUnicode_AsASCIIString(PySequence_Fast_GET_ITEM(seq, i));
        if (b == NULL)
            Py_CLEAR(out);
        else
            PyTuple_SET_ITEM(out, i, b);
    }
    Py_DECREF(seq);
    return out;
}

/* bind_allowlist(literals, placeholder_words, template_chars, sequences) */
static PyObject *
bind_allowlist(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "bind_allowlist(literals, words, template_chars, sequences)");
        return NULL;
    }
    /* One at a time: a failed conversion leaves its error set, and no call may follow it. */
    PyObject *lit = NULL, *words = NULL, *tmpl = NULL, *seqs = NULL;
    int bad = 0;
    if ((lit = ascii_tuple(args[0])) == NULL || (words = ascii_tuple(args[1])) == NULL ||
        (seqs = ascii_tuple(args[3])) == NULL)
        goto fail;
    if (!PyUnicode_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "template_chars: expected str");
        goto fail;
    }
    if ((tmpl = PyUnicode_AsASCIIString(args[2])) == NULL)
        goto fail;
    bad = PyTuple_GET_SIZE(words) > 64;
    for (Py_ssize_t i = 0; !bad && i < PyTuple_GET_SIZE(words); i++)
        bad = PyBytes_GET_SIZE(PyTuple_GET_ITEM(words, i)) == 0;
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "bind_allowlist: at most 64 placeholder words, none empty");
        goto fail;
    }
    memset(al_is_template, 0, sizeof al_is_template);
    for (const char *t = PyBytes_AS_STRING(tmpl); *t; t++)
        al_is_template[(unsigned char)*t] = 1;
    memset(al_word_first, 0, sizeof al_word_first);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(words); i++)
        al_word_first[(unsigned char)PyBytes_AS_STRING(PyTuple_GET_ITEM(words, i))[0]] |= 1ULL << i;
    Py_XSETREF(al_literals, lit);
    Py_XSETREF(al_words, words);
    Py_DECREF(tmpl); /* read into al_is_template */
    Py_XSETREF(al_sequences, seqs);
    al_seq_max = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(seqs); i++)
        if (PyBytes_GET_SIZE(PyTuple_GET_ITEM(seqs, i)) > al_seq_max)
            al_seq_max = PyBytes_GET_SIZE(PyTuple_GET_ITEM(seqs, i));
    al_seq_max += 2;
    Py_RETURN_NONE;
fail:
    Py_XDECREF(lit);
    Py_XDECREF(words);
    Py_XDECREF(tmpl);
    Py_XDECREF(seqs);
    return NULL;
}

/* str.strip()'s whitespace among ASCII characters. */
static inline int
py_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static int
distinct_at_most_two(const unsigned char *v, Py_ssize_t n)
{
    unsigned char seen[2];
    int k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if ((k > 0 && v[i] == seen[0]) || (k > 1 && v[i] == seen[1]))
            continue;
        if (k == 2)
            return 0;
        seen[k++] = v[i];
    }
    return 1;
}

static int
allowlisted_ascii(const unsigned char *v, Py_ssize_t m, const char *low)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(al_literals); i++) {
        PyObject *b = PyTuple_GET_ITEM(al_literals, i);
        if (PyBytes_GET_SIZE(b) == m && memcmp(PyBytes_AS_STRING(b), low, m) == 0)
            return 1;
    }
    for (Py_ssize_t i = 0; i < m; i++)
        if (al_is_template[v[i]])
            return -1; /* the templated-value regex decides: the Python twin */
    for (Py_ssize_t i = 0; i < m; i++) {
        for (unsigned long long bits = al_word_first[(unsigned char)low[i]]; bits; bits &= bits - 1) {
            PyObject *b = PyTuple_GET_ITEM(al_words, __builtin_ctzll(bits));
            Py_ssize_t k = PyBytes_GET_SIZE(b);
            if (k <= m - i && memcmp(low + i, PyBytes_AS_STRING(b), k) == 0)
                return 1;
        }
    }
    if (m >= 6 && distinct_at_most_two(v, m < 8 ? m : 8) && distinct_at_most_two(v, m))
        return 1;
    if (m <= al_seq_max)
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(al_sequences); i++) {
            PyObject *b = PyTuple_GET_ITEM(al_sequences, i);
            Py_ssize_t k = PyBytes_GET_SIZE(b);
            const char *seq = PyBytes_AS_STRING(b);
            if ((k == m && memcmp(seq, low, m) == 0) ||
                (m >= 8 && m - k <= 2 && memmem(low, m, seq, k) != NULL))
                return 1;
        }
    return 0;
}

/* allowlisted(value) -> True or False as secrets.allowlisted_py says, for ASCII values;
 * None for the rest and for values with template characters ("${", "{{", "<"). */
static PyObject *
allowlisted(PyObject *self, PyObject *value)
{
    if (!PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "allowlisted(value: str)");
        return NULL;
    }
    if (al_literals == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind_allowlist() was not called");
        return NULL;
    }
    if (!PyUnicode_IS_ASCII(value))
        Py_RETURN_NONE;
    const unsigned char *d = PyUnicode_1BYTE_DATA(value);
    Py_ssize_t lo = 0, hi = PyUnicode_GET_LENGTH(value);
    while (lo < hi && py_space(d[lo]))
        lo++;
    while (hi > lo && py_space(d[hi - 1]))
        hi--;
    while (lo < hi && (d[lo] == '"' || d[lo] == '\''))
        lo++;
    while (hi > lo && (d[hi - 1] == '"' || d[hi - 1] == '\''))
        hi--;
    Py_ssize_t m = hi - lo;
    if (m == 0)
        Py_RETURN_TRUE;
    char small[256];
    char *low = m <= (Py_ssize_t)sizeof small ? small : PyMem_Malloc(m);
    if (low == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < m; i++) {
        unsigned char c = d[lo + i];
        low[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    int got = allowlisted_ascii(d + lo, m, low);
    if (low != small)
        PyMem_Free(low);
    if (got < 0)
        Py_RETURN_NONE;
    return PyBool_FromLong(got);
}

static PyMethodDef methods[] = {
    {"b64_runs", (PyCFunction)b64_runs, METH_O, "b64_runs(text) -> [(start, end)]: base64 blobs worth decoding."},
    {"prose_words", (PyCFunction)(void (*)(void))prose_words, METH_FASTCALL,
     "prose_words(text, start, window) -> [word, ...] or None: context.prose_words for ASCII windows."},
    {"digits", (PyCFunction)digits, METH_O, "digits(s) -> the str.isdigit characters of s."},
    {"entropy", (PyCFunction)entropy, METH_O, "entropy(s) -> Shannon entropy of an ASCII s, else None."},
    {"luhn", (PyCFunction)luhn, METH_O, "luhn(s) -> the Luhn check of an ASCII s, else None."},
    {"bind_allowlist", (PyCFunction)(void (*)(void))bind_allowlist, METH_FASTCALL,
     "bind_allowlist(literals, words, template_chars, sequences): secrets.py's lists."},
    {"allowlisted", (PyCFunction)allowlisted, METH_O,
     "allowlisted(value) -> bool, or None where secrets.allowlisted_py must decide."},
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
