/* The structure walk's hot loops in C: JSON documents walked straight from their text,
 * query strings and forms, and the rules every field value goes through (limits, the
 * machine-value test, the Segment).
 *
 * structure.py and context.py hold the reference code, and this file follows them rule for
 * rule; tests/pii/test_walk_c.py checks each function against them on generated and
 * recorded input. Where a document needs a rule not written here (NaN and Infinity,
 * duplicate keys, nesting past 256, integers past 4,000 digits), walk_json returns False
 * before emitting anything and the Python walker does the whole document.
 *
 * walk_json never builds the document's dicts and lists: it tokenises the text once into
 * an array (checking it is valid JSON as json.loads reads it), then walks the array and
 * gives each value Walker._value's rules. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

/* Bound once by structure.py (bind()): its caches, helpers and vocabularies. */
static PyObject *TOKEN_CACHE, *TOK_FN, *KEY_CACHE, *KEY_FN, *EMPTY, *GEO_PAIR, *GEO_PAIR_FN,
    *MACHINE_FIELD, *AGENT, *NEW_SEGMENT, *PATH_CACHE, *PATH_NAME_FN, *PCT_DECODE_FN, *ENC_PLAIN, *ENC_URL, *URI_NAME_FN;
/* Interned strings. */
static PyObject *EMPTY_STR, *DOT, *BRACKETS, *STAR, *S_NESTED_TEXT, *S_DEPTH_LIMITED, *S_FIELDS_DROPPED, *S_TRUNCATED,
    *TRUE_TEXT;

#define MAX_NESTING 256 /* deeper documents are left to the Python walker */

/* --- small helpers ----------------------------------------------------------------- */

/* 1 when the sets share no item, 0 when they do, -1 on error: set.isdisjoint. */
static int
disjoint(PyObject *a, PyObject *b)
{
    if (!PyAnySet_Check(a) || !PyAnySet_Check(b)) {
        PyErr_SetString(PyExc_TypeError, "field-name tokens must be a set or frozenset");
        return -1;
    }
    if (PySet_GET_SIZE(a) > PySet_GET_SIZE(b)) {
        PyObject *t = a;
        a = b;
        b = t;
    }
    if (PySet_GET_SIZE(a) == 0)
        return 1;
#if PY_VERSION_HEX < 0x030D0000
    Py_ssize_t pos = 0;
    PyObject *item;
    Py_hash_t hash;
    while (_PySet_NextEntry(a, &pos, &item, &hash)) {
        int r = PySet_Contains(b, item);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    return 1;
#else
    PyObject *it = PyObject_GetIter(a), *item;
    if (it == NULL)
        return -1;
    int result = 1;
    while (result == 1 && (item = PyIter_Next(it)) != NULL) {
        int r = PySet_Contains(b, item);
        Py_DECREF(item);
        if (r != 0)
            result = r < 0 ? -1 : 0;
    }
    Py_DECREF(it);
    return result == 1 && PyErr_Occurred() ? -1 : result;
#endif
}

static inline int
is_hex(Py_UCS4 c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline int
is_ascii_digit(Py_UCS4 c)
{
    return c >= '0' && c <= '9';
}

/* str.isdigit for one character, without the Unicode database for ASCII. */
static inline int
is_digit(Py_UCS4 c)
{
    return c < 128 ? is_ascii_digit(c) : Py_UNICODE_ISDIGIT(c);
}

/* --- machine_shape (context.machine_shape) ----------------------------------------- */

static int
machine_shape_impl(PyObject *text, PyObject *tokens)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n < 4)
        return 1;
    int kind = PyUnicode_KIND(text);
    const void *d = PyUnicode_DATA(text);
#define CH(i) PyUnicode_READ(kind, d, (i))
    Py_UCS4 c0 = CH(0);
    Py_ssize_t i;
    if (n == 36 && CH(8) == '-' && CH(13) == '-') {
        for (i = 0; i < n; i++) {
            Py_UCS4 c = CH(i);
            if (c != '-' && !is_hex(c))
                break;
        }
        if (i == n)
            return 1; /* a UUID */
    }
    if (is_digit(c0)) {
        if (n >= 16 && CH(4) == '-' && (CH(10) == 'T' || CH(10) == ' ') && CH(13) == ':')
            return 1; /* an ISO timestamp */
        Py_ssize_t dots = 0;
        int digits_only = 1;
        for (i = 0; i < n; i++) {
            Py_UCS4 c = CH(i);
            if (c == '.')
                dots++;
            else if (!is_digit(c))
                digits_only = 0;
        }
        if (digits_only && dots >= 2) {
            int r = disjoint(MACHINE_FIELD, tokens);
            if (r <= 0)
                return r < 0 ? -1 : 1;
            Py_ssize_t groups = dots + 1, start = 0, first = 0, longest = 0, len = 0;
            for (i = 0; i <= n; i++) {
                if (i == n || CH(i) == '.') {
                    len = i - start;
                    if (start == 0)
                        first = len;
                    if (len > longest)
                        longest = len;
                    start = i + 1;
                }
            }
            if (groups == 4 && longest <= 3)
                return 0; /* an IP address */
            if (groups == 3 && first >= 2 && len == 4)
                return 0; /* 415.555.0132 */
            return 1;     /* 4.1.0, 10.0.19045.2965 */
        }
        if (digits_only && dots == 0) {
            int r = disjoint(MACHINE_FIELD, tokens);
            if (r <= 0)
                return r < 0 ? -1 : 1;
        }
    }
    if (n >= 16) {
        int all_hex = 1, all_digits = 1, digits_after_two = 1;
        for (i = 0; i < n && all_hex; i++) {
            Py_UCS4 c = CH(i);
            all_hex = is_hex(c);
            if (!is_ascii_digit(c)) {
                all_digits = 0;
                if (i >= 2)
                    digits_after_two = 0;
            }
        }
        int letter_first = !is_ascii_digit(c0);
        if (all_hex && !all_digits && !(letter_first && digits_after_two))
            return 1; /* a hex id */
    }
    int r = disjoint(AGENT, tokens);
    if (r <= 0)
        return r < 0 ? -1 : 1;
    if (n >= 8) {
        static const char mozilla[] = "Mozilla/";
        for (i = 0; i < 8; i++)
            if (CH(i) != (Py_UCS4)mozilla[i])
                return 0;
        return 1;
    }
    return 0;
#undef CH
}

static PyObject *
machine_shape(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "machine_shape(text: str, tokens: frozenset)");
        return NULL;
    }
    int r = machine_shape_impl(args[0], args[1]);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

/* --- JSON tokens --------------------------------------------------------------------- */

enum { T_OBJ, T_ARR, T_STR, T_INT, T_FLOAT, T_TRUE, T_FALSE, T_NULL };

typedef struct {
    unsigned char type;
    unsigned char escaped;  /* a string with a backslash escape */
    Py_ssize_t start, end;  /* characters of the literal (a string's inside its quotes) */
    Py_ssize_t size;        /* members of an object, items of an array */
    Py_ssize_t next;        /* the token after this one's subtree */
} Tok;

typedef struct {
    Tok *toks;
    Py_ssize_t n, cap;
    Py_ssize_t *keys; /* stack of the open objects' key tokens, for the duplicate check */
    Py_ssize_t nkeys, capkeys;
    PyObject *text;
    int kind;
    const void *d;
    Py_ssize_t len;
} Parser;

