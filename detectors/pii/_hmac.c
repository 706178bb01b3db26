/* HMAC-SHA256 of short strings, for masking.Hasher.hex: every finding's value_hash.
 *
 * hashlib computes the same digest with the same OpenSSL, but each call copies two EVP
 * contexts (allocations) and builds three Python objects: about 900 ns for a 20-byte
 * value. Here the key's inner and outer states are computed once (RFC 2104) and a call
 * copies two plain SHA256_CTX structs: about 200 ns. SHA256_Init/Update/Final are
 * deprecated in OpenSSL 3 in favour of EVP, whose context copies are the cost avoided.
 * tests/pii/test_hmac_c.py checks it against the hmac module and the RFC 4231 vectors. */

#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED
#include <Python.h>
#include <openssl/sha.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    SHA256_CTX inner, outer; /* the states after (key ^ ipad) and (key ^ opad) */
} Hmac;

static int
hmac_init(Hmac *self, PyObject *args, PyObject *kwargs)
{
    Py_buffer key;
    if (!PyArg_ParseTuple(args, "y*:HmacSha256", &key))
        return -1;
    if (key.len != 64) {
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_ValueError, "HmacSha256 takes the key padded to the 64-byte block");
        return -1;
    }
    unsigned char pad[64];
    const unsigned char *k = key.buf;
    int ok = SHA256_Init(&self->inner) && SHA256_Init(&self->outer);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    ok = ok && SHA256_Update(&self->inner, pad, 64);
    for (int i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    ok = ok && SHA256_Update(&self->outer, pad, 64);
    memset(pad, 0, sizeof pad);
    PyBuffer_Release(&key);
    if (!ok) {
        PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA-256 failed");
        return -1;
    }
    return 0;
}

/* hex(text) -> the HMAC of text's UTF-8 (surrogates passed through), in lower-case hex. */
static PyObject *
hmac_hex(Hmac *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "hex() takes a str");
        return NULL;
    }
    PyObject *encoded = NULL;
    const unsigned char *data;
    Py_ssize_t n;
    if (PyUnicode_IS_ASCII(text)) {
        data = PyUnicode_DATA(text);
        n = PyUnicode_GET_LENGTH(text);
    }
    else {
        encoded = PyUnicode_AsEncodedString(text, "utf-8", "surrogatepass");
        if (encoded == NULL)
            return NULL;
        data = (const unsigned char *)PyBytes_AS_STRING(encoded);
        n = PyBytes_GET_SIZE(encoded);
    }
    unsigned char inner[32], mac[32];
    SHA256_CTX c = self->inner;
    int ok = SHA256_Update(&c, data, (size_t)n) && SHA256_Final(inner, &c);
    Py_XDECREF(encoded);
    c = self->outer;
    ok = ok && SHA256_Update(&c, inner, 32) && SHA256_Final(mac, &c);
    if (!ok) {
        PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA-256 failed");
        return NULL;
    }
    PyObject *out = PyUnicode_New(64, 127);
    if (out == NULL)
        return NULL;
    static const char digits[] = "0123456789abcdef";
    Py_UCS1 *o = PyUnicode_1BYTE_DATA(out);
    for (int i = 0; i < 32; i++) {
        o[2 * i] = (Py_UCS1)digits[mac[i] >> 4];
        o[2 * i + 1] = (Py_UCS1)digits[mac[i] & 15];
    }
    return out;
}

static PyObject *
hmac_repr(PyObject *self)
{
    return PyUnicode_FromString("HmacSha256(<key>)"); /* never the key or its states */
}

static PyMethodDef hmac_methods[] = {
    {"hex", (PyCFunction)hmac_hex, METH_O, "HMAC-SHA256 of the text's UTF-8, in lower-case hex."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject HmacType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "detectors.pii._hmac.HmacSha256",
    .tp_basicsize = sizeof(Hmac),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "HmacSha256(padded_key: bytes): HMAC-SHA256 under one key, its states computed once.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)hmac_init,
    .tp_repr = hmac_repr,
    .tp_methods = hmac_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, .m_name = "_hmac", .m_doc = NULL, .m_size = -1,
};

PyMODINIT_FUNC
PyInit__hmac(void)
{
    if (PyType_Ready(&HmacType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "HmacSha256", (PyObject *)&HmacType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
