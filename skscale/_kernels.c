/* Fused column kernels for the statistics core and the column scalers'
 * transforms (an optional compiled module).
 *
 * NumPy reduces a block of rows once per statistic: the columns' minimum in
 * one pass, their maximum in another, the sum of the values' bits in a third.
 * extrema() takes them all in one pass over a block. Every result is exact (a
 * minimum, a maximum, an integer sum modulo 2**64), so it equals NumPy's
 * whatever the order of the loop, and skscale._stats gives the same
 * statistics without this module (its pure-NumPy path). moments() takes the
 * sums of the deviations from a pivot and of their squares in one pass, where
 * NumPy writes the deviations out and reads them twice; the squares' sums are
 * rounded as NumPy's are (a few hundred terms added in sequence at most), not
 * bit for bit the same, and the deviations' are compensated (two-sums). Both
 * read a C-ordered block row by row and a column-major one
 * (a Fortran-ordered array's tile, a frame's column) a column at a time, in
 * lanes. affine() applies a fitted map with NumPy's operations in NumPy's
 * order, so its output is the NumPy path's bit for bit. rows() is the row
 * normalizers' pass: each row's statistics, then the row divided from cache,
 * bit for bit as the tests' NumPy transcription of its order. infinite()
 * scans a block for an infinity at the speed of a read. The loops run
 * without the GIL, so the thread pool's blocks run in parallel; on x86-64
 * each is built three times, for AVX-512, AVX2 and the baseline, and the
 * machine picks at load time.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__)
#define SKSCALE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
/* The row pass has AVX-512 instances of its own, written with intrinsics:
 * GCC 12 converts a vector of 8 floats to 8 doubles in 5 instructions, not
 * one, and compares vectors of 64-bit integers lane by lane in scalar code. */
#define SKSCALE_AVX512 __attribute__((target("avx512f")))
#include <immintrin.h>
#else
#define SKSCALE_CLONES
#endif

/* Rows summed into a chunk's partial sums before they join the block's: each
 * sum then adds at most CHUNK + n / CHUNK terms in sequence, as few as
 * NumPy's column reductions add. */
#define CHUNK 128
/* Knuth's two-sum: s + v into s, its rounding error added to c; branch-free
 * (6 operations, each rounded on its own: built with -ffp-contract=off). On
 * doubles, or lane by lane on vectors of them. */
#define TWO_SUM(s, c, v)                                                         \
    do {                                                                         \
        const __typeof__(s) t_ = (s) + (v);                                      \
        const __typeof__(s) z_ = t_ - (s);                                       \
        (c) += ((s) - (t_ - z_)) + ((v) - z_);                                   \
        (s) = t_;                                                                \
    } while (0)

/* A compensated sum s + c of n values turned into their mean: s gets the
 * quotient rounded to nearest (to within the sum's own error), c the rest,
 * so that s + c is the exact quotient to within about eps**2 of it. The
 * remainder of the division is exact (fma; the remainder of a rounded
 * quotient is a float). Once per column, so that the caller's mean costs
 * no pass of NumPy's small operations per block. */
static inline void
mean_of_sum(double *s, double *c, Py_ssize_t n)
{
    double total = *s, error = 0.0;
    TWO_SUM(total, error, *c); /* total + error == s + c, exactly */
    const double count = (double)n, quotient = total / count;
    const double rest = (fma(-quotient, count, total) + error) / count;
    /* Rounded once more with its rest, within half an ulp (Dekker's fast
     * two-sum: |rest| is below an ulp of the quotient). */
    *s = quotient + rest;
    *c = rest - (*s - quotient);
}

/* One body per float type T whose bit patterns read as the unsigned U.
 * Rows are `stride` bytes apart; each row's p values are contiguous. The
 * minimum and maximum start from row 0 and never take a NaN (a comparison
 * with NaN is false); `flags[j]` accumulates x * 0, which is NaN from the
 * first NaN or infinity of column j on, so that the caller knows the
 * extrema are those of finite values only where the flag is still 0.
 *
 * The instances with VALUES also sum each column's values in float64, so
 * that a scaler needing the extrema and the mean reads the block once: with
 * Knuth's two-sum at every step, `values` gets the running sum and `errors`
 * the sum of its rounding errors, so that values + errors is the exact sum
 * to within about n eps**2 of the sum of the magnitudes (the errors' own
 * rounding), whatever the data: a column of equal values and one outlier,
 * whose plain sums drift by dozens of ulps of the mean, included. The entry
 * point turns each into the column's mean and its rest (mean_of_sum). */
#define EXTREMA_SIGNATURE(NAME, T)                                               \
    SKSCALE_CLONES static void NAME(                                             \
        const char *base, Py_ssize_t n, Py_ssize_t p, Py_ssize_t stride,         \
        T *restrict lo, T *restrict hi, T *restrict flags,                       \
        uint64_t *restrict sums, double *restrict values,                        \
        double *restrict errors)
#define EXTREMA_BODY(NAME, T, U, VALUES)                                         \
    EXTREMA_SIGNATURE(NAME, T)                                                   \
    {                                                                            \
        const T *first = (const T *)base;                                        \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            lo[j] = hi[j] = first[j];                                            \
            flags[j] = 0;                                                        \
            if (VALUES) {                                                        \
                values[j] = errors[j] = 0.0;                                     \
            }                                                                    \
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
            if (VALUES) {                                                        \
                for (Py_ssize_t j = 0; j < p; j++) {                             \
                    TWO_SUM(values[j], errors[j], (double)x[j]);                 \
                }                                                                \
            }                                                                    \
            if (sums) {                                                          \
                const U *restrict b = (const U *)(base + i * stride);            \
                for (Py_ssize_t j = 0; j < p; j++) {                             \
                    sums[j] += (uint64_t)b[j];                                   \
                }                                                                \
            }                                                                    \
        }                                                                        \
    }

EXTREMA_BODY(extrema_double, double, uint64_t, 0)
EXTREMA_BODY(extrema_float, float, uint32_t, 0)
EXTREMA_BODY(extrema_values_double, double, uint64_t, 1)
EXTREMA_BODY(extrema_values_float, float, uint32_t, 1)

/* The sums of each column's deviations from pivot[j] and of their squares,
 * in float64, over rows `stride` bytes apart of type T. flags[j] is set at
 * the end, NaN where a deviation is NaN or infinite or the sum overflows
 * (the two-sums' error term is then NaN), as in the other instances. The
 * deviations are summed with Knuth's two-sum, their rounding errors into
 * c1[j], to within about n eps**2 of the sum of their magnitudes (a pivot
 * several standard deviations from the mean makes plain running sums grow
 * with the rows and round at each step, the mean dozens of eps std off);
 * the entry point turns s1[j] + c1[j] into their mean and its rest
 * (mean_of_sum), as for every moments instance.
 * The squares are summed plainly, a chunk of CHUNK rows at a time into c2
 * (they need only relative accuracy). */
#define MOMENTS_BODY(NAME, T)                                                    \
    SKSCALE_CLONES static void NAME(                                             \
        const char *base, Py_ssize_t n, Py_ssize_t p, Py_ssize_t stride,         \
        const double *restrict pivot, double *restrict s1,                       \
        double *restrict s2, double *restrict flags, double *restrict c1,        \
        double *restrict c2)                                                     \
    {                                                                            \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            s1[j] = s2[j] = flags[j] = c1[j] = 0.0;                              \
        }                                                                        \
        for (Py_ssize_t start = 0; start < n; start += CHUNK) {                  \
            Py_ssize_t stop = start + CHUNK < n ? start + CHUNK : n;             \
            for (Py_ssize_t j = 0; j < p; j++) {                                 \
                c2[j] = 0.0;                                                     \
            }                                                                    \
            for (Py_ssize_t i = start; i < stop; i++) {                          \
                const T *restrict x = (const T *)(base + i * stride);            \
                for (Py_ssize_t j = 0; j < p; j++) {                             \
                    double d = (double)x[j] - pivot[j];                          \
                    TWO_SUM(s1[j], c1[j], d);                                    \
                    c2[j] += d * d;                                              \
                }                                                                \
            }                                                                    \
            for (Py_ssize_t j = 0; j < p; j++) {                                 \
                s2[j] += c2[j];                                                  \
            }                                                                    \
        }                                                                        \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            flags[j] = c1[j] != c1[j] ? NAN : 0.0;                               \
        }                                                                        \
    }

MOMENTS_BODY(moments_double, double)
MOMENTS_BODY(moments_float, float)

/* The same statistics of a column-major block: p columns of n contiguous
 * values, `stride` bytes apart (a Fortran-ordered block, a frame's column).
 * Each column is read in LANES interleaved lanes, each with its own running
 * results, which the compiler keeps in vector registers; the lanes are
 * combined at the end of the column (exact for the extrema and the bit
 * sums). */
#define LANES 16

#define EXTREMA_LINES(NAME, T, U, VALUES)                                        \
    EXTREMA_SIGNATURE(NAME, T)                                                   \
    {                                                                            \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            const T *restrict x = (const T *)(base + j * stride);                \
            const U *restrict b = (const U *)(base + j * stride);                \
            T l[LANES], h[LANES], f[LANES];                                      \
            uint64_t u[LANES];                                                   \
            double s[LANES], c[LANES];                                           \
            for (int k = 0; k < LANES; k++) {                                    \
                l[k] = h[k] = x[0];                                              \
                f[k] = 0;                                                        \
                u[k] = 0;                                                        \
                s[k] = c[k] = 0.0;                                               \
            }                                                                    \
            Py_ssize_t i = 0;                                                    \
            for (; i + LANES <= n; i += LANES) {                                 \
                for (int k = 0; k < LANES; k++) {                                \
                    T v = x[i + k];                                              \
                    l[k] = v < l[k] ? v : l[k];                                  \
                    h[k] = v > h[k] ? v : h[k];                                  \
                    f[k] += v * (T)0;                                            \
                    u[k] += (uint64_t)b[i + k];                                  \
                    if (VALUES) {                                                \
                        TWO_SUM(s[k], c[k], (double)v);                          \
                    }                                                            \
                }                                                                \
            }                                                                    \
            for (; i < n; i++) {                                                 \
                T v = x[i];                                                      \
                l[0] = v < l[0] ? v : l[0];                                      \
                h[0] = v > h[0] ? v : h[0];                                      \
                f[0] += v * (T)0;                                                \
                u[0] += (uint64_t)b[i];                                          \
                if (VALUES) {                                                    \
                    TWO_SUM(s[0], c[0], (double)v);                              \
                }                                                                \
            }                                                                    \
            for (int k = 1; k < LANES; k++) {                                    \
                l[0] = l[k] < l[0] ? l[k] : l[0];                                \
                h[0] = h[k] > h[0] ? h[k] : h[0];                                \
                f[0] += f[k];                                                    \
                u[0] += u[k];                                                    \
                if (VALUES) {                                                    \
                    c[0] += c[k];                                                \
                    TWO_SUM(s[0], c[0], s[k]);                                   \
                }                                                                \
            }                                                                    \
            lo[j] = l[0];                                                        \
            hi[j] = h[0];                                                        \
            flags[j] = f[0];                                                     \
            if (sums) {                                                          \
                sums[j] = u[0];                                                  \
            }                                                                    \
            if (VALUES) {                                                        \
                values[j] = s[0];                                                \
                errors[j] = c[0];                                                \
            }                                                                    \
        }                                                                        \
    }

