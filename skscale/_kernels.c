/* Fused column kernels for the statistics core (an optional compiled module).
 *
 * NumPy reduces a block of rows once per statistic: the columns' minimum in
 * one pass, their maximum in another, the sum of the values' bits in a third.
 * extrema() takes them all in one pass over a C-ordered block. Every result is
 * exact (a minimum, a maximum, an integer sum modulo 2**64), so it equals
 * NumPy's whatever the order of the loop, and skscale._stats gives the same
 * statistics without this module (its pure-NumPy path). moments() takes the
 * sums of the deviations from a pivot and of their squares in one pass, where
 * NumPy writes the deviations out and reads them twice; its sums are rounded
 * as NumPy's are (a few hundred terms added in sequence at most), not bit
 * for bit the same. The loop runs without
 * the GIL, so the thread pool's blocks run in parallel; on x86-64 it is built
 * twice, for AVX2 and for the baseline, and the machine picks at load time.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__)
#define SKSCALE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SKSCALE_CLONES
#endif

/* One body per float type T whose bit patterns read as the unsigned U.
 * Rows are `stride` bytes apart; each row's p values are contiguous. The
 * minimum and maximum start from row 0 and never take a NaN (a comparison
 * with NaN is false); `flags[j]` accumulates x * 0, which is NaN from the
 * first NaN or infinity of column j on, so that the caller knows the
 * extrema are those of finite values only where the flag is still 0. */
#define EXTREMA_BODY(NAME, T, U)                                                 \
    SKSCALE_CLONES static void NAME(                                             \
        const char *base, Py_ssize_t n, Py_ssize_t p, Py_ssize_t stride,         \
        T *restrict lo, T *restrict hi, T *restrict flags,                       \
        uint64_t *restrict sums)                                                 \
    {                                                                            \
        const T *first = (const T *)base;                                        \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            lo[j] = hi[j] = first[j];                                            \
            flags[j] = 0;                                                        \
        }                                                                        \
        if (sums) {                                                              \
            memset(sums, 0, (size_t)p * sizeof(uint64_t));                       \
        }                                                                        \
        for (Py_ssize_t i = 0; i < n; i++) {                                     \
            const T *restrict x = (const T *)(base + i * stride);                \
            for (Py_ssize_t j = 0; j < p; j++) {                                 \
                T v = x[j];                                                      \
                lo[j] = v < lo[j] ? v : lo[j];                                   \
                hi[j] = v > hi[j] ? v : hi[j];                                   \
                flags[j] += v * (T)0;                                            \
            }                                                                    \
            if (sums) {                                                          \
                const U *restrict b = (const U *)(base + i * stride);            \
                for (Py_ssize_t j = 0; j < p; j++) {                             \
                    sums[j] += (uint64_t)b[j];                                   \
                }                                                                \
            }                                                                    \
        }                                                                        \
    }

EXTREMA_BODY(extrema_double, double, uint64_t)
EXTREMA_BODY(extrema_float, float, uint32_t)

/* Rows summed into a chunk's partial sums before they join the block's: each
 * sum then adds at most CHUNK + n / CHUNK terms in sequence, as few as
 * NumPy's column reductions add. */
#define CHUNK 128

/* The sums of each column's deviations from pivot[j] and of their squares,
 * in float64, over rows `stride` bytes apart of type T. flags[j] accumulates
 * d * 0: NaN from the first NaN, infinity or overflowing deviation on. */
#define MOMENTS_BODY(NAME, T)                                                    \
    SKSCALE_CLONES static void NAME(                                             \
        const char *base, Py_ssize_t n, Py_ssize_t p, Py_ssize_t stride,         \
        const double *restrict pivot, double *restrict s1,                       \
        double *restrict s2, double *restrict flags, double *restrict c1,        \
        double *restrict c2)                                                     \
    {                                                                            \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            s1[j] = s2[j] = flags[j] = 0.0;                                      \
        }                                                                        \
        for (Py_ssize_t start = 0; start < n; start += CHUNK) {                  \
            Py_ssize_t stop = start + CHUNK < n ? start + CHUNK : n;             \
            for (Py_ssize_t j = 0; j < p; j++) {                                 \
                c1[j] = c2[j] = 0.0;                                             \
            }                                                                    \
            for (Py_ssize_t i = start; i < stop; i++) {                          \
                const T *restrict x = (const T *)(base + i * stride);            \
                for (Py_ssize_t j = 0; j < p; j++) {                             \
                    double d = (double)x[j] - pivot[j];                          \
                    c1[j] += d;                                                  \
                    c2[j] += d * d;                                              \
                    flags[j] += d * 0.0;                                         \
                }                                                                \
            }                                                                    \
            for (Py_ssize_t j = 0; j < p; j++) {                                 \
                s1[j] += c1[j];                                                  \
                s2[j] += c2[j];                                                  \
            }                                                                    \
        }                                                                        \
    }

MOMENTS_BODY(moments_double, double)
MOMENTS_BODY(moments_float, float)

