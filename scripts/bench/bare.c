// The bare C floor of scripts/bench.ts: the same system calls a queue cannot
// avoid. Usage: bare DIR MODE N SIZE; MODE deliver, durable, claim or batch.
// Mode "batch" is the best a batch delivery can do on the disk: files
// written 100 at a time, their fsyncs issued from 4 threads at once (so the
// filesystem can commit them together), renamed, then one fsync of the
// directory per batch. Prints files a second.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int fds[100];
static int nextFd;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

// One of 4 threads fsyncing the batch's files.
static void *syncer(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    int i = nextFd++;
    pthread_mutex_unlock(&mu);
    if (i >= 100) return 0;
    if (fsync(fds[i])) exit(1);
  }
}

static void syncDir(const char *d) {
  int dd = open(d, O_RDONLY);
  if (dd < 0 || fsync(dd)) exit(1);
  close(dd);
}

int main(int argc, char **argv) {
  if (argc != 5) return 2;
  const char *dir = argv[1];
  const char *mode = argv[2];
  int n = atoi(argv[3]);
  int size = atoi(argv[4]);
  int durable = !strcmp(mode, "durable");
  char *buf = malloc(size + 1);
  memset(buf, 'x', size);
  char a[4096], b[4096], d[4096];
  snprintf(d, sizeof d, "%s/new", dir);
  double t0 = now();
  if (!strcmp(mode, "batch")) {
    for (int k = 0; k < n; k += 100) {
      for (int i = 0; i < 100; i++) {
        snprintf(a, sizeof a, "%s/tmp/%d", dir, k + i);
        fds[i] = open(a, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fds[i] < 0 || write(fds[i], buf, size) != size) return 1;
      }
      pthread_t th[4];
      nextFd = 0;
      for (int t = 0; t < 4; t++) pthread_create(&th[t], 0, syncer, 0);
      for (int t = 0; t < 4; t++) pthread_join(th[t], 0);
      for (int i = 0; i < 100; i++) {
        close(fds[i]);
        snprintf(a, sizeof a, "%s/tmp/%d", dir, k + i);
        snprintf(b, sizeof b, "%s/new/%d", dir, k + i);
        if (rename(a, b)) return 1;
      }
      syncDir(d);
    }
    printf("%.0f\n", n / (now() - t0));
    return 0;
  }
  for (int i = 0; i < n; i++) {
    snprintf(a, sizeof a, "%s/tmp/%d", dir, i);
    snprintf(b, sizeof b, "%s/new/%d", dir, i);
    int fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0 || write(fd, buf, size) != size) return 1;
    if (durable && fsync(fd)) return 1;
    close(fd);
    if (rename(a, b)) return 1;
    if (durable) syncDir(d);
  }
  double t1 = now();
  if (!strcmp(mode, "claim")) {
    for (int i = 0; i < n; i++) {
      snprintf(a, sizeof a, "%s/new/%d", dir, i);
      snprintf(b, sizeof b, "%s/cur/%d", dir, i);
      if (rename(a, b)) return 1;
      int fd = open(b, O_RDONLY);
      if (fd < 0 || read(fd, buf, size + 1) != size) return 1;
      close(fd);
      unlink(b);
    }
    printf("%.0f\n", n / (now() - t1));
  } else {
    printf("%.0f\n", n / (t1 - t0));
  }
  return 0;
}