#define BAD (-1)     /* not JSON, or JSON this file leaves to the Python walker */
#define NOMEM (-2)   /* a Python error is set */

static Py_ssize_t
push_tok(Parser *p, unsigned char type, Py_ssize_t start)
{
    if (p->n == p->cap) {
        Py_ssize_t cap = p->cap ? p->cap * 2 : 64;
        Tok *t = PyMem_Realloc(p->toks, cap * sizeof(Tok));
        if (t == NULL) {
            PyErr_NoMemory();
            return NOMEM;
        }
        p->toks = t;
        p->cap = cap;
    }
    Tok *t = &p->toks[p->n];
    t->type = type;
    t->escaped = 0;
    t->start = start;
    t->end = start;
    t->size = 0;
    t->next = p->n + 1;
    return p->n++;
}

static int
push_key(Parser *p, Py_ssize_t tok)
{
    if (p->nkeys == p->capkeys) {
        Py_ssize_t cap = p->capkeys ? p->capkeys * 2 : 32;
        Py_ssize_t *k = PyMem_Realloc(p->keys, cap * sizeof(Py_ssize_t));
        if (k == NULL) {
            PyErr_NoMemory();
            return NOMEM;
        }
        p->keys = k;
        p->capkeys = cap;
    }
    p->keys[p->nkeys++] = tok;
    return 0;
}

#define PCH(i) PyUnicode_READ(p->kind, p->d, (i))

static Py_ssize_t
skip_ws(Parser *p, Py_ssize_t pos)
{
    while (pos < p->len) {
        Py_UCS4 c = PCH(pos);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        pos++;
    }
    return pos;
}

static int
hex_value(Py_UCS4 c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

/* A string literal at ``pos`` (its opening quote); returns the position after it. */
static Py_ssize_t
parse_string(Parser *p, Py_ssize_t pos)
{
    Py_ssize_t i = push_tok(p, T_STR, pos + 1);
    if (i < 0)
        return i;
    pos++;
    while (pos < p->len) {
        if (p->kind == PyUnicode_1BYTE_KIND) {
            /* The usual text: skip the run of plain characters in one tight loop. */
            const Py_UCS1 *b = (const Py_UCS1 *)p->d;
            while (pos < p->len && b[pos] >= 0x20 && b[pos] != '"' && b[pos] != '\\')
                pos++;
            if (pos == p->len)
                break;
        }
        Py_UCS4 c = PCH(pos);
        if (c == '"') {
            p->toks[i].end = pos;
            return pos + 1;
        }
        if (c < 0x20)
            return BAD; /* json.loads is strict about control characters */
        if (c == '\\') {
            p->toks[i].escaped = 1;
            if (pos + 1 >= p->len)
                return BAD;
            Py_UCS4 e = PCH(pos + 1);
            if (e == 'u') {
                if (pos + 6 > p->len)
                    return BAD;
                for (int k = 2; k < 6; k++)
                    if (hex_value(PCH(pos + k)) < 0)
                        return BAD;
                pos += 6;
                continue;
            }
            if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't')
                return BAD;
            pos += 2;
            continue;
        }
        pos++;
    }
    return BAD;
}

static Py_ssize_t
parse_number(Parser *p, Py_ssize_t pos)
{
    Py_ssize_t i = push_tok(p, T_INT, pos);
    if (i < 0)
        return i;
    if (PCH(pos) == '-')
        pos++;
    if (pos >= p->len || !is_ascii_digit(PCH(pos)))
        return BAD; /* "-Infinity" included */
    if (PCH(pos) == '0')
        pos++;
    else
        while (pos < p->len && is_ascii_digit(PCH(pos)))
            pos++;
    if (pos - p->toks[i].start > 4000)
        return BAD; /* json.loads refuses integers past 4,300 digits (sys.int_info) */
    if (pos + 1 < p->len && PCH(pos) == '.' && is_ascii_digit(PCH(pos + 1))) {
        p->toks[i].type = T_FLOAT;
        pos++;
        while (pos < p->len && is_ascii_digit(PCH(pos)))
            pos++;
    }
    if (pos < p->len && (PCH(pos) == 'e' || PCH(pos) == 'E')) {
        Py_ssize_t e = pos + 1;
        if (e < p->len && (PCH(e) == '+' || PCH(e) == '-'))
            e++;
        if (e < p->len && is_ascii_digit(PCH(e))) {
            p->toks[i].type = T_FLOAT;
            pos = e;
            while (pos < p->len && is_ascii_digit(PCH(pos)))
                pos++;
        }
    }
    p->toks[i].end = pos;
    return pos;
}

static Py_ssize_t
parse_literal(Parser *p, Py_ssize_t pos, const char *word, unsigned char type)
{
    Py_ssize_t n = (Py_ssize_t)strlen(word);
    if (pos + n > p->len)
        return BAD;
    for (Py_ssize_t k = 0; k < n; k++)
        if (PCH(pos + k) != (Py_UCS4)word[k])
            return BAD;
    Py_ssize_t i = push_tok(p, type, pos);
    if (i < 0)
        return i;
    p->toks[i].end = pos + n;
    return pos + n;
}

/* A string token's value, as json.loads decodes it. New reference. */
static PyObject *
token_text(Parser *p, Tok *t)
{
    if (!t->escaped)
        return PyUnicode_Substring(p->text, t->start, t->end);
    Py_ssize_t cap = t->end - t->start, n = 0;
    Py_UCS4 *buf = PyMem_Malloc((size_t)(cap ? cap : 1) * sizeof(Py_UCS4));
    if (buf == NULL)
        return PyErr_NoMemory();
    int kind = p->kind;
    const void *d = p->d;
    for (Py_ssize_t pos = t->start; pos < t->end;) {
        Py_UCS4 c = PyUnicode_READ(kind, d, pos);
        if (c != '\\') {
            buf[n++] = c;
            pos++;
            continue;
        }
        Py_UCS4 e = PyUnicode_READ(kind, d, pos + 1);
        pos += 2;
        switch (e) {
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u':
            c = 0;
            for (int k = 0; k < 4; k++)
                c = c * 16 + (Py_UCS4)hex_value(PyUnicode_READ(kind, d, pos + k));
            pos += 4;
            /* A high surrogate escape followed by a low one is one character; a lone
             * surrogate stays as it is (as json.loads does). */
            if (c >= 0xD800 && c <= 0xDBFF && pos + 6 <= t->end && PyUnicode_READ(kind, d, pos) == '\\' &&
                PyUnicode_READ(kind, d, pos + 1) == 'u') {
                Py_UCS4 low = 0;
                for (int k = 2; k < 6; k++)
                    low = low * 16 + (Py_UCS4)hex_value(PyUnicode_READ(kind, d, pos + k));
                if (low >= 0xDC00 && low <= 0xDFFF) {
                    c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                    pos += 6;
                }
            }
            break;
        default: c = e; /* " \\ / */
        }
        buf[n++] = c;
    }
    PyObject *s = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n);
    PyMem_Free(buf);
    return s;
}

static Py_ssize_t parse_value(Parser *p, Py_ssize_t pos, int level);

/* For qsort of key tokens: the parser whose keys are sorted (the GIL is held). */
static Parser *sorting;