EXTREMA_LINES(extrema_lines_double, double, uint64_t, 0)
EXTREMA_LINES(extrema_lines_float, float, uint32_t, 0)
EXTREMA_LINES(extrema_values_lines_double, double, uint64_t, 1)
EXTREMA_LINES(extrema_values_lines_float, float, uint32_t, 1)

/* Explicit vectors of 8 doubles (GCC and clang vector extensions): the
 * compiler fails to keep per-lane arrays of sums in registers across the
 * loop. Two vectors of sums run side by side, so that 16 lanes add in
 * parallel. The squares' lanes add at most CHUNK values before their sum
 * joins the column's, as in MOMENTS_BODY; the deviations' lanes are
 * two-sums over the whole column, joined at its end by two-sums too.
 * flags[j] is NaN where a deviation is NaN or infinite or the sums
 * overflow (the two-sums' error term is then NaN for good), else 0. */
typedef double vdouble __attribute__((vector_size(64)));
typedef float vfloat __attribute__((vector_size(32)));

/* Macros rather than functions: a function returning a 64-byte vector
 * would change its ABI between the clones. */
#define LOAD_DOUBLE(v, ptr) memcpy(&(v), (ptr), sizeof(v))
#define LOAD_FLOAT(v, ptr)                                                       \
    do {                                                                         \
        vfloat narrow_;                                                          \
        memcpy(&narrow_, (ptr), sizeof narrow_);                                 \
        (v) = __builtin_convertvector(narrow_, vdouble);                         \
    } while (0)

/* The sum of a vector's 8 lanes, pairwise: a short line (a row of a few
 * dozen values) must not wait on 8 additions in sequence. */
#define LANE_SUM(v)                                                              \
    ((((v)[0] + (v)[4]) + ((v)[2] + (v)[6])) +                                   \
     (((v)[1] + (v)[5]) + ((v)[3] + (v)[7])))

#define MOMENTS_LINES(NAME, T, LOAD)                                             \
    SKSCALE_CLONES static void NAME(                                             \
        const char *base, Py_ssize_t n, Py_ssize_t p, Py_ssize_t stride,         \
        const double *restrict pivot, double *restrict s1,                       \
        double *restrict s2, double *restrict flags, double *restrict c1)        \
    {                                                                            \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            const T *restrict x = (const T *)(base + j * stride);                \
            const double c = pivot[j];                                           \
            const vdouble cv = (vdouble){0} + c, zero = {0};                     \
            vdouble a1 = zero, b1 = zero, ea = zero, eb = zero;                  \
            double t1 = 0.0, u1 = 0.0, t2 = 0.0;                                 \
            const Py_ssize_t full = n - n % 16;                                  \
            for (Py_ssize_t start = 0; start < full; start += CHUNK * 16) {      \
                const Py_ssize_t stop =                                          \
                    full - start < CHUNK * 16 ? full : start + CHUNK * 16;       \
                vdouble a2 = zero, b2 = zero;                                    \
                for (Py_ssize_t i = start; i < stop; i += 16) {                  \
                    vdouble d, e;                                                \
                    LOAD(d, x + i);                                              \
                    LOAD(e, x + i + 8);                                          \
                    d -= cv;                                                     \
                    e -= cv;                                                     \
                    TWO_SUM(a1, ea, d);                                          \
                    TWO_SUM(b1, eb, e);                                          \
                    a2 += d * d;                                                 \
                    b2 += e * e;                                                 \
                }                                                                \
                a2 += b2;                                                        \
                t2 += LANE_SUM(a2);                                              \
            }                                                                    \
            ea += eb;                                                            \
            u1 = LANE_SUM(ea);                                                   \
            for (int k = 0; k < 8; k++) {                                        \
                TWO_SUM(t1, u1, a1[k]);                                          \
                TWO_SUM(t1, u1, b1[k]);                                          \
            }                                                                    \
            for (Py_ssize_t i = full; i < n; i++) {                              \
                double d = (double)x[i] - c;                                     \
                TWO_SUM(t1, u1, d);                                              \
                t2 += d * d;                                                     \
            }                                                                    \
            s1[j] = t1;                                                          \
            c1[j] = u1;                                                          \
            s2[j] = t2;                                                          \
            flags[j] = u1 != u1 ? NAN : 0.0;                                     \
        }                                                                        \
    }

MOMENTS_LINES(moments_lines_double, double, LOAD_DOUBLE)
MOMENTS_LINES(moments_lines_float, float, LOAD_FLOAT)

#ifdef SKSCALE_AVX512
/* EXTREMA_BODY with VALUES and without bit sums, for a C-ordered block on an
 * AVX-512 machine: panels of 8 columns a vector (each lane a column, widened
 * to float64, which orders and sums float32 values exactly as they are), up
 * to 4 panels side by side down PANEL_ROWS rows at a time (each panel's sums
 * a chain of its own), the running results in registers. EXTREMA_BODY loads
 * and stores them at every row, and its scalar loop over the row's last
 * p % 8 values waits on a store and a load between rows; it left float32
 * MeanNormalizationScaler.fit at 1.6 times a read of the block. A panel past
 * column p - 1 is masked: its loads read nothing there (AVX-512's masked
 * loads do not fault) and its stores write nothing. Each column's extrema
 * and two-sums are EXTREMA_BODY's bit for bit: min and max are x86's
 * (v < l ? v : l, v > h ? v : h, as EXTREMA_BODY writes them), and each sum
 * takes the same two-sums in the same order down its rows. flags[j] is set
 * at the end, NaN where the column holds a NaN or an infinity, else 0: a NaN
 * makes the sum NaN for good (finite values alone never do: an overflowing
 * sum stays infinite), and an infinity becomes the minimum or the
 * maximum. */
#define PANEL_ROWS 64
#define PANEL_LOAD_double(mask, ptr) _mm512_maskz_loadu_pd((mask), (ptr))
#define PANEL_LOAD_float(mask, ptr)                                              \
    _mm512_cvtps_pd(                                                             \
        _mm512_castps512_ps256(_mm512_maskz_loadu_ps((__mmask16)(mask), (ptr))))
#define PANEL_STORE_double(ptr, mask, v) _mm512_mask_storeu_pd((ptr), (mask), (v))
#define PANEL_STORE_float(ptr, mask, v)                                          \
    _mm512_mask_storeu_ps((ptr), (__mmask16)(mask),                              \
                          _mm512_castps256_ps512(_mm512_cvtpd_ps(v)))
/* The sweep of the panels' functions over a block of n rows and p columns:
 * PANEL_ROWS rows at a time, 4 panels side by side, the last panels masked.
 * CALL names the function with G, the number of its panels: each case
 * passes a constant, which the inlined function unrolls. */
#define PANEL_SWEEP(CALL)                                                        \
    do {                                                                         \
        const Py_ssize_t panels = (p + 7) / 8;                                   \
        for (Py_ssize_t start = 0; start < n; start += PANEL_ROWS) {             \
            const Py_ssize_t stop = n - start < PANEL_ROWS ? n : start + PANEL_ROWS; \
            for (Py_ssize_t q = 0; q < panels; q += 4) {                         \
                __mmask8 mask[4];                                                \
                for (int k = 0; k < 4; k++) {                                    \
                    const Py_ssize_t left = p - 8 * (q + k);                     \
                    mask[k] = left >= 8  ? 0xff                                  \
                              : left > 0 ? (__mmask8)((1u << left) - 1)         \
                                         : 0;                                    \
                }                                                                \
                switch (panels - q) {                                            \
                case 1: {                                                        \
                    const int G = 1;                                             \
                    CALL;                                                        \
                    break;                                                       \
                }                                                                \
                case 2: {                                                        \
                    const int G = 2;                                             \
                    CALL;                                                        \
                    break;                                                       \
                }                                                                \
                case 3: {                                                        \
                    const int G = 3;                                             \
                    CALL;                                                        \
                    break;                                                       \
                }                                                                \
                default: {                                                       \
                    const int G = 4;                                             \
                    CALL;                                                        \
                }                                                                \
                }                                                                \
            }                                                                    \
        }                                                                        \
    } while (0)
#define EXTREMA_PANELS(T)                                                        \
    SKSCALE_AVX512 static inline __attribute__((always_inline)) void            \
    panels_##T(const char *base, Py_ssize_t start, Py_ssize_t stop,              \
               Py_ssize_t stride, Py_ssize_t j0, const __mmask8 *mask,           \
               const int G, T *lo, T *hi, double *values, double *errors)        \
    {                                                                            \
        __m512d l[4], h[4], s[4], c[4];                                          \
        for (int k = 0; k < G; k++) {                                            \
            l[k] = PANEL_LOAD_##T(mask[k], lo + j0 + 8 * k);                     \
            h[k] = PANEL_LOAD_##T(mask[k], hi + j0 + 8 * k);                     \
            s[k] = _mm512_maskz_loadu_pd(mask[k], values + j0 + 8 * k);          \
            c[k] = _mm512_maskz_loadu_pd(mask[k], errors + j0 + 8 * k);          \
        }                                                                        \
        for (Py_ssize_t i = start; i < stop; i++) {                              \
            const T *x = (const T *)(base + i * stride) + j0;                    \
            for (int k = 0; k < G; k++) {                                        \
                const __m512d v = PANEL_LOAD_##T(mask[k], x + 8 * k);            \
                l[k] = _mm512_min_pd(v, l[k]);                                   \
                h[k] = _mm512_max_pd(v, h[k]);                                   \
                TWO_SUM(s[k], c[k], v);                                          \
            }                                                                    \
        }                                                                        \
        for (int k = 0; k < G; k++) {                                            \
            PANEL_STORE_##T(lo + j0 + 8 * k, mask[k], l[k]);                     \
            PANEL_STORE_##T(hi + j0 + 8 * k, mask[k], h[k]);                     \
            _mm512_mask_storeu_pd(values + j0 + 8 * k, mask[k], s[k]);           \
            _mm512_mask_storeu_pd(errors + j0 + 8 * k, mask[k], c[k]);           \
        }                                                                        \
    }                                                                            \
    SKSCALE_AVX512 static void extrema_panels_##T(                               \
        const char *base, Py_ssize_t n, Py_ssize_t p, Py_ssize_t stride,         \
        T *restrict lo, T *restrict hi, T *restrict flags,                       \
        double *restrict values, double *restrict errors)                        \
    {                                                                            \
        const T *first = (const T *)base;                                        \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            lo[j] = hi[j] = first[j];                                            \
            values[j] = errors[j] = 0.0;                                         \
        }                                                                        \
        PANEL_SWEEP(panels_##T(base, start, stop, stride, 8 * q, mask, G, lo, hi, \
                               values, errors));                                 \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            const int bad = values[j] != values[j] || isinf((double)lo[j]) ||    \
                            isinf((double)hi[j]);                                \
            flags[j] = bad ? (T)NAN : (T)0;                                      \
        }                                                                        \
    }

