/* Counts the C heap in use, for measuring what mbedTLS allocates outside
 * MicroPython's GC heap (tools/tls/heap_cost.py).  LD_PRELOAD it into the
 * board interpreter; the figures are read back through getenv():
 *
 *   os.getenv("LWS_MALLOC_INUSE")   bytes in use now
 *   os.getenv("LWS_MALLOC_PEAK")    the most in use since the last reset
 *   os.getenv("LWS_MALLOC_RESET")   sets the peak to what is in use now
 *
 * Built by heap_cost.py: gcc -m32 -O2 -shared -fPIC (glibc's __libc_*
 * allocators underneath, so no dlsym is needed).
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern char **environ;

static long in_use, peak;
static char text[32];

static void took(void *p) {
    if (p) {
        in_use += (long)malloc_usable_size(p);
        if (in_use > peak)
            peak = in_use;
    }
}

static void gave(void *p) {
    if (p)
        in_use -= (long)malloc_usable_size(p);
}

void *malloc(size_t n) { void *p = __libc_malloc(n); took(p); return p; }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); took(p); return p; }
void free(void *p) { gave(p); __libc_free(p); }

void *realloc(void *p, size_t n) {
    long before = p ? (long)malloc_usable_size(p) : 0;
    void *q = __libc_realloc(p, n);
    if (q || !n) {
        in_use -= before;
        took(q);
    }
    return q;
}

char *getenv(const char *name) {
    size_t len = strlen(name);
    if (!strcmp(name, "LWS_MALLOC_INUSE") || !strcmp(name, "LWS_MALLOC_PEAK")
            || !strcmp(name, "LWS_MALLOC_RESET")) {
        if (name[11] == 'R')
            peak = in_use;
        snprintf(text, sizeof text, "%ld", name[11] == 'P' ? peak : in_use);
        return text;
    }
    for (char **e = environ; e && *e; e++)
        if (!strncmp(*e, name, len) && (*e)[len] == '=')
            return *e + len + 1;
    return NULL;
}