static int
key_cmp(const void *a, const void *b)
{
    const Tok *x = &sorting->toks[*(const Py_ssize_t *)a], *y = &sorting->toks[*(const Py_ssize_t *)b];
    Py_ssize_t lx = x->end - x->start, ly = y->end - y->start;
    if (lx != ly)
        return lx < ly ? -1 : 1;
    int k = sorting->kind;
    return memcmp((const char *)sorting->d + x->start * k, (const char *)sorting->d + y->start * k, (size_t)(lx * k));
}

/* Whether two keys decode the same, with escaped keys decoded: 1 yes, 0 no, -1 error. */
static int
escaped_duplicates(Parser *p, Py_ssize_t *keys, Py_ssize_t n)
{
    PyObject *seen = PySet_New(NULL);
    if (seen == NULL)
        return -1;
    int found = 0;
    for (Py_ssize_t a = 0; a < n && !found; a++) {
        PyObject *key = token_text(p, &p->toks[keys[a]]);
        if (key == NULL) {
            found = -1;
            break;
        }
        found = PySet_Contains(seen, key);
        if (found == 0 && PySet_Add(seen, key) < 0)
            found = -1;
        Py_DECREF(key);
    }
    Py_DECREF(seen);
    return found;
}

/* json.loads keeps the last of duplicate keys at the first one's place; documents that
 * have any are left to the Python walker. 1 yes, 0 no, -1 error. */
static int
has_duplicate_keys(Parser *p, Py_ssize_t *keys, Py_ssize_t n)
{
    if (n < 2)
        return 0;
    for (Py_ssize_t a = 0; a < n; a++)
        if (p->toks[keys[a]].escaped)
            return escaped_duplicates(p, keys, n);
    sorting = p;
    if (n <= 8) {
        for (Py_ssize_t a = 0; a < n; a++)
            for (Py_ssize_t b = a + 1; b < n; b++)
                if (key_cmp(&keys[a], &keys[b]) == 0)
                    return 1;
        return 0;
    }
    qsort(keys, (size_t)n, sizeof(Py_ssize_t), key_cmp);
    for (Py_ssize_t a = 1; a < n; a++)
        if (key_cmp(&keys[a - 1], &keys[a]) == 0)
            return 1;
    return 0;
}

static Py_ssize_t
parse_container(Parser *p, Py_ssize_t pos, int level, int is_object)
{
    if (level >= MAX_NESTING)
        return BAD;
    Py_ssize_t i = push_tok(p, is_object ? T_OBJ : T_ARR, pos);
    if (i < 0)
        return i;
    Py_UCS4 close = is_object ? '}' : ']';
    Py_ssize_t keys_base = p->nkeys, count = 0;
    pos = skip_ws(p, pos + 1);
    if (pos < p->len && PCH(pos) == close) {
        pos++;
    }
    else {
        for (;;) {
            if (is_object) {
                if (pos >= p->len || PCH(pos) != '"')
                    return BAD;
                if (push_key(p, p->n) < 0)
                    return NOMEM;
                pos = parse_string(p, pos);
                if (pos < 0)
                    return pos;
                pos = skip_ws(p, pos);
                if (pos >= p->len || PCH(pos) != ':')
                    return BAD;
                pos = skip_ws(p, pos + 1);
            }
            pos = parse_value(p, pos, level + 1);
            if (pos < 0)
                return pos;
            count++;
            pos = skip_ws(p, pos);
            if (pos >= p->len)
                return BAD;
            Py_UCS4 c = PCH(pos);
            if (c == ',') {
                pos = skip_ws(p, pos + 1);
                continue;
            }
            if (c == close) {
                pos++;
                break;
            }
            return BAD;
        }
    }
    if (is_object) {
        int dup = has_duplicate_keys(p, p->keys + keys_base, p->nkeys - keys_base);
        if (dup != 0)
            return dup < 0 ? NOMEM : BAD;
    }
    p->nkeys = keys_base;
    p->toks[i].size = count;
    p->toks[i].end = pos;
    p->toks[i].next = p->n;
    return pos;
}

static Py_ssize_t
parse_value(Parser *p, Py_ssize_t pos, int level)
{
    if (pos >= p->len)
        return BAD;
    Py_UCS4 c = PCH(pos);
    switch (c) {
    case '{':
        return parse_container(p, pos, level, 1);
    case '[':
        return parse_container(p, pos, level, 0);
    case '"':
        return parse_string(p, pos);
    case 't':
        return parse_literal(p, pos, "true", T_TRUE);
    case 'f':
        return parse_literal(p, pos, "false", T_FALSE);
    case 'n':
        return parse_literal(p, pos, "null", T_NULL);
    default:
        if (c == '-' || is_ascii_digit(c))
            return parse_number(p, pos);
        return BAD; /* NaN and Infinity included: json.loads reads them, we do not */
    }
}

#undef PCH

/* --- the walk (structure.Walker._json and _scalar) ----------------------------------- */

typedef struct {
    Parser *p;
    PyObject *walker, *text, *loc, *enc, *depth;
    /* The walker's state, read once per document. */
    PyObject *out, *stats, *hints, *flags;
    long max_level, depth_value, max_depth;
    Py_ssize_t max_fields, max_chars;
    int keep_all;
} Walk;

static int
count(PyObject *stats, PyObject *key)
{
    /* stats[key] = stats.get(key, 0) + 1 */
    PyObject *n = PyDict_GetItemWithError(stats, key);
    if (n == NULL && PyErr_Occurred())
        return -1;
    long value = n ? PyLong_AsLong(n) : 0;
    if (value == -1 && PyErr_Occurred())
        return -1;
    PyObject *m = PyLong_FromLong(value + 1);
    if (m == NULL)
        return -1;
    int r = PyDict_SetItem(stats, key, m);
    Py_DECREF(m);
    return r;
}

/* cache[key] when structure.py has cached it, else fn(key), which fills the cache as it
 * sees fit. New reference. */
static PyObject *
cached(PyObject *cache, PyObject *fn, PyObject *key)
{
    PyObject *got = PyDict_GetItemWithError(cache, key);
    if (got != NULL)
        return Py_NewRef(got);
    if (PyErr_Occurred())
        return NULL;
    return PyObject_CallOneArg(fn, key);
}

/* structure._tok: field-name tokens. New reference. */
static PyObject *
tokens_of(PyObject *name)
{
    if (PyUnicode_GET_LENGTH(name) == 0)
        return Py_NewRef(EMPTY);
    return cached(TOKEN_CACHE, TOK_FN, name);
}

/* Whether the ':' at i has a quote before it or, after at most one blank, after it: a
 * record's key or value ("'ssn': ...", 'firstName: "Sarah"'), as textpairs.may_hold_pairs
 * looks for it. */
static int
quoted_colon(int kind, const void *d, Py_ssize_t n, Py_ssize_t i)
{
    Py_UCS4 before = i > 0 ? PyUnicode_READ(kind, d, i - 1) : 0;
    Py_UCS4 after = i + 1 < n ? PyUnicode_READ(kind, d, i + 1) : 0;
    if (after == ' ' && i + 2 < n)
        after = PyUnicode_READ(kind, d, i + 2);
    return before == '\'' || before == '"' || after == '\'' || after == '"';
}

/* Walker._value: a string value dropped or kept as a segment; one that may hide a layer
 * (JSON, XML, HTML, a URL or query, %-escapes, character references, a record or a table written in text) first
 * goes to Walker._nested_text, which may replace it by its parts. */