EXTREMA_PANELS(double)
EXTREMA_PANELS(float)

/* MOMENTS_BODY for a C-ordered block on an AVX-512 machine, in the panels of
 * EXTREMA_PANELS: per panel, the pivots, the two-sums of the deviations and
 * the squares of the run of PANEL_ROWS rows in registers, which
 * MOMENTS_BODY loads and stores at every row (it left StandardScaler.fit
 * at 1.3 times a read of a C-ordered block). The same sums to rounding: the
 * deviations' two-sums take the same terms in the same order, the squares
 * join the column's sum every PANEL_ROWS rows instead of every CHUNK.
 * flags[j] is set at the end, NaN where a deviation is NaN or infinite or
 * the sums overflow: the two-sum's error term is then NaN for good. */
#define MOMENTS_PANELS(T)                                                        \
    SKSCALE_AVX512 static inline __attribute__((always_inline)) void            \
    moment_panels_##T(const char *base, Py_ssize_t start, Py_ssize_t stop,       \
                      Py_ssize_t stride, Py_ssize_t j0, const __mmask8 *mask,    \
                      const int G, const double *pivot, double *s1, double *s2,  \
                      double *c1)                                                \
    {                                                                            \
        __m512d c[4], s[4], e[4], q[4];                                          \
        for (int k = 0; k < G; k++) {                                            \
            c[k] = _mm512_maskz_loadu_pd(mask[k], pivot + j0 + 8 * k);           \
            s[k] = _mm512_maskz_loadu_pd(mask[k], s1 + j0 + 8 * k);              \
            e[k] = _mm512_maskz_loadu_pd(mask[k], c1 + j0 + 8 * k);              \
            q[k] = _mm512_setzero_pd();                                          \
        }                                                                        \
        for (Py_ssize_t i = start; i < stop; i++) {                              \
            const T *x = (const T *)(base + i * stride) + j0;                    \
            for (int k = 0; k < G; k++) {                                        \
                const __m512d d = PANEL_LOAD_##T(mask[k], x + 8 * k) - c[k];     \
                TWO_SUM(s[k], e[k], d);                                          \
                q[k] += d * d;                                                   \
            }                                                                    \
        }                                                                        \
        for (int k = 0; k < G; k++) {                                            \
            const __m512d total = _mm512_maskz_loadu_pd(mask[k], s2 + j0 + 8 * k); \
            _mm512_mask_storeu_pd(s1 + j0 + 8 * k, mask[k], s[k]);               \
            _mm512_mask_storeu_pd(c1 + j0 + 8 * k, mask[k], e[k]);               \
            _mm512_mask_storeu_pd(s2 + j0 + 8 * k, mask[k], total + q[k]);       \
        }                                                                        \
    }                                                                            \
    SKSCALE_AVX512 static void moments_panels_##T(                               \
        const char *base, Py_ssize_t n, Py_ssize_t p, Py_ssize_t stride,         \
        const double *restrict pivot, double *restrict s1,                       \
        double *restrict s2, double *restrict flags, double *restrict c1)        \
    {                                                                            \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            s1[j] = s2[j] = c1[j] = 0.0;                                         \
        }                                                                        \
        PANEL_SWEEP(moment_panels_##T(base, start, stop, stride, 8 * q, mask, G, \
                                      pivot, s1, s2, c1));                       \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            flags[j] = c1[j] != c1[j] ? NAN : 0.0;                               \
        }                                                                        \
    }

MOMENTS_PANELS(double)
MOMENTS_PANELS(float)
#endif

/* The fitted map of a column scaler, one pass over a block (see affine()).
 * Lines are `ss` (source) and `ds` (destination) bytes apart, each of m
 * contiguous values. AT selects how the per-feature vectors a, b and s are
 * read: by the value's place in its line (j: a C-ordered block, a line per
 * row) or by the line (i: a column-major block, a line per column). The
 * arithmetic is that of skscale._affine.AffineMap, in float64, in the same
 * order, every operation rounded on its own (built with -ffp-contract=off),
 * so that the output is the NumPy path's bit for bit. CENTERED and RANGE
 * are constants of each instance, which leaves out the centring and the map
 * onto an output range (and the clip) where the map has none; within a
 * step, an absent part comes as a neutral value (x - (+0), x + (-0), x * 1,
 * a clip onto +-inf), which changes no bit; the inverse's division by a
 * width of 1 is left out, as NumPy's path leaves it. `bad` ORs together
 * whether each source value is NaN or infinite (all exponent bits set), in
 * integers, which vectorize. */
#define AFFINE_BODY(NAME, TIN, UIN, EXP, TOUT, INVERSE, AT, CENTERED, RANGE)     \
    SKSCALE_CLONES static int NAME(                                              \
        const char *src, char *dst, Py_ssize_t n, Py_ssize_t m, Py_ssize_t ss,   \
        Py_ssize_t ds, const double *restrict a, const double *restrict b,       \
        const double *restrict s, double mul, double add, double lo, double hi)  \
    {                                                                            \
        UIN bad = 0;                                                             \
        /* x / 1 is x, bit for bit (MinMaxScaler's default range). */          \
        const int divide = mul != 1.0;                                           \
        (void)divide;                                                            \
        for (Py_ssize_t i = 0; i < n; i++) {                                     \
            const TIN *restrict x = (const TIN *)(src + i * ss);                 \
            const UIN *restrict bits = (const UIN *)(src + i * ss);              \
            TOUT *restrict y = (TOUT *)(dst + i * ds);                           \
            for (Py_ssize_t j = 0; j < m; j++) {                                 \
                bad |= (UIN)((bits[j] & EXP) == EXP);                            \
                double v = (double)x[j];                                         \
                if (INVERSE) {                                                   \
                    if (RANGE) {                                                 \
                        v = v - add;                                             \
                        if (divide) {                                            \
                            v = v / mul;                                         \
                        }                                                        \
                    }                                                            \
                    v = v * s[AT];                                               \
                    if (CENTERED) {                                              \
                        v = v + b[AT];                                           \
                        v = v + a[AT];                                           \
                    }                                                            \
                }                                                                \
                else {                                                           \
                    if (CENTERED) {                                              \
                        v = v - a[AT];                                           \
                        v = v - b[AT];                                           \
                    }                                                            \
                    v = v / s[AT];                                               \
                    if (RANGE) {                                                 \
                        v = v * mul;                                             \
                        v = v + add;                                             \
                        v = v < lo ? lo : v;                                     \
                        v = v > hi ? hi : v;                                     \
                    }                                                            \
                }                                                                \
                y[j] = (TOUT)v;                                                  \
            }                                                                    \
        }                                                                        \
        return bad != 0;                                                         \
    }

#define EXP64 UINT64_C(0x7ff0000000000000)
#define EXP32 UINT32_C(0x7f800000)
/* The eight instances of one pair of types: [inverse][per line][centered]
 * [range], named by their letters. */
