// An LD_PRELOAD allocation counter for bench/allocs-per-request.sh: counts every malloc, calloc,
// realloc, memalign, aligned_alloc and posix_memalign of the process it is loaded into, and writes the
// running total (one decimal number) to the file named by $MALLOC_COUNTER_FILE every 50 ms, from a
// thread of its own that allocates nothing. The script reads the total before and after a fixed number
// of requests; the difference over the count is allocations per request.
//
// glibc's __libc_* entry points are called directly (no dlsym: dlsym itself allocates, which would
// recurse before the counter is set up). Relaxed atomics: the cost per allocation is one locked add.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);

static atomic_ullong allocations;

static void count(void)
{
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}

void* malloc(size_t n)
{
    count();
    return __libc_malloc(n);
}

void* calloc(size_t n, size_t size)
{
    count();
    return __libc_calloc(n, size);
}

void* realloc(void* p, size_t n)
{
    count();
    return __libc_realloc(p, n);
}

void* memalign(size_t alignment, size_t n)
{
    count();
    return __libc_memalign(alignment, n);
}

void* aligned_alloc(size_t alignment, size_t n)
{
    count();
    return __libc_memalign(alignment, n);
}

int posix_memalign(void** out, size_t alignment, size_t n)
{
    count();
    void* p = __libc_memalign(alignment, n);
    if (!p)
        return 12; // ENOMEM
    *out = p;
    return 0;
}

static void* reporter(void* path)
{
    const struct timespec period = {0, 50 * 1000 * 1000};
    for (;;) {
        char text[32];
        const int len = snprintf(text, sizeof text, "%llu\n",
                                 (unsigned long long)atomic_load_explicit(&allocations, memory_order_relaxed));
        const int fd = open((const char*)path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            if (write(fd, text, (size_t)len) < 0) {
                // nothing to do: the next period tries again
            }
            close(fd);
        }
        nanosleep(&period, NULL);
    }
    return NULL;
}

__attribute__((constructor)) static void startReporter(void)
{
    const char* path = getenv("MALLOC_COUNTER_FILE");
    if (!path || !*path)
        return;
    static char copy[4096];
    strncpy(copy, path, sizeof copy - 1);
    pthread_t thread;
    if (pthread_create(&thread, NULL, reporter, copy) == 0)
        pthread_detach(thread);
}