static int
emit_value_as(Walk *w, PyObject *text, PyObject *path, PyObject *tokens, PyObject *ptokens, PyObject *enc,
              int machine)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n == 0)
        return 0;
    if (PyList_GET_SIZE(w->out) >= w->max_fields)
        return count(w->stats, S_FIELDS_DROPPED);
    PyObject *cut = NULL;
    if (n > w->max_chars) {
        cut = PyUnicode_Substring(text, 0, w->max_chars);
        if (cut == NULL || count(w->stats, S_TRUNCATED) < 0) {
            Py_XDECREF(cut);
            return -1;
        }
        text = cut;
        n = w->max_chars;
    }
    int r = -1, shape = machine ? 1 : machine_shape_impl(text, tokens);
    if (shape < 0)
        goto done;
    if (!shape && w->depth_value < w->max_depth) {
        int kind = PyUnicode_KIND(text);
        const void *d = PyUnicode_DATA(text);
        Py_UCS4 c0 = PyUnicode_READ(kind, d, 0);
        /* and an HL7 v2 message, "MSH|^~\&|...": hl7v2.is_hl7v2 */
        int layered = c0 == '{' || c0 == '[' || c0 == '<' ||
                      (c0 == 'M' && n > 8 && PyUnicode_READ(kind, d, 1) == 'S' && PyUnicode_READ(kind, d, 2) == 'H' &&
                       PyUnicode_READ(kind, d, 3) == '|');
        for (Py_ssize_t i = 0; i < n && !layered; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, d, i);
            layered = c == '?' || c == '=' || c == '%' || c == '&' || c == '\n' || (c == ':' && quoted_colon(kind, d, n, i));
        }
        if (layered) {
            PyObject *args[10] = {NULL, w->walker, text, w->loc, path, tokens, ptokens, enc, w->depth, Py_None};
            PyObject *res =
                PyObject_VectorcallMethod(S_NESTED_TEXT, args + 1, 9 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
            if (res == NULL)
                goto done;
            int replaced = PyObject_IsTrue(res);
            Py_DECREF(res);
            if (replaced != 0) {
                r = replaced < 0 ? -1 : 0;
                goto done;
            }
        }
    }
    if (shape && !w->keep_all) {
        int dj = disjoint(w->hints, tokens);
        if (dj != 0) {
            r = dj < 0 ? -1 : 0; /* a machine value no field-name recogniser wants */
            goto done;
        }
    }
    PyObject *args[9] = {NULL, text, w->loc, path, tokens, ptokens, enc, w->depth, shape ? Py_False : Py_True};
    PyObject *seg = PyObject_Vectorcall(NEW_SEGMENT, args + 1, 8 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    if (seg == NULL)
        goto done;
    r = PyList_Append(w->out, seg);
    Py_DECREF(seg);
done:
    Py_XDECREF(cut);
    return r;
}

static int
emit_value(Walk *w, PyObject *text, PyObject *path, PyObject *tokens, PyObject *ptokens, int machine)
{
    return emit_value_as(w, text, path, tokens, ptokens, w->enc, machine);
}

/* _add(text, ...): a value under the tokens of ``name`` and ``parent``. */
static int
emit_named_as(Walk *w, PyObject *text, PyObject *path, PyObject *name, PyObject *parent, PyObject *enc, int machine)
{
    PyObject *tok = tokens_of(name);
    if (tok == NULL)
        return -1;
    PyObject *ptok = tokens_of(parent);
    if (ptok == NULL) {
        Py_DECREF(tok);
        return -1;
    }
    int r = emit_value_as(w, text, path, tok, ptok, enc, machine);
    Py_DECREF(tok);
    Py_DECREF(ptok);
    return r;
}

static int
emit_named(Walk *w, PyObject *text, PyObject *path, PyObject *name, PyObject *parent, int machine)
{
    return emit_named_as(w, text, path, name, parent, w->enc, machine);
}

static PyObject *
float_of(Walk *w, Tok *t)
{
    PyObject *lit = PyUnicode_Substring(w->text, t->start, t->end);
    if (lit == NULL)
        return NULL;
    PyObject *f = PyFloat_FromString(lit);
    Py_DECREF(lit);
    return f;
}

/* The digits of an integer token, its sign left out. */
static Py_ssize_t
int_digits(Walk *w, Tok *t)
{
    return t->end - t->start - (PyUnicode_READ(w->p->kind, w->p->d, t->start) == '-');
}

/* Walker._scalar for a number or a top-level string. */
static int
emit_scalar(Walk *w, Tok *t, PyObject *path, PyObject *name, PyObject *parent)
{
    if (t->type == T_STR) {
        if (t->end == t->start)
            return 0;
        PyObject *s = token_text(w->p, t);
        if (s == NULL)
            return -1;
        int r = emit_named(w, s, path, name, parent, 0);
        Py_DECREF(s);
        return r;
    }
    if (t->type == T_INT) {
        /* Numbers are scanned only when long enough to be a phone, card or id number; a
         * shorter one is kept, as a machine value, under a name a field recogniser reads. */
        int small = int_digits(w, t) < 7;
        if (small) {
            PyObject *tok = tokens_of(name);
            int dj = tok ? disjoint(w->hints, tok) : -1;
            Py_XDECREF(tok);
            if (dj != 0)
                return dj < 0 ? -1 : 0;
        }
        PyObject *s = PyUnicode_Substring(w->text, t->start, t->end);
        if (s == NULL)
            return -1;
        int r = emit_named(w, s, path, name, parent, small);
        Py_DECREF(s);
        return r;
    }
    if (t->type == T_FLOAT) {
        /* A lone float may be a coordinate: the field pass and the watchlist look at it. As
         * a machine value it is kept only under a name a field recogniser wants: under any
         * other (most floats: prices, metrics), it is dropped before the costly conversion,
         * which emit_value_as would reach with nothing else done while room is left and no
         * float's repr (at most 24 characters) would be cut. */
        if (!w->keep_all && PyList_GET_SIZE(w->out) < w->max_fields && w->max_chars >= 24) {
            PyObject *tok = tokens_of(name);
            if (tok == NULL)
                return -1;
            int dj = disjoint(w->hints, tok);
            Py_DECREF(tok);
            if (dj != 0)
                return dj < 0 ? -1 : 0;
        }
        PyObject *f = float_of(w, t);
        if (f == NULL)
            return -1;
        double v = PyFloat_AS_DOUBLE(f);
        if (!(v >= -180.0 && v <= 180.0)) {
            Py_DECREF(f);
            return 0;
        }
        PyObject *s = PyObject_Repr(f);
        Py_DECREF(f);
        if (s == NULL)
            return -1;
        int r = 0;
        {
            Py_ssize_t n = PyUnicode_GET_LENGTH(s);
            Py_ssize_t dot = PyUnicode_FindChar(s, '.', 0, n, 1);
            if (dot == -2)
                r = -1;
            else if (dot >= 0 && n - dot > 3)
                r = emit_named(w, s, path, name, parent, 1);
        }
        Py_DECREF(s);
        return r;
    }
    return 0; /* true, false, null */
}

static int emit_node(Walk *w, Py_ssize_t i, PyObject *path, PyObject *name, PyObject *parent, long level);