#define AFFINE_STEPS(T, TIN, UIN, EXP, TOUT, INV, AT, C)                         \
    AFFINE_BODY(affine_##T##_##INV##AT##C##0, TIN, UIN, EXP, TOUT, INV, AT, C, 0) \
    AFFINE_BODY(affine_##T##_##INV##AT##C##1, TIN, UIN, EXP, TOUT, INV, AT, C, 1)
#define AFFINE_ALL(T, TIN, UIN, EXP, TOUT)                                       \
    AFFINE_STEPS(T, TIN, UIN, EXP, TOUT, 0, j, 0)                                \
    AFFINE_STEPS(T, TIN, UIN, EXP, TOUT, 0, j, 1)                                \
    AFFINE_STEPS(T, TIN, UIN, EXP, TOUT, 0, i, 0)                                \
    AFFINE_STEPS(T, TIN, UIN, EXP, TOUT, 0, i, 1)                                \
    AFFINE_STEPS(T, TIN, UIN, EXP, TOUT, 1, j, 0)                                \
    AFFINE_STEPS(T, TIN, UIN, EXP, TOUT, 1, j, 1)                                \
    AFFINE_STEPS(T, TIN, UIN, EXP, TOUT, 1, i, 0)                                \
    AFFINE_STEPS(T, TIN, UIN, EXP, TOUT, 1, i, 1)

AFFINE_ALL(dd, double, uint64_t, EXP64, double)
AFFINE_ALL(ff, float, uint32_t, EXP32, float)
AFFINE_ALL(fd, float, uint32_t, EXP32, double)
AFFINE_ALL(df, double, uint64_t, EXP64, float)

typedef int (*affine_fn)(const char *, char *, Py_ssize_t, Py_ssize_t,
                         Py_ssize_t, Py_ssize_t, const double *, const double *,
                         const double *, double, double, double, double);

#define AFFINE_ROW(T)                                                            \
    {{{{affine_##T##_0j00, affine_##T##_0j01},                                   \
       {affine_##T##_0j10, affine_##T##_0j11}},                                  \
      {{affine_##T##_0i00, affine_##T##_0i01},                                   \
       {affine_##T##_0i10, affine_##T##_0i11}}},                                 \
     {{{affine_##T##_1j00, affine_##T##_1j01},                                   \
       {affine_##T##_1j10, affine_##T##_1j11}},                                  \
      {{affine_##T##_1i00, affine_##T##_1i01},                                   \
       {affine_##T##_1i10, affine_##T##_1i11}}}}

/* [source is float32][destination is float32][inverse][per line][centered]
 * [range] */
static const affine_fn affine_table[2][2][2][2][2][2] = {
    {AFFINE_ROW(dd), AFFINE_ROW(df)},
    {AFFINE_ROW(fd), AFFINE_ROW(ff)},
};

/* The row normalizers' pass: each row's statistics, then the row divided,
 * from the same cached values (one read of the block from memory, where the
 * statistics and the map took two). The statistics are those of
 * skscale._stats.fused_row_moments: s1 and s2, the sums of the row's
 * deviations from a pivot (its first value; 0 for the l2 norm) and of their
 * squares, in float64 (a NaN or an infinity among the values makes s2 NaN
 * or infinite, as an overflow does: no flag is needed). Each sum is
 * taken in one order: of the first p - p % 8 values, value j into lane
 * j % 8, the lanes then added as LANE_SUM adds them; the last p % 8 values
 * in sequence into a tail sum, added last. A C-ordered block (a row in
 * vectors of 8) and a column-major one (8 rows in the lanes of a vector, a
 * column at a time) keep that order alike, so they give the same bits. */
typedef struct {
    double p, factor, root_eps, recenter;
    int with_mean, with_std;
} RowMap;

/* The divisor of a row (and, for MODE 1, the mean of its deviations) from
 * its statistics, as the caller's NumPy code derives it; 0 for a row left to
 * the caller. MODE 0, the l2 norm: sqrt(s2), kept where it lies in
 * (1e-140, 1e140), where no square overflowed or underflowed. MODE 1,
 * LayerNormalizer: the moments kept where they are exact to rounding (finite,
 * no NaN, the pivot within sqrt(recenter) standard deviations of the mean,
 * the squares far from underflow); the divisor
 * hypot(sqrt(var) * factor, root_eps), or 1 without with_std or where it
 * is 0. */
static inline int
row_divisor(int mode, const RowMap *m, double s1, double s2, double *offset,
            double *divisor)
{
    *offset = 0.0;
    *divisor = 1.0;
    if (mode == 0) {
        double norm = sqrt(s2);
        int kept = norm > 1e-140 && norm < 1e140;
        *divisor = kept ? norm : 1.0;
        return kept;
    }
    double mean = s1 / m->p;
    double var = s2 / m->p - mean * mean;
    var = var < 0.0 ? 0.0 : var;
    if (!(isfinite(s2) && mean * mean <= m->recenter * var && s2 > 0x1p-900)) {
        return 0;
    }
    /* hypot(x, 0) is |x| (C99), without a call to libm's hypot. */
    double std = sqrt(var) * m->factor;
    double scale = !m->with_std          ? 1.0
                   : m->root_eps == 0.0 ? fabs(std)
                                        : hypot(std, m->root_eps);
    *offset = mean;
    *divisor = scale == 0.0 ? 1.0 : scale;
    return 1;
}

/* A column-major group's divisors (see ROWS_F), a row at a time: row g of
 * the tile's groups, its 8 rows' sums in the lanes of s1 and s2. */
#define GROUP_DIVISORS(T, MODE)                                                  \
    do {                                                                         \
        all[g] = ok[g] = 1;                                                      \
        for (int k = 0; k < 8; k++) {                                            \
            double o, r;                                                         \
            unsigned char *flag = &done[i0 + 8 * g + k];                         \
            *flag = (unsigned char)row_divisor(MODE, m, s1[k], s2[k], &o, &r);   \
            all[g] &= *flag;                                                     \
            ov[g][k] = o;                                                        \
            dv[g][k] = r;                                                        \
            rv[g][k] = 1.0 / r;                                                  \
            ok[g] &= MARKSTEIN_DIVISOR(sizeof(T) == 4, r);                       \
        }                                                                        \
    } while (0)

/* Whether the machine runs AVX-512 (set at import): the row pass then takes
 * its AVX-512 instances. */
static int avx512 = 0;

/* Whether a group's divisors s (in every lane) let DIVIDE_512 divide
 * float64 rows by fused multiply-adds: s in [2**-100, 2**100], so that 1 / s
 * is normal and every quotient of a dividend in [2**-800, 2**900] lies in
 * [2**-900, 2**1000]. A float32 row's always do (see DIVIDE_512). Only the
 * column-major pass asks: there the division runs from L2 over a tile, and
 * the corrections took an in-place float64 UnitLengthNormalizer of
 * 2,000,000 x 50 from 96 to 80 ms; in the C-ordered pass, each row's
 * division overlapping the next row's loads, they cost what they saved. */
#define MARKSTEIN_DIVISOR(FLOAT, s) ((FLOAT) || ((s) >= 0x1p-100 && (s) <= 0x1p100))

/* q = d / s in each lane (s > 0): the division instruction. */
#define DIVIDE_PLAIN(FLOAT, OK, q, d, s, r) ((q) = (d) / (s))

#define STORE_DOUBLE(ptr, v) memcpy((ptr), &(v), sizeof(v))
#define STORE_FLOAT(ptr, v)                                                      \
    do {                                                                         \
        vfloat narrow_ = __builtin_convertvector((v), vfloat);                   \
        memcpy((ptr), &narrow_, sizeof narrow_);                                 \
    } while (0)

#ifdef SKSCALE_AVX512
/* q = d / s in each lane (s > 0), correctly rounded, given r = 1 / s
 * (correctly rounded), without the division instruction where that is
 * exact: q = d * r, then twice q = q + e * -r with e = q * s - d, the
 * remainder, exact in a fused multiply-add. By Markstein's theorem (a
 * reciprocal within half an ulp, a quotient within one ulp after the first
 * correction) the second gives the correctly rounded quotient, the same
 * bits as the division, at a fraction of its cost, wherever no quotient or
 * remainder comes near underflow or overflow. A zero keeps its sign: where
 * q is exact, e is +0 and e * -r is -0. The remainder is fmsub(q, s, d)
 * and the correction fnmadd(e, r, q): q * s + (-d) and e * (-r) + q,
 * signs of zero included, without an instruction to negate d and r. No
 * fused multiply-add's result is negated: GCC may fold -fma(a, b, c) into
 * fma(-a, b, -c), which differs in the sign of a zero.
 *
 * A float32 row's (FLOAT) nonzero quotients and remainders stay far inside
 * float64's range (about 2**-300 to 2**700: its values and their deviations
 * are multiples of 2**-149 below 2**129, the divisors at least 2**-460 where
 * exact). A float64 row's do where its divisor passes MARKSTEIN_DIVISOR
 * (OK) and every dividend of the vector is 0 or within [2**-800, 2**900]
 * (checked on the bits, the sign left out): a remainder is then a multiple of
 * at least 2**-905, far above underflow. Any other vector takes the
 * division. */
#define DIVIDE_512(FLOAT, OK, q, d, s, r)                                        \
    do {                                                                         \
        const __m512d d_ = (__m512d)(d), s_ = (__m512d)(s), r_ = (__m512d)(r); \
        int fast_ = (FLOAT);                                                     \
        if (!(FLOAT) && (OK)) {                                                  \
            const __m512i b_ = _mm512_and_si512(                                 \
                _mm512_castpd_si512(d_), _mm512_set1_epi64(INT64_MAX));          \
            fast_ = !(_mm512_cmpgt_epu64_mask(                                   \
                          b_, _mm512_set1_epi64(INT64_C(0x7830000000000000))) |  \
                      _mm512_cmplt_epu64_mask(                                   \
                          _mm512_sub_epi64(b_, _mm512_set1_epi64(1)),            \
                          _mm512_set1_epi64(INT64_C(0x0df0000000000000) - 1)));  \
        }                                                                        \
        if (fast_) {                                                             \
            __m512d q_ = _mm512_mul_pd(d_, r_), e_;                              \
            e_ = _mm512_fmsub_pd(q_, s_, d_);                                    \
            q_ = _mm512_fnmadd_pd(e_, r_, q_);                                   \
            e_ = _mm512_fmsub_pd(q_, s_, d_);                                    \
            q_ = _mm512_fnmadd_pd(e_, r_, q_);                                   \
            (q) = (vdouble)q_;                                                   \
        }                                                                        \
        else {                                                                   \
            (q) = (d) / (s);                                                     \
        }                                                                        \
    } while (0)

/* GCC 12 widens a vector of 8 floats in two halves; the instruction does it
 * in one. */
#define LOAD_FLOAT_512(v, ptr)                                                   \
    ((v) = (vdouble)_mm512_cvtps_pd(_mm256_loadu_ps((const float *)(ptr))))
#define STORE_FLOAT_512(ptr, v)                                                  \
    _mm256_storeu_ps((float *)(ptr), _mm512_cvtpd_ps((__m512d)(v)))

/* row_divisor for the 8 rows of a column-major group at once, their s1 and
 * s2 in the lanes: the same operations in the same order (division, square
 * root, comparisons), so the same bits, where the scalar loop took a
 * quarter of the pass (its divisions and square root one row at a time).
 * hypot (with_std and root_eps > 0) is the scalar loop's: no vector
 * instruction rounds it as libm does. Returns the rows kept; offset and
 * divisor are 0 and 1 in the others. */
SKSCALE_AVX512 static inline __attribute__((always_inline)) __mmask8
row_divisors_512(int mode, const RowMap *m, __m512d s1, __m512d s2,
                 __m512d *offset, __m512d *divisor)
{
    const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
    if (mode == 0) {
        const __m512d norm = _mm512_sqrt_pd(s2);
        const __mmask8 kept =
            _mm512_cmp_pd_mask(norm, _mm512_set1_pd(1e-140), _CMP_GT_OQ) &
            _mm512_cmp_pd_mask(norm, _mm512_set1_pd(1e140), _CMP_LT_OQ);
        *offset = zero;
        *divisor = _mm512_mask_blend_pd(kept, one, norm);
        return kept;
    }
    const __m512d p = _mm512_set1_pd(m->p);
    const __m512d mean = _mm512_div_pd(s1, p);
    const __m512d square = _mm512_mul_pd(mean, mean);
    __m512d var = _mm512_sub_pd(_mm512_div_pd(s2, p), square);
    const __mmask8 negative = _mm512_cmp_pd_mask(var, zero, _CMP_LT_OQ);
    var = _mm512_mask_blend_pd(negative, var, zero);
    const __m512d bound = _mm512_mul_pd(_mm512_set1_pd(m->recenter), var);
    const __mmask8 kept =
        _mm512_cmp_pd_mask(_mm512_abs_pd(s2), _mm512_set1_pd(INFINITY),
                           _CMP_LT_OQ) &
        _mm512_cmp_pd_mask(square, bound, _CMP_LE_OQ) &
        _mm512_cmp_pd_mask(s2, _mm512_set1_pd(0x1p-900), _CMP_GT_OQ);
    __m512d scale = one;
    if (m->with_std) {
        scale = _mm512_abs_pd(
            _mm512_mul_pd(_mm512_sqrt_pd(var), _mm512_set1_pd(m->factor)));
        scale = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(scale, zero, _CMP_EQ_OQ),
                                     scale, one);
    }
    *offset = _mm512_maskz_mov_pd(kept, mean);
    *divisor = _mm512_mask_blend_pd(kept, one, scale);
    return kept;
}

/* A column-major group's divisors (see ROWS_F), 8 rows at a time in the
 * vectors where row_divisors_512 rounds as row_divisor does. */
#define GROUP_DIVISORS_512(T, MODE)                                              \
    do {                                                                         \
        if (MODE && m->with_std && m->root_eps != 0.0) {                         \
            GROUP_DIVISORS(T, MODE);                                             \
            break;                                                               \
        }                                                                        \
        __m512d o_, r_;                                                          \
        const __mmask8 kept_ =                                                   \
            row_divisors_512(MODE, m, (__m512d)s1, (__m512d)s2, &o_, &r_);       \
        for (int k = 0; k < 8; k++) {                                            \
            done[i0 + 8 * g + k] = (unsigned char)((kept_ >> k) & 1);            \
        }                                                                        \
        all[g] = kept_ == 0xff;                                                  \
        ov[g] = (vdouble)o_;                                                     \
        dv[g] = (vdouble)r_;                                                     \
        rv[g] = (vdouble)_mm512_div_pd(_mm512_set1_pd(1.0), r_);                 \
        ok[g] = sizeof(T) == 4 ||                                                \
                (_mm512_cmp_pd_mask(r_, _mm512_set1_pd(0x1p-100), _CMP_GE_OQ) &  \
                 _mm512_cmp_pd_mask(r_, _mm512_set1_pd(0x1p100), _CMP_LE_OQ)) == \
                    0xff;                                                        \
    } while (0)
#endif

/* Row i of a column-major block, scalar, in the vectors' order: value j at
 * row i of column xcol[j], written at row i of the column ds bytes after
 * column j - 1's in dst. The rows past a block's last group of 8, and those
 * of a group with a row left to the caller. */
#define ROW_ONE(T, MODE)                                                         \
    static inline void row_one_##T##_##MODE(                                    \
        const char *const *xcol, char *dst, Py_ssize_t i, Py_ssize_t p,          \
        Py_ssize_t ds, const RowMap *m, unsigned char *done)                     \
    {                                                                            \
        double a1[8] = {0}, a2[8] = {0}, t1 = 0.0, t2 = 0.0;                     \
        const double c = MODE ? (double)((const T *)xcol[0])[i] : 0.0;           \
        const Py_ssize_t full = p - p % 8;                                       \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            double d = (double)((const T *)xcol[j])[i] - c;                      \
            if (j < full) {                                                      \
                a1[j & 7] += d;                                                  \
                a2[j & 7] += d * d;                                              \
            }                                                                    \
            else {                                                               \
                t1 += d;                                                         \
                t2 += d * d;                                                     \
            }                                                                    \
        }                                                                        \
        double offset, divisor;                                                  \
        *done = (unsigned char)row_divisor(MODE, m, LANE_SUM(a1) + t1,           \
                                           LANE_SUM(a2) + t2, &offset, &divisor); \
        if (!*done) {                                                            \
            return;                                                              \
        }                                                                        \
        for (Py_ssize_t j = 0; j < p; j++) {                                     \
            double v = (double)((const T *)xcol[j])[i];                          \
            if (MODE && m->with_mean) {                                          \
                v = v - c;                                                       \
                v = v - offset;                                                  \
            }                                                                    \
            ((T *)(dst + j * ds))[i] = (T)(v / divisor);                         \
        }                                                                        \
    }

ROW_ONE(double, 0)
ROW_ONE(double, 1)
ROW_ONE(float, 0)
ROW_ONE(float, 1)

/* A C-ordered row's last p % 8 values divided, one at a time. */
#define TAIL_SCALAR(T, x, y, center, cv, ov, dv, rv, ci, oi, si)                 \
    do {                                                                         \
        for (Py_ssize_t j = full; j < p; j++) {                                  \
            double v = (double)(x)[j];                                           \
            if (center) {                                                        \
                v = v - (ci);                                                    \
                v = v - (oi);                                                    \
            }                                                                    \
            (y)[j] = (T)(v / (si));                                              \
        }                                                                        \
    } while (0)
#ifdef SKSCALE_AVX512
/* The same in one masked vector for a float32 row: the same operations on
 * each value (the fused multiply-adds give the division's bits, see
 * DIVIDE_512), in place of a division instruction per value. */
#define TAIL_512(T, x, y, center, cv, ov, dv, rv, ci, oi, si)                    \
    do {                                                                         \
        if (sizeof(T) == 8 || full == p) {                                       \
            TAIL_SCALAR(T, x, y, center, cv, ov, dv, rv, ci, oi, si);            \
            break;                                                               \
        }                                                                        \
        const __mmask16 tail_mask = (__mmask16)((1u << (p - full)) - 1u);        \
        const __m512 tail_x =                                                    \
            _mm512_maskz_loadu_ps(tail_mask, (const float *)((x) + full));       \
        vdouble tail_d =                                                         \
            (vdouble)_mm512_cvtps_pd(_mm512_castps512_ps256(tail_x));            \
        vdouble tail_q = tail_d;                                                 \
        if (center) {                                                            \
            tail_d -= (cv);                                                      \
            tail_d -= (ov);                                                      \
        }                                                                        \
        DIVIDE_512(1, 0, tail_q, tail_d, (dv), (rv));                            \
        const __m256 tail_y = _mm512_cvtpd_ps((__m512d)tail_q);                  \
        _mm512_mask_storeu_ps((float *)((y) + full), tail_mask,                  \
                              _mm512_castps256_ps512(tail_y));                   \
    } while (0)
#endif

/* A C-ordered block: rows `ss` (source) and `ds` (destination) bytes apart,
 * each of p contiguous values, read in vectors of 8. dst may be src (no
 * restrict). Row i + 1's statistics are taken before row i is divided: the
 * chain from a row's sums to its divisor (the lanes' sum, a division, a
 * square root, a reciprocal) then runs while the previous row divides,
 * rather than holding the division's instructions in the scheduler until it
 * ends. The row about PREFETCH_BYTES ahead is asked for into L1 as row i is
 * divided: the hardware's prefetchers alone left the pass waiting on memory
 * (2,000,000 x 50 float64 in place, two threads: 82 to 66 ms). */
#define PREFETCH_BYTES 4096
#define ROW_STATS(T, LOAD, MODE, x, c, offset, divisor, kept)                    \
    do {                                                                         \
        const vdouble cv_ = zero + (c);                                          \
        vdouble a1_ = zero, a2_ = zero, d_;                                      \
        double t1_ = 0.0, t2_ = 0.0;                                             \
        for (Py_ssize_t j = 0; j < full; j += 8) {                               \
            LOAD(d_, (x) + j);                                                   \
            if (MODE) {                                                          \
                d_ -= cv_;                                                       \
                a1_ += d_;                                                       \
            }                                                                    \
            a2_ += d_ * d_;                                                      \
        }                                                                        \
        for (Py_ssize_t j = full; j < p; j++) {                                  \
            double e_ = (double)(x)[j] - (c);                                    \
            t1_ += e_;                                                           \
            t2_ += e_ * e_;                                                      \
        }                                                                        \
        (kept) = row_divisor(MODE, m, LANE_SUM(a1_) + t1_, LANE_SUM(a2_) + t2_,  \
                             &(offset), &(divisor));                             \
    } while (0)
#define ROWS_C(NAME, ISA, T, LOAD, STORE, DIVIDE, TAIL, MODE)                    \
    ISA static void NAME(const char *src, char *dst, Py_ssize_t n,               \
                         Py_ssize_t p, Py_ssize_t ss, Py_ssize_t ds,             \
                         const RowMap *m, unsigned char *done)                   \
    {                                                                            \
        const vdouble zero = {0};                                                \
        const Py_ssize_t full = p - p % 8;                                       \
        const int center = MODE && m->with_mean;                                 \
        double c = 0.0, offset = 0.0, divisor = 1.0;                             \
        int kept = 0;                                                            \
        /* The row about PREFETCH_BYTES ahead, asked for ahead of its loads. */ \
        const Py_ssize_t ahead =                                                 \
            ss > 0 && ss < PREFETCH_BYTES ? PREFETCH_BYTES / ss : 1;             \
        if (n > 0) {                                                             \
            const T *x = (const T *)src;                                         \
            c = MODE ? (double)x[0] : 0.0;                                       \
            ROW_STATS(T, LOAD, MODE, x, c, offset, divisor, kept);               \
        }                                                                        \
        for (Py_ssize_t i = 0; i < n; i++) {                                     \
            const T *x = (const T *)(src + i * ss);                              \
            T *y = (T *)(dst + i * ds);                                          \
            /* Row i's map, then row i + 1's statistics. */                     \
            if (i + ahead < n) {                                                 \
                const char *later = src + (i + ahead) * ss;                      \
                for (Py_ssize_t b = 0; b < p * (Py_ssize_t)sizeof(T); b += 64) { \
                    __builtin_prefetch(later + b, 0, 3);                         \
                }                                                                \
            }                                                                    \
            const double ci = c, oi = offset, si = divisor;                      \
            const int ki = kept;                                                 \
            if (i + 1 < n) {                                                     \
                const T *next = (const T *)(src + (i + 1) * ss);                 \
                c = MODE ? (double)next[0] : 0.0;                                \
                ROW_STATS(T, LOAD, MODE, next, c, offset, divisor, kept);        \
            }                                                                    \
            done[i] = (unsigned char)ki;                                         \
            if (!ki) {                                                           \
                continue;                                                        \
            }                                                                    \
            const vdouble cv = zero + ci, ov = zero + oi, dv = zero + si,        \
                          rv = zero + 1.0 / si;                                  \
            vdouble d, q;                                                        \
            (void)rv;                                                            \
            for (Py_ssize_t j = 0; j < full; j += 8) {                           \
                LOAD(d, x + j);                                                  \
                if (center) {                                                    \
                    d -= cv;                                                     \
                    d -= ov;                                                     \
                }                                                                \
                /* float64 rows take the division here (OK 0): measured, the */ \
                /* range check and corrections cost what they save. */          \
                DIVIDE(sizeof(T) == 4, 0, q, d, dv, rv);                         \
                STORE(y + j, q);                                                 \
            }                                                                    \
            TAIL(T, x, y, center, cv, ov, dv, rv, ci, oi, si);                  \
        }                                                                        \
    }

/* A column-major block: p columns of n contiguous values, column j of the
 * source at xcol[j] (a Fortran-ordered block's, or a polars frame's, each in
 * its own buffer), of the destination ds bytes after column j - 1's; FROWS
 * rows at a time, in groups of 8 rows, one in each lane of
 * a vector. The statistics go a column at a time down the FROWS rows, then
 * the division a column at a time again, from L2: reading 8 rows across
 * every column instead touches as many pages as there are columns, for loads
 * and stores alike, and ran ten times slower once the output was not the
 * input. The statistics' pass asks for the next FROWS rows of each column
 * (the hardware's prefetchers follow a few dozen streams, not one per
 * column), and the division's for the next FROWS rows of each column of the
 * output, to be written. A group with a row left to the caller is divided
 * row by row. 128 rows (a float32 tile of 50 columns is 25 KB, its sums
 * 18 KB): with the divisors in vectors, 4-12% faster than 256 on
 * 2,000,000 x 50 Fortran blocks; 64 mixed. */
#define FROWS 128
/* Each 64-byte line of the `bytes` from `start` asked for into L2, to be
 * read (RW 0) or written (RW 1). */
#define PREFETCH_L2(start, bytes, RW)                                            \
    do {                                                                         \
        const char *from_ = (const char *)(start);                               \
        for (size_t b_ = 0; b_ < (size_t)(bytes); b_ += 64) {                    \
            __builtin_prefetch(from_ + b_, (RW), 2);                             \
        }                                                                        \
    } while (0)
#define ROWS_F(NAME, ISA, T, LOAD, STORE, DIVIDE, DIVISORS, MODE)                \
    ISA static void NAME(const char *const *xcol, char *dst,                     \
                                    Py_ssize_t n, Py_ssize_t p, Py_ssize_t ds,   \
                                    const RowMap *m, unsigned char *done)        \
    {                                                                            \
        const vdouble zero = {0};                                                \
        const int center = MODE && m->with_mean;                                 \
        const Py_ssize_t whole = n - n % 8, full = p - p % 8;                    \
        /* Lanes 0-7, then the tail sum, for each group of rows. */            \
        vdouble a1[9][FROWS / 8], a2[9][FROWS / 8];                              \
        vdouble c[FROWS / 8], ov[FROWS / 8], dv[FROWS / 8], rv[FROWS / 8], d, q; \
        int all[FROWS / 8], ok[FROWS / 8];                                       \
        (void)rv; /* DIVIDE_PLAIN reads no reciprocal */                         \
        for (Py_ssize_t i0 = 0; i0 < whole; i0 += FROWS) {                       \
            const int groups =                                                   \
                (int)((whole - i0 < FROWS ? whole - i0 : FROWS) / 8);            \
            for (int g = 0; g < groups; g++) {                                   \
                for (int k = 0; k < 9; k++) {                                    \
                    a1[k][g] = a2[k][g] = zero;                                  \
                }                                                                \
                c[g] = zero;                                                     \
                if (MODE) {                                                      \
                    LOAD(c[g], (const T *)xcol[0] + i0 + 8 * g);                 \
                }                                                                \
            }                                                                    \
            for (Py_ssize_t j = 0; j < p; j++) {                                 \
                const T *x = (const T *)xcol[j] + i0;                            \
                const int lane = j < full ? (int)(j & 7) : 8;                    \
                if (i0 + 2 * FROWS <= whole) {                                   \
                    /* The column's next FROWS rows, on their way to L2. */     \
                    PREFETCH_L2(x + FROWS, FROWS * sizeof(T), 0);                \
                }                                                                \
                vdouble *s1 = a1[lane], *s2 = a2[lane];                          \
                for (int g = 0; g < groups; g++) {                               \
                    LOAD(d, x + 8 * g);                                          \
                    if (MODE) {                                                  \
                        d -= c[g];                                               \
                        s1[g] += d;                                              \
                    }                                                            \
                    s2[g] += d * d;                                              \
                }                                                                \
            }                                                                    \
            for (int g = 0; g < groups; g++) {                                   \
                vdouble s1 = ((a1[0][g] + a1[4][g]) + (a1[2][g] + a1[6][g])) +   \
                             ((a1[1][g] + a1[5][g]) + (a1[3][g] + a1[7][g]));    \
                vdouble s2 = ((a2[0][g] + a2[4][g]) + (a2[2][g] + a2[6][g])) +   \
                             ((a2[1][g] + a2[5][g]) + (a2[3][g] + a2[7][g]));    \
                s1 += a1[8][g];                                                  \
                s2 += a2[8][g];                                                  \
                DIVISORS(T, MODE);                                               \
            }                                                                    \
            for (Py_ssize_t j = 0; j < p; j++) {                                 \
                const T *x = (const T *)xcol[j] + i0;                            \
                T *y = (T *)(dst + j * ds) + i0;                                 \
                if (i0 + 2 * FROWS <= whole) {                                   \
                    /* The column's next FROWS rows of output, for writing. */  \
                    PREFETCH_L2(y + FROWS, FROWS * sizeof(T), 1);                \
                }                                                                \
                for (int g = 0; g < groups; g++) {                               \
                    if (!all[g]) {                                               \
                        continue;                                                \
                    }                                                            \
                    LOAD(d, x + 8 * g);                                          \
                    if (center) {                                                \
                        d -= c[g];                                               \
                        d -= ov[g];                                              \
                    }                                                            \
                    DIVIDE(sizeof(T) == 4, ok[g], q, d, dv[g], rv[g]);           \
                    STORE(y + 8 * g, q);                                         \
                }                                                                \
            }                                                                    \
            for (int g = 0; g < groups; g++) {                                   \
                for (int k = 0; !all[g] && k < 8; k++) {                         \
                    Py_ssize_t i = i0 + 8 * g + k;                               \
                    if (done[i]) {                                               \
                        row_one_##T##_##MODE(xcol, dst, i, p, ds, m, &done[i]);  \
                    }                                                            \
                }                                                                \
            }                                                                    \
        }                                                                        \
        for (Py_ssize_t i = whole; i < n; i++) {                                 \
            row_one_##T##_##MODE(xcol, dst, i, p, ds, m, &done[i]);              \
        }                                                                        \
    }

#define ROWS_ALL(SUFFIX, ISA, LOAD_F, STORE_F, DIVIDE, DIVISORS, TAIL)           \
    ROWS_C(rows_c_double_0##SUFFIX, ISA, double, LOAD_DOUBLE, STORE_DOUBLE,      \
           DIVIDE, TAIL, 0)                                                      \
    ROWS_C(rows_c_double_1##SUFFIX, ISA, double, LOAD_DOUBLE, STORE_DOUBLE,      \
           DIVIDE, TAIL, 1)                                                      \
    ROWS_C(rows_c_float_0##SUFFIX, ISA, float, LOAD_F, STORE_F, DIVIDE, TAIL, 0) \
    ROWS_C(rows_c_float_1##SUFFIX, ISA, float, LOAD_F, STORE_F, DIVIDE, TAIL, 1) \
    ROWS_F(rows_f_double_0##SUFFIX, ISA, double, LOAD_DOUBLE, STORE_DOUBLE,      \
           DIVIDE, DIVISORS, 0)                                                  \
    ROWS_F(rows_f_double_1##SUFFIX, ISA, double, LOAD_DOUBLE, STORE_DOUBLE,      \
           DIVIDE, DIVISORS, 1)                                                  \
    ROWS_F(rows_f_float_0##SUFFIX, ISA, float, LOAD_F, STORE_F, DIVIDE,          \
           DIVISORS, 0)                                                          \
    ROWS_F(rows_f_float_1##SUFFIX, ISA, float, LOAD_F, STORE_F, DIVIDE,          \
           DIVISORS, 1)

ROWS_ALL(, SKSCALE_CLONES, LOAD_FLOAT, STORE_FLOAT, DIVIDE_PLAIN, GROUP_DIVISORS,
         TAIL_SCALAR)
#ifdef SKSCALE_AVX512
ROWS_ALL(_512, SKSCALE_AVX512, LOAD_FLOAT_512, STORE_FLOAT_512, DIVIDE_512,
         GROUP_DIVISORS_512, TAIL_512)
#endif

typedef void (*rows_c_fn)(const char *, char *, Py_ssize_t, Py_ssize_t,
                          Py_ssize_t, Py_ssize_t, const RowMap *, unsigned char *);
typedef void (*rows_f_fn)(const char *const *, char *, Py_ssize_t, Py_ssize_t,
                          Py_ssize_t, const RowMap *, unsigned char *);

/* [AVX-512][float32][mode] */
#ifdef SKSCALE_AVX512
#define ROWS_512(KIND) KIND##_512
#else
#define ROWS_512(KIND) KIND
#endif
static const rows_c_fn rows_c_table[2][2][2] = {
    {{rows_c_double_0, rows_c_double_1}, {rows_c_float_0, rows_c_float_1}},
    {{ROWS_512(rows_c_double_0), ROWS_512(rows_c_double_1)},
     {ROWS_512(rows_c_float_0), ROWS_512(rows_c_float_1)}},
};
static const rows_f_fn rows_f_table[2][2][2] = {
    {{rows_f_double_0, rows_f_double_1}, {rows_f_float_0, rows_f_float_1}},
    {{ROWS_512(rows_f_double_0), ROWS_512(rows_f_double_1)},
     {ROWS_512(rows_f_float_0), ROWS_512(rows_f_float_1)}},
};

/* Whether a block holds an infinity: some value whose bits, the sign left
 * out, are those of infinity (NaN is not one). Lines of m contiguous values,
 * `stride` bytes apart; integer operations only, which vectorize, at the
 * speed of a read. */
#define INFINITY_BODY(NAME, U, ABS, INF)                                         \
    SKSCALE_CLONES static int NAME(const char *base, Py_ssize_t n, Py_ssize_t m, \
                                   Py_ssize_t stride)                            \
    {                                                                            \
        U found = 0;                                                             \
        for (Py_ssize_t i = 0; i < n; i++) {                                     \
            const U *restrict b = (const U *)(base + i * stride);                \
            for (Py_ssize_t j = 0; j < m; j++) {                                 \
                found |= (U)((b[j] & ABS) == INF);                               \
            }                                                                    \
        }                                                                        \
        return found != 0;                                                       \
    }

INFINITY_BODY(infinity_double, uint64_t, UINT64_C(0x7fffffffffffffff), EXP64)
INFINITY_BODY(infinity_float, uint32_t, UINT32_C(0x7fffffff), EXP32)

/* A contiguous vector of `length` items of `itemsize` bytes, writable
 * unless `flags` is PyBUF_C_CONTIGUOUS alone. */
static int
get_vector_as(PyObject *obj, Py_buffer *view, Py_ssize_t length,
              Py_ssize_t itemsize, int flags)
{
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        return -1;
    }
    if (view->len != length * itemsize || view->itemsize != itemsize) {
        PyErr_SetString(PyExc_ValueError, "an output vector has the wrong size");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* A writable, contiguous vector (an output). */
static int
get_vector(PyObject *obj, Py_buffer *view, Py_ssize_t length, Py_ssize_t itemsize)
{
    return get_vector_as(obj, view, length, itemsize,
                         PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS);
}

/* A buffer's struct format without its byte-order prefix ("d", "f", ...). */
static const char *
plain_format(const Py_buffer *view)
{
    const char *format = view->format ? view->format : "B";
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') {
        format++;
    }
    return format;
}

/* A 2-D float64 or float32 buffer whose rows hold contiguous values (a row
 * of one value is contiguous), read with `flags`. `whole` (the reductions)
 * asks for at least one row and for rows that do not overlap, or for
 * columns that do not overlap, each of contiguous values; `*columns` then
 * says which (1 for columns). Returns the itemsize (8 or 4), or 0 with an
 * exception set. */
static Py_ssize_t
get_rows(PyObject *obj, Py_buffer *block, int flags, int whole, int *columns)
{
    if (PyObject_GetBuffer(obj, block, flags) < 0) {
        return 0;
    }
    const char *format = plain_format(block);
    int is_double = strcmp(format, "d") == 0;
    Py_ssize_t itemsize = is_double ? 8 : 4;
    int ok = block->ndim == 2 && (is_double || strcmp(format, "f") == 0);
    if (ok && whole) {
        Py_ssize_t n = block->shape[0], p = block->shape[1];
        const Py_ssize_t *st = block->strides;
        /* A single column is read as a column, a single row as a row. */
        *columns = st[0] == itemsize && (p == 1 || st[1] >= n * itemsize) &&
                   !(n == 1 && p > 1);
        ok = n >= 1 && (*columns || (st[1] == itemsize && st[0] >= p * itemsize));
    }
    else if (ok) {
        ok = block->shape[1] <= 1 || block->strides[1] == itemsize;
    }
    if (!ok) {
        PyErr_SetString(PyExc_ValueError,
                        whole ? "expected a 2-D float64 or float32 block of at "
                                "least one row, its rows or columns contiguous"
                              : "expected a 2-D float64 or float32 block, its "
                                "rows contiguous");
        PyBuffer_Release(block);
        return 0;
    }
    return itemsize;
}

/* A block for the reductions; `*columns` says it is read column by column. */
static Py_ssize_t
get_block(PyObject *obj, Py_buffer *block, int *columns)
{
    return get_rows(obj, block, PyBUF_RECORDS_RO, 1, columns);
}

/* A reduction's arguments: its block and the vectors it writes, one value
 * per column each. */
typedef struct {
    Py_buffer block, views[6];
    Py_ssize_t itemsize, n, p, stride; /* stride: between rows, or columns */
    int columns, count;
} Reduction;

static void
close_reduction(Reduction *r)
{
    for (int k = 0; k < r->count; k++) {
        PyBuffer_Release(&r->views[k]);
    }
    PyBuffer_Release(&r->block);
}

/* Takes the block and `count` vectors of sizes[k]-byte items (0: the
 * block's itemsize). Returns 0, or -1 with an exception set and nothing
 * held. */
static int
open_reduction(Reduction *r, PyObject *block_obj, PyObject *const *vectors,
               int count, const Py_ssize_t *sizes)
{
    r->count = 0;
    r->itemsize = get_block(block_obj, &r->block, &r->columns);
    if (!r->itemsize) {
        return -1;
    }
    r->n = r->block.shape[0];
    r->p = r->block.shape[1];
    r->stride = r->block.strides[r->columns ? 1 : 0];
    for (; r->count < count; r->count++) {
        Py_ssize_t size = sizes[r->count] ? sizes[r->count] : r->itemsize;
        if (get_vector(vectors[r->count], &r->views[r->count], r->p, size) < 0) {
            close_reduction(r);
            return -1;
        }
    }
    return 0;
}

static PyObject *
extrema(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *block_obj, *vectors[6] = {NULL, NULL, NULL, NULL, Py_None, Py_None};
    if (!PyArg_ParseTuple(args, "OOOOO|OO", &block_obj, &vectors[0], &vectors[1],
                          &vectors[2], &vectors[3], &vectors[4], &vectors[5])) {
        return NULL;
    }
    if ((vectors[4] == Py_None) != (vectors[5] == Py_None)) {
        PyErr_SetString(PyExc_ValueError,
                        "values and errors are given together or not at all");
        return NULL;
    }
    /* The vectors taken: low, high, flags, then sums where given, then
     * values and errors where given. */
    PyObject *taken[6] = {vectors[0], vectors[1], vectors[2]};
    Py_ssize_t sizes[6] = {0, 0, 0};
    int count = 3, at_sums = -1, at_values = -1;
    if (vectors[3] != Py_None) {
        at_sums = count;
        taken[count] = vectors[3];
        sizes[count++] = 8;
    }
    if (vectors[4] != Py_None) {
        at_values = count;
        for (int k = 4; k < 6; k++) {
            taken[count] = vectors[k];
            sizes[count++] = 8;
        }
    }
    Reduction r;
    if (open_reduction(&r, block_obj, taken, count, sizes) < 0) {
        return NULL;
    }
    uint64_t *sums = at_sums < 0 ? NULL : (uint64_t *)r.views[at_sums].buf;
    double *values = at_values < 0 ? NULL : (double *)r.views[at_values].buf;
    double *errors = at_values < 0 ? NULL : (double *)r.views[at_values + 1].buf;
    const char *base = r.block.buf;
    void *lo = r.views[0].buf, *hi = r.views[1].buf, *flags = r.views[2].buf;
/* The instance for the block's layout and dtype, with or without VALUES. */
#define EXTREMA_CALL(PREFIX)                                                     \
    do {                                                                         \
        if (r.columns && r.itemsize == 8) {                                      \
            PREFIX##lines_double(base, r.n, r.p, r.stride, lo, hi, flags, sums,  \
                                 values, errors);                                \
        }                                                                        \
        else if (r.columns) {                                                    \
            PREFIX##lines_float(base, r.n, r.p, r.stride, lo, hi, flags, sums,   \
                                values, errors);                                 \
        }                                                                        \
        else if (r.itemsize == 8) {                                              \
            PREFIX##double(base, r.n, r.p, r.stride, lo, hi, flags, sums,        \
                           values, errors);                                      \
        }                                                                        \
        else {                                                                   \
            PREFIX##float(base, r.n, r.p, r.stride, lo, hi, flags, sums, values, \
                          errors);                                               \
        }                                                                        \
    } while (0)
    Py_BEGIN_ALLOW_THREADS
    /* C-ordered blocks with the values' sums and without the bits' take the
     * panels where the machine has AVX-512. */
    int in_panels = 0;
#ifdef SKSCALE_AVX512
    in_panels = avx512 && values && !sums && !r.columns;
    if (in_panels && r.itemsize == 8) {
        extrema_panels_double(base, r.n, r.p, r.stride, lo, hi, flags, values,
                              errors);
    }
    else if (in_panels) {
        extrema_panels_float(base, r.n, r.p, r.stride, lo, hi, flags, values,
                             errors);
    }
#endif
    if (!in_panels && values) {
        EXTREMA_CALL(extrema_values_);
    }
    else if (!in_panels) {
        EXTREMA_CALL(extrema_);
    }
    /* The caller wants the means: each compensated sum divided here, where
     * NumPy's small operations took about 64 us a block. */
    for (Py_ssize_t j = 0; values && j < r.p; j++) {
        mean_of_sum(values + j, errors + j, r.n);
    }
    Py_END_ALLOW_THREADS
#undef EXTREMA_CALL
    close_reduction(&r);
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
    static const Py_ssize_t sizes[6] = {8, 8, 8, 8, 8, 8};
    Reduction r;
    if (open_reduction(&r, block_obj, vectors, 6, sizes) < 0) {
        return NULL;
    }
    double *v[6];
    for (int k = 0; k < 6; k++) {
        v[k] = r.views[k].buf;
    }
    const char *base = r.block.buf;
    Py_BEGIN_ALLOW_THREADS
    /* C-ordered blocks take the panels where the machine has AVX-512. */
    int in_panels = 0;
#ifdef SKSCALE_AVX512
    in_panels = avx512 && !r.columns;
    if (in_panels && r.itemsize == 8) {
        moments_panels_double(base, r.n, r.p, r.stride, v[0], v[1], v[2], v[3],
                              v[4]);
    }
    else if (in_panels) {
        moments_panels_float(base, r.n, r.p, r.stride, v[0], v[1], v[2], v[3],
                             v[4]);
    }
#endif
    if (!in_panels && r.columns && r.itemsize == 8) {
        moments_lines_double(base, r.n, r.p, r.stride, v[0], v[1], v[2], v[3],
                             v[4]);
    }
    else if (!in_panels && r.columns) {
        moments_lines_float(base, r.n, r.p, r.stride, v[0], v[1], v[2], v[3],
                            v[4]);
    }
    else if (!in_panels && r.itemsize == 8) {
        moments_double(base, r.n, r.p, r.stride, v[0], v[1], v[2], v[3], v[4],
                       v[5]);
    }
    else if (!in_panels) {
        moments_float(base, r.n, r.p, r.stride, v[0], v[1], v[2], v[3], v[4],
                      v[5]);
    }
    /* Every instance leaves each column's compensated sum in s1 + c1 (an
     * error term already NaN where the flag is): divided here, once. */
    for (Py_ssize_t j = 0; j < r.p; j++) {
        mean_of_sum(v[1] + j, v[4] + j, r.n);
    }
    Py_END_ALLOW_THREADS
    close_reduction(&r);
    Py_RETURN_NONE;
}

static PyObject *
affine(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *src_obj, *dst_obj, *vectors[3];
    double mul, add, lo, hi;
    int inverse, per_line, centered, range;
    if (!PyArg_ParseTuple(args, "OOOOOddddpppp", &src_obj, &dst_obj, &vectors[0],
                          &vectors[1], &vectors[2], &mul, &add, &lo, &hi,
                          &inverse, &per_line, &centered, &range)) {
        return NULL;
    }
    Py_buffer src, dst, views[3];
    Py_ssize_t in_size = get_rows(src_obj, &src, PyBUF_RECORDS_RO, 0, NULL);
    if (!in_size) {
        return NULL;
    }
    Py_ssize_t out_size = get_rows(dst_obj, &dst, PyBUF_RECORDS, 0, NULL);
    if (!out_size) {
        PyBuffer_Release(&src);
        return NULL;
    }
    Py_ssize_t n = src.shape[0], m = src.shape[1];
    int got = 0, bad = 0;
    if (dst.shape[0] != n || dst.shape[1] != m) {
        PyErr_SetString(PyExc_ValueError, "source and destination differ in shape");
    }
    else {
        for (; got < 3; got++) {
            if (get_vector_as(vectors[got], &views[got], per_line ? n : m, 8,
                              PyBUF_C_CONTIGUOUS) < 0) {
                break;
            }
        }
    }
    if (got == 3) {
        affine_fn fn = affine_table[in_size == 4][out_size == 4][inverse != 0]
                                   [per_line != 0][centered != 0][range != 0];
        Py_BEGIN_ALLOW_THREADS
        bad = fn(src.buf, dst.buf, n, m, src.strides[0], dst.strides[0],
                 views[0].buf, views[1].buf, views[2].buf, mul, add, lo, hi);
        Py_END_ALLOW_THREADS
    }
    for (int k = 0; k < got; k++) {
        PyBuffer_Release(&views[k]);
    }
    PyBuffer_Release(&dst);
    PyBuffer_Release(&src);
    if (got < 3) {
        return NULL;
    }
    return PyBool_FromLong(!bad);
}

/* The source of rows(): a 2-D block, or a sequence of columns (1-D
 * contiguous buffers), each column's base in xcol (PyMem). Returns the
 * number of buffers held in views (the block's, or one per column), or -1
 * with an exception set and nothing held. */
static Py_ssize_t
open_row_source(PyObject *src_obj, Py_buffer **views, const char ***xcol,
                Py_ssize_t *n, Py_ssize_t *p, const char **format)
{
    int sequence = PyTuple_Check(src_obj) || PyList_Check(src_obj);
    Py_ssize_t count = sequence ? PySequence_Fast_GET_SIZE(src_obj) : 1;
    *views = PyMem_Calloc(count ? count : 1, sizeof(Py_buffer));
    *xcol = NULL;
    if (!*views) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t held = 0;
    for (; held < count; held++) {
        PyObject *item = sequence ? PySequence_Fast_GET_ITEM(src_obj, held) : src_obj;
        int flags = sequence ? PyBUF_C_CONTIGUOUS | PyBUF_FORMAT : PyBUF_RECORDS_RO;
        if (PyObject_GetBuffer(item, &(*views)[held], flags) < 0) {
            goto fail;
        }
        Py_buffer *view = &(*views)[held];
        if (view->ndim != (sequence ? 1 : 2) ||
            (held && (view->shape[0] != *n || strcmp(plain_format(view), *format)))) {
            held++;
            PyErr_SetString(PyExc_ValueError,
                            "expected a 2-D block or columns of one length and dtype");
            goto fail;
        }
        *n = view->shape[0];
        *p = sequence ? count : view->shape[1];
        *format = plain_format(view);
    }
    if (!count) {
        PyErr_SetString(PyExc_ValueError, "expected at least one column");
        goto fail;
    }
    *xcol = PyMem_Malloc((size_t)*p * sizeof(char *));
    if (!*xcol) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t j = 0; j < *p; j++) {
        (*xcol)[j] = sequence ? (*views)[j].buf
                              : (const char *)(*views)[0].buf +
                                    j * ((*views)[0].ndim == 2 ? (*views)[0].strides[1] : 0);
    }
    return held;
fail:
    for (Py_ssize_t k = 0; k < held; k++) {
        PyBuffer_Release(&(*views)[k]);
    }
    PyMem_Free(*views);
    return -1;
}

static PyObject *
rows(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *src_obj, *dst_obj, *done_obj;
    int mode, with_mean, with_std;
    RowMap m;
    if (!PyArg_ParseTuple(args, "OOOippdddd", &src_obj, &dst_obj, &done_obj,
                          &mode, &with_mean, &with_std, &m.factor, &m.root_eps,
                          &m.recenter, &m.p)) {
        return NULL;
    }
    m.with_mean = with_mean;
    m.with_std = with_std;
    PyObject *fast = NULL;
    if (PyList_Check(src_obj) || PyTuple_Check(src_obj)) {
        fast = PySequence_Fast(src_obj, "columns");
        if (!fast) {
            return NULL;
        }
        src_obj = fast;
    }
    Py_buffer *views, dst, done;
    const char **xcol, *format = "";
    Py_ssize_t n = 0, p = 0;
    Py_ssize_t held = open_row_source(src_obj, &views, &xcol, &n, &p, &format);
    if (held < 0) {
        Py_XDECREF(fast);
        return NULL;
    }
    int got_dst = PyObject_GetBuffer(dst_obj, &dst, PyBUF_RECORDS) == 0;
    const int is_float = strcmp(format, "f") == 0;
    const Py_ssize_t size = is_float ? 4 : 8;
    int ok = got_dst && dst.ndim == 2 && (is_float || !strcmp(format, "d")) &&
             strcmp(format, plain_format(&dst)) == 0 && n == dst.shape[0] &&
             p == dst.shape[1] && p >= 1 && (mode == 0 || mode == 1);
    const Py_buffer *block = fast ? NULL : &views[0];
    /* Rows contiguous in both (C), or columns contiguous in both (columns
     * given apart are), their strides whole items. A single row's columns
     * are contiguous whatever the stride its buffer gives between rows
     * (NumPy exports the stride of an axis of length 1 as if the array were
     * C-contiguous, not as its strides attribute shows it). */
    int lines = ok && block &&
                (p == 1 || (block->strides[1] == size && dst.strides[1] == size));
    int columns = ok && !lines && (n == 1 || dst.strides[0] == size) &&
                  dst.strides[1] % size == 0 &&
                  (!block || ((n == 1 || block->strides[0] == size) &&
                              block->strides[1] % size == 0));
    int ready = lines || columns;
    if (got_dst && !ready) {
        PyErr_SetString(PyExc_ValueError,
                        "expected two 2-D float64 or float32 blocks (or columns) "
                        "of one dtype and shape, at least one column, both with "
                        "contiguous rows or both with contiguous columns, and "
                        "mode 0 or 1");
    }
    if (ready && get_vector_as(done_obj, &done, n, 1,
                               PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        ready = 0;
    }
    Py_ssize_t left = 0;
    if (ready) {
        unsigned char *flags = done.buf;
        Py_BEGIN_ALLOW_THREADS
        if (lines) {
            rows_c_table[avx512][is_float][mode](block->buf, dst.buf, n, p, block->strides[0],
                                         dst.strides[0], &m, flags);
        }
        else {
            rows_f_table[avx512][is_float][mode](xcol, dst.buf, n, p, dst.strides[1], &m,
                                         flags);
        }
        Py_END_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            left += !flags[i];
        }
        PyBuffer_Release(&done);
    }
    if (got_dst) {
        PyBuffer_Release(&dst);
    }
    for (Py_ssize_t k = 0; k < held; k++) {
        PyBuffer_Release(&views[k]);
    }
    PyMem_Free(views);
    PyMem_Free(xcol);
    Py_XDECREF(fast);
    return ready ? PyLong_FromSsize_t(left) : NULL;
}

static PyObject *
infinite(PyObject *Py_UNUSED(module), PyObject *block_obj)
{
    Py_buffer block;
    int columns;
    Py_ssize_t size = get_block(block_obj, &block, &columns);
    if (!size) {
        return NULL;
    }
    /* Lines: the block's rows, or its columns. */
    Py_ssize_t n = block.shape[columns ? 1 : 0], m = block.shape[columns ? 0 : 1];
    Py_ssize_t stride = block.strides[columns ? 1 : 0];
    int found;
    Py_BEGIN_ALLOW_THREADS
    found = size == 8 ? infinity_double(block.buf, n, m, stride)
                      : infinity_float(block.buf, n, m, stride);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&block);
    return PyBool_FromLong(found);
}

static PyObject *
isa(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(args))
{
    return PyUnicode_FromString(avx512 ? "avx512" : "portable");
}

static PyMethodDef methods[] = {
    {"affine", affine, METH_VARARGS,
     "affine(src, dst, a, b, scale, mul, add, low, high, inverse, per_line,\n"
     "       centered, range)\n\n"
     "Write the fitted map of a column scaler of the 2-D float64 or float32\n"
     "block src into dst (same shape, float64 or float32, may be src), both\n"
     "with contiguous rows, in float64 arithmetic: forward,\n"
     "clip(((x - a) - b) / scale * mul + add, low, high); inverse,\n"
     "((x - add) / mul) * scale + b + a. The steps with a and b are left out\n"
     "unless centered, those with mul, add, low and high unless range. a, b\n"
     "and scale are float64 vectors, one value per column, or per row where\n"
     "per_line. Returns whether every value of src is finite."},
    {"moments", moments, METH_VARARGS,
     "moments(block, pivot, s1, s2, flags, c1, c2)\n\n"
     "In one pass over a 2-D float64 or float32 block whose rows (or\n"
     "columns) are contiguous, write the sum of each column's deviations\n"
     "from pivot (in float64, compensated), divided by the number of rows,\n"
     "into s1 (the quotient rounded) and c1 (the rest: s1 + c1 is the\n"
     "exact mean deviation to about eps**2), the sum of their squares into\n"
     "s2, a chunk of 128 rows at a time, and into flags the sum of the\n"
     "deviations times 0 (NaN where a deviation is NaN or infinite). c2 is\n"
     "scratch; every vector is float64, one value per column."},
    {"extrema", extrema, METH_VARARGS,
     "extrema(block, low, high, flags, sums[, values, errors])\n\n"
     "In one pass over a 2-D float64 or float32 block whose rows (or\n"
     "columns) are contiguous, write each column's minimum and maximum of its\n"
     "finite values into low and high and the sum of its values times 0 into\n"
     "flags (vectors of the block's dtype: a flag is NaN where the column\n"
     "holds a NaN or an infinity, 0 elsewhere); unless sums is None, the sum\n"
     "of the column's bit patterns modulo 2**64 into sums (uint64); and,\n"
     "unless values and errors are None or absent, the sum of the column's\n"
     "values into values and the sum of its rounding errors into errors\n"
     "(float64, compensated: values + errors is the exact sum to about\n"
     "n eps**2 of the sum of the magnitudes)."},
    {"infinite", infinite, METH_O,
     "infinite(block)\n\n"
     "Whether the 2-D float64 or float32 block, its rows (or columns)\n"
     "contiguous, holds +inf or -inf (NaN is not infinite)."},
    {"rows", rows, METH_VARARGS,
     "rows(src, dst, done, mode, with_mean, with_std, factor, root_eps,\n"
     "     recenter, p)\n\n"
     "A row normalizer's pass over the 2-D float64 or float32 block src into\n"
     "dst (the same dtype and shape, may be src), both with contiguous rows\n"
     "or both with contiguous columns (src may also be a list of contiguous\n"
     "columns, dst column-major): each row's statistics in float64, then\n"
     "the row divided, where the statistics allow it. mode 0: x / ||x||_2,\n"
     "where the norm lies in (1e-140, 1e140); mode 1: LayerNormalizer's\n"
     "((x - x[0]) - offset) / scale (x / scale without with_mean), where the\n"
     "deviations' moments are exact to rounding; scale is\n"
     "hypot(std0 * factor, root_eps), or 1 without with_std or where 0; p\n"
     "(float) is the row length. done (one byte per row) gets 1 for each row\n"
     "written, 0 for each row left untouched, for the caller. Returns the\n"
     "number of rows left."},
    {"isa", isa, METH_NOARGS,
     "isa()\n\n"
     "'avx512' where the hand-written AVX-512 instances run, else 'portable'\n"
     "(no AVX-512, or SKSCALE_AVX512=0 in the environment at import)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_kernels",
    .m_doc = "Fused column kernels for statistics and transforms (optional).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__)
    /* The clones' own test: the AVX-512 clone runs where this holds. */
    __builtin_cpu_init();
    avx512 = __builtin_cpu_supports("avx512f") != 0;
#endif
    /* SKSCALE_AVX512=0 keeps the hand-written AVX-512 instances (the panels,
     * the row pass's) out, as on a machine without it: the tests run the
     * portable instances this way on a machine that has it. */
    const char *wanted = getenv("SKSCALE_AVX512");
    if (wanted && strcmp(wanted, "0") == 0) {
        avx512 = 0;
    }
    return PyModule_Create(&module);
}