/* A writable, contiguous vector of `length` items of `itemsize` bytes. */
static int
get_vector(PyObject *obj, Py_buffer *view, Py_ssize_t length, Py_ssize_t itemsize)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        return -1;
    }
    if (view->len != length * itemsize || view->itemsize != itemsize) {
        PyErr_SetString(PyExc_ValueError, "an output vector has the wrong size");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* A 2-D float64 or float32 block of at least one row, its rows contiguous.
 * Returns the itemsize (8 or 4), or 0 with an exception set. */
static Py_ssize_t
get_block(PyObject *obj, Py_buffer *block)
{
    if (PyObject_GetBuffer(obj, block, PyBUF_RECORDS_RO) < 0) {
        return 0;
    }
    const char *format = block->format ? block->format : "B";
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') {
        format++;
    }
    int is_double = strcmp(format, "d") == 0;
    Py_ssize_t itemsize = is_double ? 8 : 4;
    if (block->ndim != 2 || (!is_double && strcmp(format, "f") != 0) ||
        block->shape[0] < 1 || block->strides[1] != itemsize ||
        block->strides[0] < block->shape[1] * itemsize) {
        PyErr_SetString(PyExc_ValueError,
                        "expected a 2-D float64 or float32 block of at least one "
                        "row, its rows contiguous");
        PyBuffer_Release(block);
        return 0;
    }
    return itemsize;
}

static PyObject *
extrema(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *block_obj, *low_obj, *high_obj, *flags_obj, *sums_obj;
    if (!PyArg_ParseTuple(args, "OOOOO", &block_obj, &low_obj, &high_obj,
                          &flags_obj, &sums_obj)) {
        return NULL;
    }
    Py_buffer block;
    Py_ssize_t itemsize = get_block(block_obj, &block);
    if (!itemsize) {
        return NULL;
    }
    int is_double = itemsize == 8;
    Py_ssize_t n = block.shape[0], p = block.shape[1];
    Py_buffer views[4];
    PyObject *vectors[4] = {low_obj, high_obj, flags_obj, sums_obj};
    int wanted = sums_obj == Py_None ? 3 : 4, got = 0;
    for (; got < wanted; got++) {
        Py_ssize_t size = got == 3 ? 8 : itemsize;
        if (get_vector(vectors[got], &views[got], p, size) < 0) {
            break;
        }
    }
    if (got == wanted) {
        uint64_t *sums = wanted == 4 ? (uint64_t *)views[3].buf : NULL;
        Py_BEGIN_ALLOW_THREADS
        if (is_double) {
            extrema_double(block.buf, n, p, block.strides[0], views[0].buf,
                           views[1].buf, views[2].buf, sums);
        }
        else {
            extrema_float(block.buf, n, p, block.strides[0], views[0].buf,
                          views[1].buf, views[2].buf, sums);
        }
        Py_END_ALLOW_THREADS
    }
    for (int k = 0; k < got; k++) {
        PyBuffer_Release(&views[k]);
    }
    PyBuffer_Release(&block);
    if (got < wanted) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
moments(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *block_obj, *vectors[6];
    if (!PyArg_ParseTuple(args, "OOOOOOO", &block_obj, &vectors[0], &vectors[1],
                          &vectors[2], &vectors[3], &vectors[4], &vectors[5])) {
        return NULL;
    }
    Py_buffer block;
    Py_ssize_t itemsize = get_block(block_obj, &block);
    if (!itemsize) {
        return NULL;
    }
    Py_ssize_t n = block.shape[0], p = block.shape[1];
    Py_buffer views[6];
    int got = 0;
    for (; got < 6; got++) {
        if (get_vector(vectors[got], &views[got], p, 8) < 0) {
            break;
        }
    }
    if (got == 6) {
        Py_BEGIN_ALLOW_THREADS
        if (itemsize == 8) {
            moments_double(block.buf, n, p, block.strides[0], views[0].buf,
                           views[1].buf, views[2].buf, views[3].buf, views[4].buf,
                           views[5].buf);
        }
        else {
            moments_float(block.buf, n, p, block.strides[0], views[0].buf,
                          views[1].buf, views[2].buf, views[3].buf, views[4].buf,
                          views[5].buf);
        }
        Py_END_ALLOW_THREADS
    }
    for (int k = 0; k < got; k++) {
        PyBuffer_Release(&views[k]);
    }
    PyBuffer_Release(&block);
    if (got < 6) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"moments", moments, METH_VARARGS,
     "moments(block, pivot, s1, s2, flags, c1, c2)\n\n"
     "In one pass over a 2-D float64 or float32 block whose rows are\n"
     "contiguous, write the sum of each column's deviations from pivot (in\n"
     "float64) into s1 and the sum of their squares into s2, a chunk of 128\n"
     "rows at a time, and into flags the sum of the deviations times 0 (NaN\n"
     "where a deviation is NaN or infinite). c1 and c2 are scratch; every\n"
     "vector is float64, one value per column."},
    {"extrema", extrema, METH_VARARGS,
     "extrema(block, low, high, flags, sums)\n\n"
     "In one pass over a 2-D float64 or float32 block whose rows are\n"
     "contiguous, write each column's minimum and maximum of its finite\n"
     "values into low and high and the sum of its values times 0 into flags\n"
     "(vectors of the block's dtype: a flag is NaN where the column holds a\n"
     "NaN or an infinity, 0 elsewhere), and, unless sums is None, the sum\n"
     "of the column's bit patterns modulo 2**64 into sums (uint64)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_kernels",
    .m_doc = "Fused column kernels for the statistics core (optional).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    return PyModule_Create(&module);
}