/* A member or item: the same dispatch as in Walker._json's loops. */
static int
emit_child(Walk *w, Py_ssize_t v, PyObject *sp, PyObject *tok, PyObject *ptok, PyObject *name, PyObject *parent,
           long level)
{
    Tok *t = &w->p->toks[v];
    switch (t->type) {
    case T_STR: {
        if (t->end == t->start)
            return 0;
        PyObject *s = token_text(w->p, t);
        if (s == NULL)
            return -1;
        int r = emit_value(w, s, sp, tok, ptok, 0);
        Py_DECREF(s);
        return r;
    }
    case T_OBJ:
    case T_ARR:
        return emit_node(w, v, sp, name, parent, level + 1);
    case T_INT:
    case T_FLOAT:
        return emit_scalar(w, t, sp, name, parent);
    default:
        return 0;
    }
}

static int
emit_array(Walk *w, Py_ssize_t i, PyObject *path, PyObject *name, PyObject *parent, PyObject *ntok, long level)
{
    Tok *toks = w->p->toks;
    Py_ssize_t size = toks[i].size;
    int r = -1;
    PyObject *sp = PyUnicode_Concat(path, BRACKETS);
    PyObject *ptok = sp ? tokens_of(parent) : NULL;
    if (ptok == NULL)
        goto done;
    if (size >= 2 && size <= 3 && toks[i + 1].type == T_FLOAT && toks[toks[i + 1].next].type == T_FLOAT) {
        /* [lng, lat] or [lat, lng] under a position's name: one "lat, lng" text */
        int dj = disjoint(GEO_PAIR, ntok);
        if (dj < 0)
            goto done;
        if (!dj) {
            PyObject *a = float_of(w, &toks[i + 1]);
            PyObject *b = a ? float_of(w, &toks[toks[i + 1].next]) : NULL;
            PyObject *pair = b ? PyObject_CallFunctionObjArgs(GEO_PAIR_FN, a, b, ntok, NULL) : NULL;
            Py_XDECREF(a);
            Py_XDECREF(b);
            if (pair == NULL)
                goto done;
            int e = emit_value(w, pair, path, ntok, ptok, 0);
            Py_DECREF(pair);
            if (e < 0)
                goto done;
        }
    }
    for (Py_ssize_t k = 0, v = i + 1; k < size; k++, v = toks[v].next) {
        if (emit_child(w, v, sp, ntok, ptok, name, parent, level) < 0)
            goto done;
        toks = w->p->toks;
    }
    r = 0;
done:
    Py_XDECREF(sp);
    Py_XDECREF(ptok);
    return r;
}

/* --- name/value pairs (structure._pair_name) ------------------------------------------ */

static const char *const PAIR_NAME_KEYS[] = {"name", "key", "field", "attribute", "property", "type", "kind", "label", "idtype",
                                             "id_type", "documenttype", "document_type", "doctype", "doc_type", "system",
                                             NULL};
static const char *const PAIR_VALUE_KEYS[] = {"value", "values", "val", "idvalue", "id_value", "number", "documentnumber",
                                              "document_number", "docnumber", "doc_number", "idnumber", "id_number",
                                              NULL};

static const char *const SYSTEM_KEY[] = {"system", NULL};
static const char *const PLAIN_VALUE_KEYS[] = {"value", "values", NULL};

/* Whether characters [start, start + n) are one of ``words`` in any ASCII case. */
static int
ascii_word_in(int kind, const void *d, Py_ssize_t start, Py_ssize_t n, const char *const *words)
{
    if (n == 0)
        return 0;
    Py_UCS4 first = PyUnicode_READ(kind, d, start);
    if (first >= 'A' && first <= 'Z')
        first += 'a' - 'A';
    for (const char *const *w = words; *w; w++) {
        if ((Py_UCS4)(unsigned char)(*w)[0] != first || (Py_ssize_t)strlen(*w) != n)
            continue; /* the first letter first: most keys are none of the words */
        Py_ssize_t i = 0;
        for (; i < n; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, d, start + i);
            if (c >= 'A' && c <= 'Z')
                c += 'a' - 'A';
            if (c != (Py_UCS4)(unsigned char)(*w)[i])
                break;
        }
        if (i == n)
            return 1;
    }
    return 0;
}

/* Whether a key, decoded, is one of ``words``: 1 yes, 0 no, -1 error. */
static int
key_in(Parser *p, Tok *t, const char *const *words)
{
    if (!t->escaped)
        return ascii_word_in(p->kind, p->d, t->start, t->end - t->start, words);
    PyObject *k = token_text(p, t);
    if (k == NULL)
        return -1;
    int r = ascii_word_in(PyUnicode_KIND(k), PyUnicode_DATA(k), 0, PyUnicode_GET_LENGTH(k), words);
    Py_DECREF(k);
    return r;
}

/* Whether ``s`` starts as an identifier system's URI does: "http://", "https://", "urn:". */
static int
is_uri(PyObject *s)
{
    static const char *const prefixes[] = {"http://", "https://", "urn:", NULL};
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *d = PyUnicode_DATA(s);
    for (const char *const *p = prefixes; *p; p++) {
        Py_ssize_t m = (Py_ssize_t)strlen(*p), i = 0;
        if (m > n)
            continue;
        while (i < m && PyUnicode_READ(kind, d, i) == (Py_UCS4)(unsigned char)(*p)[i])
            i++;
        if (i == m)
            return 1;
    }
    return 0;
}

/* The field name an object of up to 6 members gives its value members ({"name": "email",
 * "value": ...}) into *name (a new reference, or NULL when it is no such pair), and a bit
 * per value member into *value_at; without a name key, a plain "value" goes by the
 * object's own name ``own`` ({"first_name": {"value": ...}}). With 5 or 6 members only "system" names a value (a
 * FHIR identifier; {"type": "scheme", "number": ..., "cvc": ...} is a record). -1 on
 * error. The value keys are looked for first: {"name": "analytics.js", "version": ...}
 * is common and needs no name decoded. structure._pair_name's twin. */
static int
pair_name(Parser *p, Py_ssize_t i, PyObject *own, PyObject **name, unsigned *value_at)
{
    Tok *toks = p->toks;
    Py_ssize_t size = toks[i].size;
    *name = NULL;
    *value_at = 0;
    int plain = 1; /* every value key is a plain "value" */
    for (Py_ssize_t k = 0, kt = i + 1; k < size; k++) {
        int is_value = key_in(p, &toks[kt], PAIR_VALUE_KEYS);
        if (is_value < 0)
            return -1;
        if (is_value) {
            *value_at |= 1u << k;
            int is_plain = key_in(p, &toks[kt], PLAIN_VALUE_KEYS);
            if (is_plain < 0)
                return -1;
            plain &= is_plain;
        }
        kt = toks[kt + 1].next;
    }
    if (*value_at == 0)
        return 0;
    int named = 0, wide = size > 4;
    for (Py_ssize_t k = 0, kt = i + 1; k < size; k++) {
        Py_ssize_t v = kt + 1;
        if (!(*value_at >> k & 1)) {
            int is_name = key_in(p, &toks[kt], wide ? SYSTEM_KEY : PAIR_NAME_KEYS);
            if (is_name < 0)
                return -1;
            named |= is_name;
            if (is_name && toks[v].type == T_STR && toks[v].end > toks[v].start) {
                PyObject *s = token_text(p, &toks[v]);
                PyObject *safe = s ? cached(PATH_CACHE, PATH_NAME_FN, s) : NULL;
                int eq = safe ? PyObject_RichCompareBool(safe, s, Py_EQ) : -1;
                Py_XDECREF(safe);
                if (eq > 0) {
                    *name = s;
                    return 0;
                }
                if (eq == 0 && is_uri(s)) {
                    /* An identifier system's URI names its value (structure._uri_name). */
                    Py_SETREF(s, PyObject_CallOneArg(URI_NAME_FN, s));
                    if (s == NULL)
                        return -1;
                    if (PyUnicode_Check(s) && PyUnicode_GET_LENGTH(s) > 0) {
                        *name = s;
                        return 0;
                    }
                }
                Py_XDECREF(s);
                if (eq < 0)
                    return -1;
            }
        }
        kt = toks[v].next;
    }
    if (plain && !named && !wide && PyUnicode_GET_LENGTH(own) > 0)
        *name = Py_NewRef(own);
    return 0;
}

/* {"key": "user.phone", "value": {"stringValue": ...}} (OTLP/JSON, protobuf Struct): the
 * one scalar in a pair's value wrapper goes by the pair's name too. Moves *v to that
 * scalar and appends its key to *sp when it is one (a string, a float or an integer of
 * 7 digits or more, under a key that reads as a name). structure.Walker._json's twin. */
static int
unwrap_scalar(Walk *w, Py_ssize_t *v, PyObject **sp)
{
    Tok *ik = &w->p->toks[*v + 1], *iv = &w->p->toks[*v + 2];
    int scalar = iv->type == T_STR || iv->type == T_FLOAT || (iv->type == T_INT && int_digits(w, iv) >= 7);
    if (!scalar || ik->end == ik->start)
        return 0;
    PyObject *key = token_text(w->p, ik);
    if (key == NULL)
        return -1;
    PyObject *entry = cached(KEY_CACHE, KEY_FN, key);
    Py_DECREF(key);
    if (entry == NULL)
        return -1;
    if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 3) {
        Py_DECREF(entry);
        PyErr_SetString(PyExc_TypeError, "structure._key must return a 3-tuple");
        return -1;
    }
    if (PyTuple_GET_ITEM(entry, 0) == Py_True) {
        PyObject *longer = PyUnicode_Concat(*sp, PyTuple_GET_ITEM(entry, 1));
        if (longer == NULL) {
            Py_DECREF(entry);
            return -1;
        }
        Py_SETREF(*sp, longer);
        *v += 2;
    }
    Py_DECREF(entry);
    return 0;
}

static int
emit_object(Walk *w, Py_ssize_t i, PyObject *path, PyObject *name, PyObject *parent, PyObject *ntok, long level)
{
    Tok *toks = w->p->toks;
    Py_ssize_t size = toks[i].size;
    PyObject *pair = NULL;
    unsigned value_at = 0;
    if (size <= 6 && pair_name(w->p, i, name, &pair, &value_at) < 0)
        return -1;
    for (Py_ssize_t k = 0, kt = i + 1; k < size; k++) {
        Py_ssize_t v = kt + 1; /* a key is one token */
        Tok *vt = &toks[v];
        Py_ssize_t after = vt->next;
        PyObject *sp = NULL, *sn = NULL, *spar = NULL, *ktok = NULL, *ptok = NULL;
        int r = -1, flag = 0;
        if (toks[kt].end == toks[kt].start) {
            /* An empty key reads as a list item. */
            sp = PyUnicode_Concat(path, BRACKETS);
            sn = Py_NewRef(name);
            spar = Py_NewRef(parent);
            ktok = Py_NewRef(ntok);
            ptok = sp ? tokens_of(parent) : NULL;
            if (ptok == NULL)
                goto next;
        }
        else {
            PyObject *key = token_text(w->p, &toks[kt]);
            if (key == NULL)
                goto next;
            PyObject *entry = cached(KEY_CACHE, KEY_FN, key);
            if (entry == NULL || !PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 3) {
                if (entry != NULL)
                    PyErr_SetString(PyExc_TypeError, "structure._key must return a 3-tuple");
                Py_XDECREF(entry);
                Py_DECREF(key);
                goto next;
            }
            int safe = PyTuple_GET_ITEM(entry, 0) == Py_True;
            PyObject *suffix = PyTuple_GET_ITEM(entry, 1);
            if (!safe) {
                /* A map keyed by data: the key is a value to scan, the path must not carry it. */
                PyObject *star = PyUnicode_Concat(path, STAR);
                int e = star ? emit_value(w, key, star, EMPTY, EMPTY, 0) : -1;
                Py_XDECREF(star);
                if (e < 0) {
                    Py_DECREF(entry);
                    Py_DECREF(key);
                    goto next;
                }
            }
            int small_int = vt->type == T_INT && int_digits(w, vt) < 7;
            if (small_int) {
                /* Kept under a field a recogniser reads by name ({"dob": {"year": 1982}}). */
                small_int = disjoint(w->hints, PyTuple_GET_ITEM(entry, 2));
                if (small_int < 0) {
                    Py_DECREF(entry);
                    Py_DECREF(key);
                    goto next;
                }
            }
            /* A true under a flag's name is read ({"has_diabetes": true}); other booleans are not. */
            if (vt->type == T_TRUE) {
                /* Its own name or its pair's ({"name": "pregnant", "value": true}). */
                PyObject *named = pair != NULL && (value_at >> k & 1) ? tokens_of(pair)
                                                                       : Py_NewRef(PyTuple_GET_ITEM(entry, 2));
                int dj = named ? disjoint(w->flags, named) : -1;
                Py_XDECREF(named);
                if (dj < 0) {
                    Py_DECREF(entry);
                    Py_DECREF(key);
                    goto next;
                }
                flag = !dj;
            }
            if (small_int || (vt->type == T_TRUE && !flag) || vt->type == T_FALSE || vt->type == T_NULL) {
                Py_DECREF(entry);
                Py_DECREF(key);
                r = 0;
                goto next;
            }
            sp = PyUnicode_Concat(path, suffix);
            sn = safe ? Py_NewRef(key) : Py_NewRef(EMPTY_STR);
            spar = Py_NewRef(name);
            ktok = Py_NewRef(PyTuple_GET_ITEM(entry, 2));
            ptok = Py_NewRef(ntok);
            Py_DECREF(entry);
            Py_DECREF(key);
            if (sp == NULL)
                goto next;
            if (pair != NULL && (value_at >> k & 1)) {
                /* The value goes by its pair's name. */
                Py_SETREF(sn, Py_NewRef(pair));
                Py_SETREF(ktok, tokens_of(pair));
                if (ktok == NULL)
                    goto next;
                if (vt->type == T_OBJ && vt->size == 1 && unwrap_scalar(w, &v, &sp) < 0)
                    goto next;
            }
        }
        r = flag ? emit_named(w, TRUE_TEXT, sp, sn, spar, 1) : emit_child(w, v, sp, ktok, ptok, sn, spar, level);
    next:
        Py_XDECREF(sp);
        Py_XDECREF(sn);
        Py_XDECREF(spar);
        Py_XDECREF(ktok);
        Py_XDECREF(ptok);
        if (r < 0) {
            Py_XDECREF(pair);
            return -1;
        }
        toks = w->p->toks;
        kt = after;
    }
    Py_XDECREF(pair);
    return 0;
}

static int
emit_node(Walk *w, Py_ssize_t i, PyObject *path, PyObject *name, PyObject *parent, long level)
{
    if (level > w->max_level) {
        /* Deeper documents are counted and cut, as Walker._json does. */
        return count(w->stats, S_DEPTH_LIMITED);
    }
    Tok *t = &w->p->toks[i];
    if (t->type != T_OBJ && t->type != T_ARR)
        return emit_scalar(w, t, path, name, parent);
    PyObject *ntok = tokens_of(name);
    if (ntok == NULL)
        return -1;
    int r = t->type == T_ARR ? emit_array(w, i, path, name, parent, ntok, level)
                             : emit_object(w, i, path, name, parent, ntok, level);
    Py_DECREF(ntok);
    return r;
}

static PyObject *S_OUT, *S_STATS, *S_HINTS, *S_FLAG_HINTS, *S_KEEP_ALL, *S_MAX_DEPTH, *S_MAX_FIELDS, *S_MAX_CHARS;

static long
long_attr(PyObject *obj, PyObject *name)
{
    PyObject *v = PyObject_GetAttr(obj, name);
    if (v == NULL)
        return -1;
    long r = PyLong_AsLong(v);
    Py_DECREF(v);
    return r;
}

/* The Walker's state the walk needs; references are released by walk_json. */
static int
read_walker(Walk *w)
{
    w->out = PyObject_GetAttr(w->walker, S_OUT);
    w->stats = w->out ? PyObject_GetAttr(w->walker, S_STATS) : NULL;
    w->hints = w->stats ? PyObject_GetAttr(w->walker, S_HINTS) : NULL;
    w->flags = w->hints ? PyObject_GetAttr(w->walker, S_FLAG_HINTS) : NULL;
    if (w->flags == NULL)
        return -1;
    if (!PyList_Check(w->out) || !PyDict_Check(w->stats)) {
        PyErr_SetString(PyExc_TypeError, "Walker.out must be a list and Walker.stats a dict");
        return -1;
    }
    PyObject *keep = PyObject_GetAttr(w->walker, S_KEEP_ALL);
    if (keep == NULL)
        return -1;
    w->keep_all = PyObject_IsTrue(keep);
    Py_DECREF(keep);
    w->max_depth = long_attr(w->walker, S_MAX_DEPTH);
    w->max_fields = long_attr(w->walker, S_MAX_FIELDS);
    w->max_chars = long_attr(w->walker, S_MAX_CHARS);
    w->depth_value = PyLong_AsLong(w->depth);
    if (w->keep_all < 0 || PyErr_Occurred())
        return -1;
    w->max_level = w->max_depth + 32;
    return 0;
}

/* walk_json(walker, text, location, path, depth, encoding) -> bool
 * Walker.walk_json(json.loads(text), location, path, depth, encoding), when text is JSON
 * this file reads; False, having emitted nothing, when it is not. */
static PyObject *
walk_json(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyUnicode_Check(args[1]) || !PyUnicode_Check(args[3]) || !PyLong_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "walk_json(walker, text: str, location: str, path: str, depth: int, encoding: str)");
        return NULL;
    }
    if (TOKEN_CACHE == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "detectors.pii._walk: bind() was not called");
        return NULL;
    }
    PyObject *text = args[1];
    Parser p = {0};
    p.text = text;
    p.kind = PyUnicode_KIND(text);
    p.d = PyUnicode_DATA(text);
    p.len = PyUnicode_GET_LENGTH(text);
    PyObject *result = NULL;
    Walk w = {0};
    Py_ssize_t pos = skip_ws(&p, 0);
    pos = parse_value(&p, pos, 0);
    if (pos == NOMEM)
        goto done;
    if (pos < 0 || skip_ws(&p, pos) != p.len) {
        result = Py_NewRef(Py_False);
        goto done;
    }
    w.p = &p;
    w.walker = args[0];
    w.text = text;
    w.loc = args[2];
    w.enc = args[5];
    w.depth = args[4];
    if (read_walker(&w) < 0)
        goto done;
    if (emit_node(&w, 0, args[3], EMPTY_STR, EMPTY_STR, 0) < 0)
        goto done;
    result = Py_NewRef(Py_True);
done:
    Py_XDECREF(w.out);
    Py_XDECREF(w.stats);
    Py_XDECREF(w.hints);
    Py_XDECREF(w.flags);
    PyMem_Free(p.toks);
    PyMem_Free(p.keys);
    return result;
}

/* --- query strings and forms (structure.Walker.query) ------------------------------- */

static inline int
hex_digit(Py_UCS1 c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* structure._pct_decode(s, plus): %-escapes decoded as UTF-8 (errors replaced), and "+"
 * as a space with ``plus``. ASCII text here; other text through the Python function. */
static PyObject *
pct_decode(PyObject *s, int plus)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (!PyUnicode_IS_ASCII(s)) {
        PyObject *args[2] = {s, plus ? Py_True : Py_False};
        return PyObject_Vectorcall(PCT_DECODE_FN, args, 2, NULL);
    }
    const Py_UCS1 *c = PyUnicode_1BYTE_DATA(s);
    int pct = memchr(c, '%', (size_t)n) != NULL, has_plus = plus && memchr(c, '+', (size_t)n) != NULL;
    if (!pct && !has_plus)
        return Py_NewRef(s);
    char small[256] = {0};
    char *buf = n <= (Py_ssize_t)sizeof small ? small : PyMem_Malloc((size_t)n);
    if (buf == NULL)
        return PyErr_NoMemory();
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS1 ch = c[i];
        if (ch == '%' && i + 2 < n && hex_digit(c[i + 1]) && hex_digit(c[i + 2])) {
            buf[k++] = (char)(hex_value(c[i + 1]) * 16 + hex_value(c[i + 2]));
            i += 2;
        }
        else
            buf[k++] = (char)(ch == '+' && has_plus ? ' ' : ch);
    }
    PyObject *out = PyUnicode_DecodeUTF8(buf, k, "replace");
    if (buf != small)
        PyMem_Free(buf);
    return out;
}

/* structure._path_name: ``name`` if it reads like a field name, else "*". */
static PyObject *
path_name(PyObject *name)
{
    return cached(PATH_CACHE, PATH_NAME_FN, name);
}

static int
query_pair(Walk *w, PyObject *pair, PyObject *prefix, PyObject *parent, int plus)
{
    PyObject *name = NULL, *value = NULL, *name_d = NULL, *value_d = NULL, *safe = NULL, *path = NULL;
    int r = -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(pair);
    Py_ssize_t eq = PyUnicode_FindChar(pair, '=', 0, n, 1);
    if (eq == -2)
        return -1;
    if (eq < 0) {
        /* A bare value ("?jane@example.com") is scanned under the prefix alone. */
        name = Py_NewRef(EMPTY_STR);
        value = Py_NewRef(pair);
    }
    else {
        name = PyUnicode_Substring(pair, 0, eq);
        value = name ? PyUnicode_Substring(pair, eq + 1, n) : NULL;
        if (value == NULL)
            goto done;
    }
    Py_ssize_t nn = PyUnicode_GET_LENGTH(name), vn = PyUnicode_GET_LENGTH(value);
    int name_escaped = PyUnicode_FindChar(name, '%', 0, nn, 1) >= 0 || PyUnicode_FindChar(name, '+', 0, nn, 1) >= 0;
    name_d = name_escaped ? pct_decode(name, plus) : Py_NewRef(name);
    if (name_d == NULL)
        goto done;
    int value_pct = PyUnicode_FindChar(value, '%', 0, vn, 1) >= 0;
    PyObject *enc = ENC_PLAIN;
    if (value_pct || (plus && PyUnicode_FindChar(value, '+', 0, vn, 1) >= 0)) {
        value_d = pct_decode(value, plus);
        if (value_d == NULL)
            goto done;
        if (value_pct) {
            int same = PyUnicode_Compare(value_d, value) == 0;
            if (PyErr_Occurred())
                goto done;
            if (!same)
                enc = ENC_URL;
        }
    }
    else
        value_d = Py_NewRef(value);
    safe = path_name(name_d);
    if (safe == NULL)
        goto done;
    int safe_is_name = PyUnicode_Compare(safe, name_d) == 0;
    if (PyErr_Occurred())
        goto done;
    if (!safe_is_name) {
        PyObject *star = PyUnicode_Concat(prefix, STAR);
        int e = star ? emit_named_as(w, name_d, star, EMPTY_STR, EMPTY_STR, ENC_PLAIN, 0) : -1;
        Py_XDECREF(star);
        if (e < 0)
            goto done;
    }
    if (PyUnicode_GET_LENGTH(name_d)) {
        PyObject *dotted = PyUnicode_Concat(prefix, DOT);
        path = dotted ? PyUnicode_Concat(dotted, safe) : NULL;
        Py_XDECREF(dotted);
        if (path == NULL)
            goto done;
    }
    else
        path = Py_NewRef(prefix);
    r = emit_named_as(w, value_d, path, safe_is_name ? name_d : EMPTY_STR, parent, enc, 0);
done:
    Py_XDECREF(name);
    Py_XDECREF(value);
    Py_XDECREF(name_d);
    Py_XDECREF(value_d);
    Py_XDECREF(safe);
    Py_XDECREF(path);
    return r;
}

/* query(walker, qs, location, prefix, depth, plus) -> None: Walker.query. */
static PyObject *
query(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyUnicode_Check(args[1]) || !PyUnicode_Check(args[3]) || !PyLong_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "query(walker, qs: str, location: str, prefix: str, depth: int, plus: bool)");
        return NULL;
    }
    if (TOKEN_CACHE == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "detectors.pii._walk: bind() was not called");
        return NULL;
    }
    PyObject *qs = args[1], *prefix = args[3], *parent = NULL, *result = NULL;
    int plus = PyObject_IsTrue(args[5]);
    if (plus < 0)
        return NULL;
    Walk w = {0};
    w.walker = args[0];
    w.loc = args[2];
    w.enc = ENC_PLAIN;
    w.depth = args[4];
    if (read_walker(&w) < 0)
        goto done;
    /* _last_name(prefix) */
    Py_ssize_t pn = PyUnicode_GET_LENGTH(prefix);
    Py_ssize_t dot = PyUnicode_FindChar(prefix, '.', 0, pn, -1);
    if (dot == -2)
        goto done;
    parent = PyUnicode_Substring(prefix, dot + 1, pn);
    if (parent == NULL)
        goto done;
    Py_ssize_t n = PyUnicode_GET_LENGTH(qs), start = 0;
    while (start <= n) {
        Py_ssize_t amp = PyUnicode_FindChar(qs, '&', start, n, 1);
        if (amp == -2)
            goto done;
        Py_ssize_t end = amp < 0 ? n : amp;
        if (end > start) {
            PyObject *pair = PyUnicode_Substring(qs, start, end);
            int e = pair ? query_pair(&w, pair, prefix, parent, plus) : -1;
            Py_XDECREF(pair);
            if (e < 0)
                goto done;
        }
        start = end + 1;
    }
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(parent);
    Py_XDECREF(w.out);
    Py_XDECREF(w.stats);
    Py_XDECREF(w.hints);
    Py_XDECREF(w.flags);
    return result;
}

/* bind(token_cache, tok, key_cache, key, empty, geo_pair_names, geo_pair, machine_field, agent, new_segment,
 *      path_cache, path_name, pct_decode, Encoding.PLAIN, Encoding.URL, uri_name) */
static PyObject *
bind(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 16) {
        PyErr_SetString(PyExc_TypeError, "bind() takes 16 arguments");
        return NULL;
    }
    if (!PyDict_Check(args[0]) || !PyDict_Check(args[2]) || !PyDict_Check(args[10]) || !PyAnySet_Check(args[4]) || !PyAnySet_Check(args[5]) ||
        !PyAnySet_Check(args[7]) || !PyAnySet_Check(args[8])) {
        PyErr_SetString(PyExc_TypeError, "bind(): caches must be dicts and vocabularies sets");
        return NULL;
    }
    PyObject **slots[16] = {&TOKEN_CACHE, &TOK_FN,      &KEY_CACHE,  &KEY_FN,        &EMPTY,
                            &GEO_PAIR,    &GEO_PAIR_FN, &MACHINE_FIELD, &AGENT,       &NEW_SEGMENT,
                            &PATH_CACHE,  &PATH_NAME_FN, &PCT_DECODE_FN, &ENC_PLAIN,  &ENC_URL,
                            &URI_NAME_FN};
    for (int k = 0; k < 16; k++)
        Py_XSETREF(*slots[k], Py_NewRef(args[k]));
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"bind", (PyCFunction)(void (*)(void))bind, METH_FASTCALL, "Hands structure.py's caches and helpers over."},
    {"machine_shape", (PyCFunction)(void (*)(void))machine_shape, METH_FASTCALL,
     "context.machine_shape(text, tokens), in C."},
    {"walk_json", (PyCFunction)(void (*)(void))walk_json, METH_FASTCALL,
     "walk_json(walker, text, location, path, depth, encoding) -> bool"},
    {"query", (PyCFunction)(void (*)(void))query, METH_FASTCALL,
     "query(walker, qs, location, prefix, depth, plus) -> None: Walker.query."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_walk", .m_doc = NULL, .m_size = -1, .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__walk(void)
{
    EMPTY_STR = PyUnicode_InternFromString("");
    DOT = PyUnicode_InternFromString(".");
    BRACKETS = PyUnicode_InternFromString("[]");
    STAR = PyUnicode_InternFromString(".*");
    S_NESTED_TEXT = PyUnicode_InternFromString("_nested_text");
    S_DEPTH_LIMITED = PyUnicode_InternFromString("depth_limited");
    S_FIELDS_DROPPED = PyUnicode_InternFromString("fields_dropped");
    S_TRUNCATED = PyUnicode_InternFromString("truncated");
    S_OUT = PyUnicode_InternFromString("out");
    S_STATS = PyUnicode_InternFromString("stats");
    S_HINTS = PyUnicode_InternFromString("hints");
    S_FLAG_HINTS = PyUnicode_InternFromString("flag_hints");
    TRUE_TEXT = PyUnicode_InternFromString("true");
    S_KEEP_ALL = PyUnicode_InternFromString("keep_all");
    S_MAX_DEPTH = PyUnicode_InternFromString("_max_depth");
    S_MAX_FIELDS = PyUnicode_InternFromString("_max_fields");
    S_MAX_CHARS = PyUnicode_InternFromString("_max_chars");
    if (!EMPTY_STR || !DOT || !BRACKETS || !STAR || !S_NESTED_TEXT || !S_DEPTH_LIMITED || !S_FIELDS_DROPPED || !S_TRUNCATED ||
        !S_OUT || !S_STATS || !S_HINTS || !S_FLAG_HINTS || !S_KEEP_ALL || !S_MAX_DEPTH || !S_MAX_FIELDS || !S_MAX_CHARS ||
        !TRUE_TEXT)
        return NULL;
    return PyModule_Create(&module);
}
